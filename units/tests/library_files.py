"""Unit files for the tests of the library's upload page: the C4 unit as exported, and a test unit made from it
under a test awarding body (not a real unit: only its shape is the C4 file's)."""

from __future__ import annotations

import json
from typing import Any

from units.library.documents import dumps, unit_document
from units.models import Unit

TEST_TITLE = "Test unit loaded through the page"


def c4_document(unit: Unit) -> dict[str, Any]:
    return json.loads(dumps(unit_document(unit)))


def new_unit_document(unit: Unit) -> dict[str, Any]:
    """A new unit the library does not hold: its own slug, title and number under its own awarding body."""
    document = c4_document(unit)
    document.update(slug="test-unit-loaded-through-the-page", title=TEST_TITLE)
    document["codes"] = [
        {
            "awarding_body": {"code": "TST", "name": "Test Awarding Body", "criterion_style": "plain"},
            "number": "T1",
            "cross_reference_units": [],
            "assessment_note": "",
            "iv_statement": "",
            "ev_statement": "",
        }
    ]
    document["evidence_requirements"] = [
        {**r, "awarding_body": "TST"} for r in document["evidence_requirements"] if r["awarding_body"] == "OCR"
    ]
    # Its own body's words throughout: the bodies named must be among the unit's own.
    document["text_awarding_body"] = document["sign_off_awarding_body"] = "TST"
    return document


def broken_document(unit: Unit) -> dict[str, Any]:
    """Three problems, each in its own field."""
    document = new_unit_document(unit)
    document.pop("title")
    document["outcomes"][0]["criteria"][0]["text"] = ""
    document["outcomes"][2]["kind"] = "skills"
    return document


def as_bytes(document: dict[str, Any]) -> bytes:
    return dumps(document).encode("utf-8")
