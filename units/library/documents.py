"""A unit or qualification as its file: the one place the file's fields, their order and its layout are decided.

Exporting is deterministic (fixed field order, lists in the library's order, two-space indent, UTF-8 and a final
newline), so export, import into an empty library and export again give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from units.models import AwardingBody, Qualification, Unit

UNIT_FORMAT = ("unit", 1)
QUALIFICATION_FORMAT = ("qualification", 1)
UNIT_TEXT_FIELDS = (
    "purpose",
    "summary",
    "assessment_statement",
    "evidence_guidance",
    "nos_mapping",
    "additional_information",
)
SIGN_OFF_FIELDS = ("validity_statement", "learner_declaration", "assessor_statement")
# Whose words the unit's text and its sign-off block are, by awarding body code (null: not stated).
SOURCE_FIELDS = ("text_awarding_body", "sign_off_awarding_body")
# A code's own sign-off wording for the verifiers, empty where the awarding body's paperwork gives none.
CODE_SIGN_OFF_FIELDS = ("iv_statement", "ev_statement")


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def awarding_body_document(body: AwardingBody) -> dict[str, Any]:
    return {"code": body.code, "name": body.name, "criterion_style": body.criterion_style}


def unit_document(unit: Unit) -> dict[str, Any]:
    outcomes = unit.outcomes.order_by("number").prefetch_related("criteria")
    return {
        "format": UNIT_FORMAT[0],
        "format_version": UNIT_FORMAT[1],
        "slug": unit.family_slug,
        "version": unit.version,
        "title": unit.title,
        "level": unit.level,
        "credit_value": unit.credit_value,
        "guided_learning_hours": unit.guided_learning_hours,
        **{field: getattr(unit, field) for field in UNIT_TEXT_FIELDS},
        "text_awarding_body": unit.text_awarding_body.code if unit.text_awarding_body else None,
        "simulation_allowed_for_performance": unit.simulation_allowed_for_performance,
        **{field: getattr(unit, field) for field in SIGN_OFF_FIELDS},
        "sign_off_awarding_body": unit.sign_off_awarding_body.code if unit.sign_off_awarding_body else None,
        "codes": [
            {
                "awarding_body": awarding_body_document(code.awarding_body),
                "number": code.code,
                "cross_reference_units": list(code.cross_reference_units),
                "assessment_note": code.assessment_note,
                **{field: getattr(code, field) for field in CODE_SIGN_OFF_FIELDS},
            }
            # Sorted here rather than by the database, whose collation could order them differently.
            for code in sorted(unit.codes.select_related("awarding_body"), key=lambda c: c.awarding_body.code)
        ],
        "methods": [
            {
                "code": method.code,
                "name": method.name,
                "description": method.description,
                "in_workbook_key": method.in_workbook_key,
                "order": method.order,
            }
            for method in unit.methods.order_by("order", "code")
        ],
        "outcomes": [
            {
                "number": outcome.number,
                "title": outcome.title,
                "kind": outcome.kind,
                "element_title": outcome.element_title,
                "guidance_intro": outcome.guidance_intro,
                "guidance": list(outcome.guidance),
                "criteria": [
                    {"number": c.number, "text": c.text, "workbook_text": c.workbook_text}
                    for c in sorted(outcome.criteria.all(), key=lambda c: c.number)
                ],
            }
            for outcome in outcomes
        ],
        "range": [
            {"letter": item.letter, "text": item.text}
            for item in sorted(unit.range_items.all(), key=lambda r: r.letter)
        ],
        "evidence_requirements": [
            {
                "number": r.number,
                "awarding_body": r.awarding_body.code if r.awarding_body else None,
                "text": r.text,
                "introduces_range": r.introduces_range,
            }
            for r in unit.evidence_requirements.select_related("awarding_body").order_by("number")
        ],
    }


def qualification_document(qualification: Qualification) -> dict[str, Any]:
    return {
        "format": QUALIFICATION_FORMAT[0],
        "format_version": QUALIFICATION_FORMAT[1],
        "slug": qualification.family_slug,
        "version": qualification.version,
        "title": qualification.title,
        "level": qualification.level,
        "awarding_body": awarding_body_document(qualification.awarding_body),
        "number": qualification.number,
        "total_minimum_credits": qualification.total_minimum_credits,
        "groups": [
            {
                "number": group.number,
                "title": group.title,
                "kind": group.kind,
                "minimum_credits": group.minimum_credits,
                "minimum_units": group.minimum_units,
                "units": [
                    {"number": member.number, "title": member.title, "credit_value": member.credit_value}
                    for member in group.units.order_by("position")
                ],
            }
            for group in qualification.groups.order_by("number")
        ],
    }


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    """The document as exporting it again would write it, without its version: what "unchanged" compares.

    Lists whose order the library keeps by number or code are sorted as the export sorts them; lists whose order
    is the specification's own (guidance bullets, cross-references, a group's units) keep the file's order.
    """
    doc = {key: value for key, value in document.items() if key != "version"}
    if doc.get("format") == UNIT_FORMAT[0]:
        doc["codes"] = sorted(doc["codes"], key=lambda c: c["awarding_body"]["code"])
        doc["methods"] = sorted(doc["methods"], key=lambda m: (m["order"], m["code"]))
        doc["outcomes"] = [
            {**o, "criteria": sorted(o["criteria"], key=lambda c: c["number"])}
            for o in sorted(doc["outcomes"], key=lambda o: o["number"])
        ]
        doc["range"] = sorted(doc["range"], key=lambda r: r["letter"])
        doc["evidence_requirements"] = sorted(doc["evidence_requirements"], key=lambda r: r["number"])
    else:
        doc["groups"] = sorted(doc["groups"], key=lambda g: g["number"])
    return doc
