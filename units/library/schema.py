"""Checks a document against the published JSON Schema files in units/schema/.

The schema files are the one statement of the format: this reads them rather than repeating their rules. It
understands the part of JSON Schema those files use (type, const, enum, required, properties,
additionalProperties, items, minItems, minimum, maximum, minLength, maxLength, pattern, local $ref), which keeps
the project free of a further dependency; a schema keyword it does not know is an error, so the files cannot
quietly ask for more than is checked.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}
CHECKED = {
    "type", "const", "enum", "required", "properties", "additionalProperties", "items", "minItems",
    "minimum", "maximum", "minLength", "maxLength", "pattern", "$ref",
}  # fmt: skip
TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


class SchemaError(Exception):
    """The schema file itself uses something this checker does not understand."""


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema called `name` (e.g. "unit-v1"), from units/schema/<name>.schema.json."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }[kind](value)


def _resolve(root: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in rule:
        ref = rule["$ref"]
        if not ref.startswith("#/"):
            raise SchemaError(f"only local references are understood, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        rule = {**target, **{k: v for k, v in rule.items() if k != "$ref"}}
    return rule


def validate(document: Any, schema: dict[str, Any]) -> list[str]:
    """Every way `document` breaks `schema`, each as "<path>: <what is wrong>", in document order."""
    errors: list[str] = []
    _check(document, schema, schema, "", errors)
    return errors


def _check(value: Any, rule: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]) -> None:
    rule = _resolve(root, rule)
    unknown = set(rule) - CHECKED - ANNOTATIONS
    if unknown:
        raise SchemaError(f"{path or 'the document'}: schema keywords not understood: {', '.join(sorted(unknown))}")
    where = path or "the document"
    if "const" in rule and (value != rule["const"] or type(value) is not type(rule["const"])):
        errors.append(f"{where}: must be {json.dumps(rule['const'])}")
        return
    if "enum" in rule and value not in rule["enum"]:
        errors.append(f"{where}: must be one of {', '.join(json.dumps(v) for v in rule['enum'])}")
        return
    if "type" in rule:
        kinds = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
        if not any(_is(value, kind) for kind in kinds):
            errors.append(f"{where}: must be {' or '.join(TYPE_WORDS[kind] for kind in kinds)}")
            return
    if isinstance(value, dict):
        _check_object(value, rule, root, path, errors)
    elif isinstance(value, list):
        if len(value) < rule.get("minItems", 0):
            errors.append(f"{where}: must list at least {rule['minItems']}")
        if "items" in rule:
            for index, item in enumerate(value):
                _check(item, rule["items"], root, join(path, index), errors)
    elif isinstance(value, str):
        if len(value) < rule.get("minLength", 0):
            errors.append(f"{where}: required" if value == "" else f"{where}: too short")
        if "maxLength" in rule and len(value) > rule["maxLength"]:
            errors.append(f"{where}: at most {rule['maxLength']} characters (this has {len(value)})")
        if "pattern" in rule and value and not re.search(rule["pattern"], value):
            errors.append(f"{where}: {json.dumps(value)} is not in the form {rule['pattern']}")
    elif _is(value, "integer"):
        if "minimum" in rule and value < rule["minimum"]:
            errors.append(f"{where}: must be at least {rule['minimum']}")
        if "maximum" in rule and value > rule["maximum"]:
            errors.append(f"{where}: must be at most {rule['maximum']}")


def _check_object(value: dict[str, Any], rule: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]):
    properties = rule.get("properties", {})
    for key in rule.get("required", []):
        if key not in value:
            errors.append(f"{join(path, key)}: required")
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], root, join(path, key), errors)
        elif rule.get("additionalProperties", True) is False:
            errors.append(f"{join(path, key)}: not a field of this format")
