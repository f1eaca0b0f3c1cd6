"""Each awarding body's own wording, decided in one place: the workbook's for City & Guilds, the specification's for
OCR; and the newest version of each unit for new registrations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import PortfolioFactory, unit_next_version
from units.models import WORKBOOK_PROMPTS, WORKBOOK_SIGN_OFF, Criterion, UnitCode

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def flat(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


@pytest.fixture
def workbook() -> str:
    return flat((SEEDS / "002_36a952da0903581f.txt").read_text())


@pytest.fixture
def codes(unit) -> dict[str, UnitCode]:
    return {c.awarding_body.code: c for c in unit.codes.select_related("awarding_body")}


def test_only_the_body_that_numbers_criteria_the_workbooks_way_reads_the_workbook(codes):
    assert codes["CG"].awarding_body.uses_workbook_wording
    assert not codes["OCR"].awarding_body.uses_workbook_wording


def test_a_city_and_guilds_learner_reads_every_criterion_and_element_word_for_word_from_the_workbook(
    unit, codes, workbook
):
    cg = codes["CG"]
    for criterion in Criterion.objects.filter(outcome__unit=unit).select_related("outcome"):
        # The workbook prints "220.2.1  listen patiently ...": number and wording side by side.
        assert f"{criterion.label(cg)} {flat(criterion.wording(cg))}" in workbook, criterion.code
    for outcome in unit.outcomes.all():
        assert f"{outcome.label(cg)} {flat(outcome.wording(cg))}" in workbook, outcome.number


def test_an_ocr_learner_reads_the_specifications_numbering_and_wording(unit, codes):
    ocr = codes["OCR"]
    spec = flat(re.sub(r"<[^>]+>", " ", (SEEDS / "001_0d0bdf791efd20c3.txt").read_text()))
    for criterion in Criterion.objects.filter(outcome__unit=unit).select_related("outcome"):
        assert criterion.wording(ocr) == criterion.text
        assert f"{criterion.label(ocr)} {flat(criterion.wording(ocr))}" in spec, criterion.code
    outcome = unit.outcomes.get(number=2)
    assert (outcome.label(ocr), outcome.wording(ocr)) == ("2", "Deal with difficult customers")


def test_without_a_workbook_wording_the_specifications_stands(unit, codes):
    criterion = Criterion.objects.filter(outcome__unit=unit).first()
    criterion.workbook_text = ""
    assert criterion.wording(codes["CG"]) == criterion.text
    assert criterion.wording(None) == criterion.text


def test_the_reflective_prompt_and_sign_off_names_are_the_workbooks_own(workbook, codes):
    assert WORKBOOK_PROMPTS["RA"] in workbook
    for name in WORKBOOK_SIGN_OFF.values():
        assert name in workbook
    cg, ocr = codes["CG"].awarding_body, codes["OCR"].awarding_body
    assert cg.sign_off_label("iv", "Internal verifier") == "Signature of IV (if sampled)"
    assert ocr.sign_off_label("iv", "Internal verifier") == "Internal verifier"


def test_newest_versions_gives_each_number_once_on_its_newest_unit(unit):
    assert UnitCode.newest_versions().filter(unit=unit).count() == 2
    newer = unit_next_version(PortfolioFactory(unit=unit).unit)
    newest = UnitCode.newest_versions()
    assert sorted(newest.values_list("awarding_body__code", "code", "unit")) == [
        ("CG", "220", newer.pk),
        ("OCR", "C4", newer.pk),
    ]
    assert UnitCode.objects.filter(code="220").count() == 2  # the first version keeps its number
