"""The centre's guidance to assessors (seeds 003 and 004): loaded as data, word for word, tied to criteria by
number, and shown beside each criterion while the assessor reviews evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments.tests.test_evidence_views import add
from units.library.guidance import unit_guidance
from units.models import AssessorGuidance, Criterion, Unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = {
    "Highfield revision page": FIXTURES / "seeds" / "003_dd92309b814d0a6e.txt",
    "Revision notes": FIXTURES / "seeds" / "004_017e295b97362edf.txt",
}


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def guidance(unit):
    call_command("loaddata", "guidance_c4", verbosity=0)
    return unit_guidance(unit)


def test_every_item_is_word_for_word_from_the_seed_it_names_and_under_the_heading_it_names(guidance):
    rows = json.loads((FIXTURES / "guidance_c4.json").read_text(encoding="utf-8"))
    assert len(rows) == AssessorGuidance.objects.count() == 25
    headings = {
        "key criteria assessors look for": "Key criteria assessors look for in your portfolio",
        "examiner marking points": "Examiner Marking Points",
        "common mistakes": "Common errors to avoid in your coursework",
        "common misconceptions and mistakes": "Common Misconceptions & Mistakes to Avoid",
    }
    for row in rows:
        document, heading = row["fields"]["source"].split(": ", 1)
        seed = flat(SEEDS[document].read_text(encoding="utf-8"))
        section = seed[seed.index(headings[heading]) :]
        assert flat(row["fields"]["text"]) in section, row["fields"]["text"]


def test_every_criterion_named_is_one_of_the_units(guidance, unit):
    codes = {
        f"{c.outcome.number}.{c.number}" for c in Criterion.objects.filter(outcome__unit=unit).select_related("outcome")
    }
    named = {code for item in AssessorGuidance.objects.all() for code in item.criteria}
    assert named and named <= codes


def test_loading_the_guidance_again_changes_nothing(guidance):
    before = list(AssessorGuidance.objects.values_list("pk", "text"))
    call_command("loaddata", "guidance_c4", verbosity=0)
    assert list(AssessorGuidance.objects.values_list("pk", "text")) == before


def test_a_criterion_has_its_marking_points_first_then_its_common_mistakes(guidance):
    listening = guidance.by_criterion["2.1"]
    assert [item.kind for item in listening] == ["marking_point", "common_mistake", "common_mistake"]
    assert listening[0].text.startswith("Award credit for demonstrating active listening")
    assert [item.text for item in guidance.by_criterion["3.6"]] == [
        "Equating assertiveness with aggression, leading to escalation rather than resolution."
    ]
    assert "Apply techniques to de-escalate conflict." in [item.text for item in guidance.whole_unit]


def test_a_new_version_of_the_unit_keeps_the_guidance_by_criterion_number(guidance, unit):
    version_2 = Unit.objects.create(
        slug=f"{unit.slug}-v2", family=unit.slug, version=2, title=unit.title, level=2, credit_value=5,
        guided_learning_hours=40, purpose="-", assessment_statement="-", validity_statement="-",
        learner_declaration="-", assessor_statement="-",
    )  # fmt: skip
    assert unit_guidance(version_2).by_criterion.keys() == guidance.by_criterion.keys()


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</fieldset>", start)]


def test_the_assessor_sees_the_guidance_beside_each_criterion_claimed_while_reviewing(client, world, guidance):
    item = add(world, method="PE", criteria=["2.1", "3.6"], range_items=["b"], title="Complaints log")
    client.force_login(world.assessor)
    html = client.get(reverse("evidence_review", args=[item.pk])).content.decode()
    listening = _section(html, f"claim-claim_c{Criterion.objects.get(outcome__number=2, number=1).pk}")
    assert listening.count('class="review-guidance') == 1
    assert "Award credit for demonstrating active listening" in listening
    assert "Neglecting to listen fully to the customer before offering solutions." in listening
    assert "Equating assertiveness" not in listening
    behaviour = _section(html, f"claim-claim_c{Criterion.objects.get(outcome__number=3, number=6).pk}")
    assert "Equating assertiveness with aggression" in behaviour
    # The range item has no guidance of its own; the unit-wide guidance is shown once, above the claims.
    assert html.count('class="review-guidance') == 3
    assert html.count("Centre guidance for the whole unit") == 1


def test_a_review_without_guidance_loaded_shows_none(client, world, unit):
    item = add(world, method="PE", criteria=["2.1"], title="Complaints log")
    client.force_login(world.assessor)
    assert "review-guidance" not in client.get(reverse("evidence_review", args=[item.pk])).content.decode()
