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
