"""The published schema files, and the checker that reads them rather than repeating their rules."""

from __future__ import annotations

import copy
import json

import pytest

from units.library.documents import qualification_document, unit_document
from units.library.schema import SCHEMA_DIR, SchemaError, load_schema, validate
from units.models import Qualification


@pytest.fixture
def document(unit):
    return unit_document(unit)


def properties(schema: dict, rule: dict) -> dict:
    while "$ref" in rule:
        rule = schema["$defs"][rule["$ref"].rsplit("/", 1)[1]]
    return rule


@pytest.mark.parametrize("name", ["unit-v1", "qualification-v1"])
def test_each_schema_file_requires_exactly_the_fields_it_describes(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"] == f"{name}.schema.json"

    def walk(rule: dict, path: str) -> None:
        rule = properties(schema, rule)
        if "properties" in rule:
            assert set(rule["required"]) == set(rule["properties"]), path
            assert rule["additionalProperties"] is False, path
            for key, child in rule["properties"].items():
                walk(child, f"{path}.{key}")
        if "items" in rule:
            walk(rule["items"], f"{path}[]")

    walk(schema, name)


def test_the_exported_unit_and_qualification_meet_their_schemas(document):
    assert validate(document, load_schema("unit-v1")) == []
    qualification = Qualification.objects.get(slug="level-2-nvq-certificate-in-customer-service")
    assert validate(qualification_document(qualification), load_schema("qualification-v1")) == []


def test_the_exporter_writes_every_field_of_the_schema_and_no_other(document):
    schema = load_schema("unit-v1")
    assert list(document) == list(schema["properties"])
    outcome_rule = schema["properties"]["outcomes"]["items"]
    assert list(document["outcomes"][0]) == list(outcome_rule["properties"])
    assert list(document["outcomes"][0]["criteria"][0]) == list(
        outcome_rule["properties"]["criteria"]["items"]["properties"]
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["outcomes"][1]["criteria"][3].pop("text"), "outcomes[1].criteria[3].text: required"),
        (lambda d: d["outcomes"][1]["criteria"][3].update(text=""), "outcomes[1].criteria[3].text: required"),
        (lambda d: d.update(level="2"), "level: must be a whole number"),
        (lambda d: d.update(level=True), "level: must be a whole number"),
        (lambda d: d.update(credit_value="six"), "credit_value: must be a whole number"),
        (lambda d: d.update(number=None), "number: not a field of this format"),
        (lambda d: d.update(summary=None), "summary: must be text"),
        (lambda d: d.update(level=0), "level: must be at least 1"),
        (
            lambda d: d["outcomes"][0].update(kind="skills"),
            'outcomes[0].kind: must be one of "performance", "knowledge"',
        ),
        (lambda d: d.update(format_version=2), "format_version: must be 1"),
        (lambda d: d.update(colour="blue"), "colour: not a field of this format"),
        (lambda d: d.update(outcomes=[]), "outcomes: must list at least 1"),
        (lambda d: d.update(codes={}), "codes: must be a list"),
        (lambda d: d.update(slug="Deliver X"), 'slug: "Deliver X" is not in the form ^[a-z0-9]+(-[a-z0-9]+)*$'),
        (lambda d: d["range"][0].update(letter="abc"), "range[0].letter: at most 2 characters (this has 3)"),
        (
            lambda d: d["codes"][0]["awarding_body"].pop("criterion_style"),
            "codes[0].awarding_body.criterion_style: required",
        ),
    ],
)
def test_each_kind_of_problem_names_its_field(document, change, message):
    change(document)
    assert validate(document, load_schema("unit-v1")) == [message]


def test_every_problem_is_reported_at_once_in_document_order(document):
    broken = copy.deepcopy(document)
    broken.pop("title")
    broken["outcomes"][2]["criteria"][9]["number"] = "10"
    broken["range"][3]["text"] = ""
    assert validate(broken, load_schema("unit-v1")) == [
        "title: required",
        "outcomes[2].criteria[9].number: must be a whole number",
        "range[3].text: required",
    ]


def test_a_schema_keyword_the_checker_does_not_know_is_an_error_not_a_rule_quietly_ignored():
    with pytest.raises(SchemaError, match="oneOf"):
        validate({"a": 1}, {"type": "object", "properties": {"a": {"oneOf": [{"type": "integer"}]}}})
