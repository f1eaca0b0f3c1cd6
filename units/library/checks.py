"""Everything a unit or qualification file must satisfy beyond its schema, checked before anything is written.

Each problem is one message naming the field by its path in the file (lists count from 0), so a centre can put
all of them right in one go.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q

from units.library.documents import SOURCE_FIELDS
from units.library.schema import join, load_schema, validate
from units.models import AssessmentMethod, AwardingBody, Qualification, Unit, UnitCode, versioned_slug

SCHEMAS = {("unit", 1): "unit-v1", ("qualification", 1): "qualification-v1"}


def parse(text: str) -> tuple[Any, list[str]]:
    """The file's JSON, or the place it stops being JSON."""
    try:
        return json.loads(text), []
    except json.JSONDecodeError as error:
        return None, [f"line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"]


def schema_name(document: Any) -> tuple[str | None, list[str]]:
    if not isinstance(document, dict):
        return None, ["the document: must be an object"]
    key = (document.get("format"), document.get("format_version"))
    if key in SCHEMAS:
        return SCHEMAS[key], []
    known = "; ".join(f'"format": "{kind}", "format_version": {number}' for kind, number in SCHEMAS)
    return None, [f"format: this is not a file this library reads (it reads {known})"]


def check(document: Any) -> list[str]:
    """Every problem with the document, schema first; the library is consulted only for a well-formed file."""
    name, errors = schema_name(document)
    if errors:
        return errors
    errors = validate(document, load_schema(name))
    if errors:
        return errors
    if document["format"] == "unit":
        return check_unit(document)
    return check_qualification(document)


def _twice(items: Iterable[Any], path: str, key: Callable[[Any], Any], field: str, what: str) -> list[str]:
    seen: dict[Any, int] = {}
    errors = []
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            place = join(join(path, index), field) if field else join(path, index)
            errors.append(f"{place}: {what} {json.dumps(value)} is already {path}[{seen[value]}]")
        else:
            seen[value] = index
    return errors


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


SHARED = {"awarding body": "awarding bodies", "method": "methods"}


def _shared(rows: dict[str, Any], path: str, item: dict[str, Any], fields: Iterable[str], what: str) -> list[str]:
    """A library row other units share must match the file: a unit's import never rewrites it for the others."""
    row = rows.get(item["code"])
    if row is None:
        return []
    return [
        f"{join(path, field)}: the library's {what} {row.code} has {_json(getattr(row, field))},"
        f" not {_json(item[field])} ({SHARED[what]} are shared by every unit)"
        for field in fields
        if getattr(row, field) != item[field]
    ]


def family_of(model: type[Unit] | type[Qualification], slug: str) -> list[Any]:
    """Every version of the unit or qualification called `slug`, oldest first."""
    return list(model.objects.filter(Q(family=slug) | Q(family__isnull=True, slug=slug)).order_by("version"))


def _requirement_bodies(doc: dict[str, Any]) -> list[str]:
    """Each requirement is for one of the unit's awarding bodies or (null) for all; a learner sees their body's and
    the shared ones, so among those only one may introduce the range."""
    numbered = {code["awarding_body"]["code"] for code in doc["codes"]}
    errors = [
        f"evidence_requirements[{i}].awarding_body: {r['awarding_body']} is not one of the unit's awarding bodies"
        f" ({', '.join(sorted(numbered))})"
        for i, r in enumerate(doc["evidence_requirements"])
        if r["awarding_body"] is not None and r["awarding_body"] not in numbered
    ]
    introducing = [(i, r["awarding_body"]) for i, r in enumerate(doc["evidence_requirements"]) if r["introduces_range"]]
    for index, (i, body) in enumerate(introducing):
        earlier = next((j for j, other in introducing[:index] if None in (body, other) or other == body), None)
        if earlier is not None:
            errors.append(
                f"evidence_requirements[{i}].introduces_range: only one requirement introduces the range"
                f" (evidence_requirements[{earlier}] already does)"
            )
    return errors


def check_unit(doc: dict[str, Any]) -> list[str]:
    errors = _twice(doc["outcomes"], "outcomes", lambda o: o["number"], "number", "outcome")
    for index, outcome in enumerate(doc["outcomes"]):
        errors += _twice(
            outcome["criteria"], f"outcomes[{index}].criteria", lambda c: c["number"], "number", "criterion"
        )
    errors += _twice(doc["range"], "range", lambda r: r["letter"], "letter", "letter")
    errors += _twice(doc["evidence_requirements"], "evidence_requirements", lambda r: r["number"], "number", "number")
    errors += _twice(doc["methods"], "methods", lambda m: m["code"], "code", "method")
    errors += _twice(doc["codes"], "codes", lambda c: c["awarding_body"]["code"], "awarding_body.code", "body")
    errors += _requirement_bodies(doc)
    numbered = sorted(code["awarding_body"]["code"] for code in doc["codes"])
    errors += [
        f"{field}: {doc[field]} is not one of the unit's awarding bodies ({', '.join(numbered)})"
        for field in SOURCE_FIELDS
        if doc[field] is not None and doc[field] not in numbered
    ]
    for index, code in enumerate(doc["codes"]):
        path = f"codes[{index}].cross_reference_units"
        errors += _twice(code["cross_reference_units"], path, lambda n: n, "", "unit")
        errors += [
            f"{path}[{i}]: the unit's own number cannot be a cross-reference"
            for i, number in enumerate(code["cross_reference_units"])
            if number == code["number"]
        ]
    return errors + _unit_against_library(doc)


def _unit_against_library(doc: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    bodies = AwardingBody.objects.in_bulk([c["awarding_body"]["code"] for c in doc["codes"]], field_name="code")
    methods = AssessmentMethod.objects.in_bulk([m["code"] for m in doc["methods"]], field_name="code")
    for index, code in enumerate(doc["codes"]):
        path = f"codes[{index}].awarding_body"
        errors += _shared(bodies, path, code["awarding_body"], ("name", "criterion_style"), "awarding body")
        others = (
            UnitCode.objects.filter(awarding_body__code=code["awarding_body"]["code"], code=code["number"])
            .exclude(Q(unit__family=doc["slug"]) | Q(unit__family__isnull=True, unit__slug=doc["slug"]))
            .select_related("unit")
            .first()
        )
        if others:
            errors.append(
                f"codes[{index}].number: {code['awarding_body']['code']} {code['number']} is already the number of"
                f" unit {others.unit.family_slug!r} ({others.unit.title})"
            )
    for index, method in enumerate(doc["methods"]):
        errors += _shared(
            methods, f"methods[{index}]", method, ("name", "description", "in_workbook_key", "order"), "method"
        )
    taken = Unit.objects.filter(slug=versioned_slug(doc["slug"], doc["version"])).first()
    if taken and taken.family_slug != doc["slug"]:
        errors.append(f"slug: {taken.slug!r} is already a version of unit {taken.family_slug!r}")
    return errors


def check_qualification(doc: dict[str, Any]) -> list[str]:
    errors = _twice(doc["groups"], "groups", lambda g: g["number"], "number", "group")
    where: dict[str, str] = {}
    for g, group in enumerate(doc["groups"]):
        for u, member in enumerate(group["units"]):
            path = f"groups[{g}].units[{u}].number"
            if member["number"] in where:
                errors.append(f"{path}: unit {member['number']} is already listed at {where[member['number']]}")
            else:
                where[member["number"]] = path
        minimum, listed = group["minimum_units"], len(group["units"])
        if minimum is not None and minimum > listed:
            errors.append(f"groups[{g}].minimum_units: {minimum} is more than the group's {listed} units")
    body = doc["awarding_body"]
    errors += _shared(
        AwardingBody.objects.in_bulk([body["code"]], field_name="code"),
        "awarding_body",
        body,
        ("name", "criterion_style"),
        "awarding body",
    )
    taken = Qualification.objects.filter(slug=versioned_slug(doc["slug"], doc["version"])).first()
    if taken and taken.family_slug != doc["slug"]:
        errors.append(f"slug: {taken.slug!r} is already a version of qualification {taken.family_slug!r}")
    return errors
