from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from units.models import Criterion, EvidenceRequirement, LearningOutcome


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.learner)
    return client


def test_unit_page_shows_every_criterion_range_item_guidance_and_requirement(signed_in, unit):
    html = signed_in.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    for criterion in Criterion.objects.filter(outcome__unit=unit):
        assert criterion.text.replace("’", "&#x27;") in html.replace("’", "&#x27;")
    for item in unit.range_items.all():
        assert item.text in html
    for outcome in LearningOutcome.objects.filter(unit=unit):
        for bullet in outcome.guidance:
            assert bullet.replace("’", "&#x27;") in html.replace("’", "&#x27;")
    for requirement in EvidenceRequirement.objects.filter(unit=unit):
        assert requirement.text[:40] in html
    assert "Simulation is not allowed for any performance evidence" in html
    assert "Guided learning hours" in html and ">40<" in html


def test_city_and_guilds_numbering_prints_criteria_as_220_x_y(signed_in, unit):
    plain = signed_in.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    cg = signed_in.get(reverse("unit_detail", args=[unit.slug]) + "?numbering=CG").content.decode()
    assert '<span class="ref">2.10</span>' in plain
    assert '<span class="ref">220.2.10</span>' in cg
    assert '<span class="ref">220.3.1</span>' in cg


def test_unit_page_runs_a_fixed_number_of_queries(signed_in, unit):
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(reverse("unit_detail", args=[unit.slug]))
    # Session, user, roles and one query per kind of unit data: never one per criterion.
    assert len(queries) < 20


def test_unknown_unit_is_404(signed_in):
    assert signed_in.get(reverse("unit_detail", args=["no-such-unit"])).status_code == 404


def test_unit_list_names_each_awarding_body_number(signed_in, unit):
    html = signed_in.get(reverse("unit_list")).content.decode()
    assert "OCR C4" in html and "City &amp; Guilds 220" in html


def test_unit_page_shows_the_sign_off_wording_and_each_bodys_own_verifier_statements(signed_in, unit):
    html = signed_in.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    start = html.index('id="unit-sign-off"')
    block = html[start : html.index("</section>", start)]
    assert unit.learner_declaration in block and unit.assessor_statement in block
    # City & Guilds' workbook gives its verifiers their words; OCR's specification gives none, so none is listed.
    assert block.count("Internal verifier (City &amp; Guilds)") == 1
    assert block.count("External verifier (City &amp; Guilds)") == 1
    assert "(OCR)" not in block


def _between(html: str, start: str, end: str) -> str:
    at = html.index(start)
    return html[at : html.index(end, at)]


@pytest.mark.parametrize("numbering", ["", "?numbering=CG"])
def test_ocrs_own_text_is_labelled_as_ocrs_whatever_the_numbering(signed_in, unit, numbering):
    html = signed_in.get(reverse("unit_detail", args=[unit.slug]) + numbering).content.decode()
    label = "OCR&#x27;s specification"
    purpose = _between(html, 'id="purpose"', "</section>")
    assert purpose.count(label) == 1 and purpose.index(label) < purpose.index(unit.purpose[:40].replace("’", "&#x27;"))
    # Each outcome's knowledge, understanding and skills are OCR's: labelled on each summary.
    summaries = html.count("<summary>Knowledge, understanding and skills")
    assert (
        summaries
        == LearningOutcome.objects.filter(unit=unit).count()
        == html.count(f'skills <span class="text-source">({label})')
    )
    assessment = _between(html, 'id="assessment"', 'id="unit-sign-off"')
    assert f'<span class="text-source">{label}:</span> {unit.assessment_statement}' in assessment
    assert f'National Occupational Standards mapping <span class="text-source">({label})' in assessment
    requirements = _between(html, 'id="requirements"', 'aria-labelledby="methods"')
    assert f'<span class="text-source">{label}:</span> {unit.evidence_guidance}' in requirements
    assert f'Additional information <span class="text-source">({label})' in html
    # City & Guilds' text is never labelled OCR's.
    assert "City &amp; Guilds&#x27; specification" not in html


def test_the_sign_off_block_says_it_is_the_workbooks_wording_and_that_ocr_gives_none(signed_in, unit):
    html = signed_in.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    block = _between(html, 'id="unit-sign-off"', "</section>")
    note = _between(block, 'text-source">', "</p>")
    assert note == (
        'text-source">City &amp; Guilds&#x27; wording. OCR gives no wording of its own for the unit sign-off, so these'
        " are City &amp; Guilds&#x27; words."
    )
    assert block.index(note) < block.index(unit.learner_declaration)


def test_a_unit_not_saying_whose_words_it_holds_labels_nothing(signed_in, unit):
    unit.text_awarding_body = unit.sign_off_awarding_body = None
    unit.save(update_fields=["text_awarding_body", "sign_off_awarding_body"])
    html = signed_in.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    assert "text-source" not in html


def test_the_sign_off_note_is_for_the_other_bodys_learners_only(unit):
    from units.models import AwardingBody

    ocr, cg = AwardingBody.objects.get(code="OCR"), AwardingBody.objects.get(code="CG")
    assert unit.sign_off_borrowed_note(cg) == ""
    assert unit.sign_off_borrowed_note(ocr) == (
        "OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' words."
    )
    assert unit.sign_off_borrowed_note(None) == ""
