"""Each awarding body's learners are shown that body's evidence requirements and assessment note, no other's."""

import re

import pytest
from django.urls import reverse

from tests.factories import PortfolioFactory
from units.models import AwardingBody, EvidenceRequirement

pytestmark = pytest.mark.django_db


def requirements_block(html: str) -> str:
    match = re.search(r'<details id="evidence-requirements".*?</details>', html, re.S)
    assert match, "the portfolio page has no evidence requirements"
    return match.group(0)


def test_a_city_and_guilds_learner_reads_the_workbooks_requirements_and_note_and_nothing_of_ocrs(client, world):
    client.force_login(world.learner)
    block = requirements_block(client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode())
    assert "Evidence requirements (City &amp; Guilds)" in block
    assert "OCR" not in block
    assert "Assessment Strategy for Customer Service S/NVQs" in block
    assert "Your must provide evidence of delivering customer service to difficult customers:" in block
    assert "a during routine delivery of customer service" in block
    assert "You need to show that you understand and are able to complete all the elements" in block
    assert block.count("<li>") == 4


def test_an_ocr_learner_reads_ocrs_requirements_and_its_own_note_not_the_workbooks(client, world):
    portfolio = PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"))
    client.force_login(portfolio.learner)
    block = requirements_block(client.get(reverse("portfolio_detail", args=[portfolio.pk])).content.decode())
    assert "Evidence requirements (OCR)" in block
    assert "OCR Customer Service Centre Handbook" in block
    assert "Assessment Strategy for Customer Service" not in block
    assert "Your must" not in block
    assert block.count('id="assessment-note"') == 1
    assert "externally verified by OCR Assessors" in block and "You need to show that you understand" not in block
    assert block.count("<li>") == 4


def test_a_requirement_for_every_body_is_shown_to_both(client, world):
    EvidenceRequirement.objects.create(unit=world.portfolio.unit, number=20, text="Keep every record dated.")
    ocr = PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"))
    for portfolio in (world.portfolio, ocr):
        client.force_login(portfolio.learner)
        html = client.get(reverse("portfolio_detail", args=[portfolio.pk])).content.decode()
        assert "Keep every record dated." in requirements_block(html)


def test_the_unit_library_labels_each_bodys_requirements_with_its_name(client, world, unit):
    client.force_login(world.learner)
    html = client.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    ocr = re.search(r'<section aria-labelledby="requirements-OCR">.*?</section>', html, re.S).group(0)
    cg = re.search(r'<section aria-labelledby="requirements-CG">.*?</section>', html, re.S).group(0)
    assert "OCR (unit C4)" in ocr and "OCR Customer Service Centre Handbook" in ocr
    assert "City &amp; Guilds (unit 220)" in cg and "OCR" not in cg
    assert "Your must provide evidence" in cg and "You need to show that you understand" in cg
