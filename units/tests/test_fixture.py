"""The unit C4 / 220 fixture: complete, idempotent and word for word from the seed documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from units.models import (
    AssessmentMethod,
    AwardingBody,
    Criterion,
    EvidenceRequirement,
    LearningOutcome,
    RangeItem,
    Unit,
    UnitCode,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = FIXTURES / "seeds"
SPEC_PDF = SEEDS / "000_f1774948983de7e0.txt"
SPEC_HTML = SEEDS / "001_0d0bdf791efd20c3.txt"
WORKBOOK = SEEDS / "002_36a952da0903581f.txt"
SLUG = "deliver-customer-service-to-difficult-customers"


def normalise(text: str) -> str:
    """Compare wording only: one apostrophe, one hyphen, no markup, single spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2010", "-")
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("\u2022", " ").replace("*", "")
    text = re.sub(r"\s+", " ", text)
    # A word hyphenated across a PDF line ("re-\nopen") is one word.
    return re.sub(r"(\w)- (\w)", r"\1-\2", text)


def seed(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))


def load() -> None:
    call_command("loaddata", "unit_c4", verbosity=0)


def criterion(outcome: int, number: int) -> Criterion:
    return Criterion.objects.get(outcome__unit__slug=SLUG, outcome__number=outcome, number=number)


def snapshot() -> dict[str, object]:
    models = [
        AwardingBody,
        AssessmentMethod,
        Unit,
        UnitCode,
        LearningOutcome,
        Criterion,
        RangeItem,
        EvidenceRequirement,
    ]
    return {
        "counts": {model.__name__: model.objects.count() for model in models},
        "methods": Unit.methods.through.objects.count(),
        "criteria": [(c.pk, c.code, c.text, c.workbook_text) for c in Criterion.objects.select_related("outcome")],
    }


@pytest.mark.django_db
def test_fixture_has_one_unit_three_outcomes_27_criteria_4_range_items_4_requirements_7_methods_2_codes():
    load()
    assert Unit.objects.count() == 1
    unit = Unit.objects.get(slug=SLUG)
    assert unit.outcomes.count() == 3
    assert Criterion.objects.count() == 27
    assert [o.criteria.count() for o in unit.outcomes.order_by("number")] == [7, 10, 10]
    assert unit.range_items.count() == 4
    assert unit.evidence_requirements.filter(awarding_body__code="OCR").count() == 4
    assert unit.evidence_requirements.filter(awarding_body__code="CG").count() == 4
    assert not unit.evidence_requirements.filter(awarding_body__isnull=True).exists()
    assert AssessmentMethod.objects.count() == 7
    assert unit.methods.count() == 7
    assert UnitCode.objects.count() == 2
    assert AwardingBody.objects.count() == 2


@pytest.mark.django_db
def test_loading_the_fixture_twice_changes_nothing():
    load()
    first = snapshot()
    load()
    assert snapshot() == first


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "number"),
    [(1, 1), (1, 4), (2, 4), (2, 9), (2, 10), (3, 2), (3, 6), (3, 7), (3, 10)],
)
def test_criterion_text_is_the_specifications_wording(outcome, number):
    load()
    text = criterion(outcome, number).text
    assert normalise(text) == text.replace("\u2019", "'"), "no stray whitespace or markup in the fixture"
    assert normalise(text) in seed(SPEC_HTML)
    assert normalise(text) in seed(SPEC_PDF)


@pytest.mark.django_db
def test_every_criterion_text_occurs_in_the_specification():
    load()
    spec = seed(SPEC_HTML)
    missing = [c.code for c in Criterion.objects.select_related("outcome") if normalise(c.text) not in spec]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(("outcome", "number"), [(1, 1), (1, 7), (2, 9), (2, 10), (3, 2), (3, 10)])
def test_criterion_workbook_text_is_the_workbooks_wording(outcome, number):
    load()
    workbook_text = criterion(outcome, number).workbook_text
    assert normalise(workbook_text) in seed(WORKBOOK)
    assert f"220.{outcome}.{number} {normalise(workbook_text)}" in seed(WORKBOOK)
    assert not workbook_text.endswith(".")


@pytest.mark.django_db
def test_every_criterion_workbook_text_occurs_in_the_workbook():
    load()
    workbook = seed(WORKBOOK)
    missing = [
        c.code
        for c in Criterion.objects.select_related("outcome")
        if f"220.{c.code} {normalise(c.workbook_text)}" not in workbook
    ]
    assert missing == []


@pytest.mark.django_db
def test_range_items_are_the_specifications_wording():
    load()
    items = list(RangeItem.objects.filter(unit__slug=SLUG).values_list("letter", "text"))
    assert items == [
        ("a", "during routine delivery of customer service"),
        ("b", "during a busy time in your job"),
        ("c", "during a quiet time in your job"),
        ("d", "when people, systems or resources have let you down"),
    ]
    for letter, text in items:
        assert f"{letter} {text}" in seed(SPEC_HTML)
        assert f"{letter} {text}" in seed(SPEC_PDF)
        assert text in seed(WORKBOOK)


@pytest.mark.django_db
def test_evidence_requirements_are_the_specifications_wording_and_only_4_introduces_the_range():
    load()
    requirements = list(EvidenceRequirement.objects.filter(unit__slug=SLUG, awarding_body__code="OCR"))
    assert [r.number for r in requirements] == [1, 2, 3, 4]
    assert [r.introduces_range for r in requirements] == [False, False, False, True]
    assert requirements[3].text == "You must provide evidence of delivering customer service to difficult customers:"
    for requirement in requirements:
        assert f"{requirement.number}. {normalise(requirement.text)}" in seed(SPEC_HTML)
        assert "*" not in requirement.text


@pytest.mark.django_db
def test_city_and_guilds_requirements_and_note_are_the_workbooks_wording_typo_included():
    load()
    requirements = list(EvidenceRequirement.objects.filter(unit__slug=SLUG, awarding_body__code="CG"))
    assert [r.introduces_range for r in requirements] == [False, False, False, True]
    # "Your must" is the workbook's own misprint, kept as printed.
    assert requirements[3].text == "Your must provide evidence of delivering customer service to difficult customers:"
    workbook = seed(WORKBOOK)
    for position, requirement in enumerate(requirements[:3], start=1):
        assert f"{position} {normalise(requirement.text)}" in workbook
        assert "OCR" not in requirement.text
    note = UnitCode.objects.get(unit__slug=SLUG, awarding_body__code="CG").assessment_note
    assert note.startswith("You need to show that you understand")
    assert f"Assessed evidence {normalise(note)}" in workbook
    # OCR's own note is its specification's "Assessment" statement, word for word.
    ocr_note = UnitCode.objects.get(unit__slug=SLUG, awarding_body__code="OCR").assessment_note
    assert ocr_note.startswith("This qualification is internally assessed") and ocr_note.endswith("by OCR Assessors.")
    assert f"Assessment {ocr_note}" in seed(SPEC_HTML) and ocr_note in seed(SPEC_PDF)


@pytest.mark.django_db
def test_requirement_3_says_sufficient_period_of_time_and_no_text_contains_mtime():
    load()
    requirement = EvidenceRequirement.objects.get(unit__slug=SLUG, number=3)
    assert "sufficient period of time" in requirement.text
    assert "mtime" not in (FIXTURES / "unit_c4.json").read_text(encoding="utf-8")
    # The typo is the spec's own: the PDF copy really does say "mtime".
    assert "sufficient period of mtime" in seed(SPEC_PDF)


def test_fixture_uses_natural_keys_only_and_typographic_apostrophes():
    objects = json.loads((FIXTURES / "unit_c4.json").read_text(encoding="utf-8"))
    assert all("pk" not in obj for obj in objects)
    raw = (FIXTURES / "unit_c4.json").read_text(encoding="utf-8")
    assert "'" not in raw
    assert "\u2010" not in raw
    assert "  " not in "".join(str(value) for obj in objects for value in obj["fields"].values())


@pytest.mark.django_db
def test_criterion_2_10_labels_as_220_2_10_for_city_and_guilds_and_2_10_for_ocr():
    load()
    c = criterion(2, 10)
    assert c.label(UnitCode.objects.get(awarding_body__code="CG", code="220")) == "220.2.10"
    assert c.label(UnitCode.objects.get(awarding_body__code="OCR", code="C4")) == "2.10"
    assert c.label() == "2.10"


@pytest.mark.django_db
def test_criteria_are_ordered_1_1_to_3_10_with_2_10_after_2_9():
    load()
    codes = [c.code for c in Criterion.objects.filter(outcome__unit__slug=SLUG).select_related("outcome")]
    assert codes == (
        [f"1.{n}" for n in range(1, 8)] + [f"2.{n}" for n in range(1, 11)] + [f"3.{n}" for n in range(1, 11)]
    )
    assert codes.index("2.10") == codes.index("2.9") + 1


@pytest.mark.django_db
def test_simulation_is_not_allowed_and_outcomes_1_and_2_are_performance_3_knowledge():
    load()
    unit = Unit.objects.get(slug=SLUG)
    assert unit.simulation_allowed_for_performance is False
    assert [(o.number, o.kind, o.is_performance) for o in unit.outcomes.order_by("number")] == [
        (1, "performance", True),
        (2, "performance", True),
        (3, "knowledge", False),
    ]


@pytest.mark.django_db
def test_outcome_guidance_bullets_occur_in_the_specification():
    load()
    spec = seed(SPEC_PDF)
    outcomes = list(LearningOutcome.objects.filter(unit__slug=SLUG))
    assert [len(o.guidance) for o in outcomes] == [6, 10, 10]
    for outcome in outcomes:
        assert normalise(outcome.title) in spec
        assert normalise(outcome.guidance_intro) in spec
        assert normalise(outcome.element_title) in seed(WORKBOOK)
        assert normalise(" ".join(outcome.guidance)) in spec


@pytest.mark.django_db
def test_city_and_guilds_verifiers_sign_under_the_workbook_block_statement_and_ocr_gives_none():
    load()
    cg = UnitCode.objects.get(unit__slug=SLUG, awarding_body__code="CG")
    workbook = seed(WORKBOOK)
    # The workbook's block: its statement, then the boxes the IV and the EV sign in ("if sampled").
    statement = normalise(cg.iv_statement)
    assert cg.ev_statement == cg.iv_statement == cg.unit.validity_statement
    assert workbook.index(statement) < workbook.index("Signature of IV (if sampled)")
    assert workbook.index(statement) < workbook.index("Signature of EV (if sampled)")
    ocr = UnitCode.objects.get(unit__slug=SLUG, awarding_body__code="OCR")
    assert ocr.iv_statement == ocr.ev_statement == ""
    # Nothing for OCR to have taken: its specification prints no sign-off block.
    for copy in (seed(SPEC_PDF), seed(SPEC_HTML)):
        assert "Signature of" not in copy and "valid, sufficient" not in copy
