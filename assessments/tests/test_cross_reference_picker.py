"""The cross-referencing list beside the unit drives the evidence form's cross-reference picker: the learner's other
units that the list names come first, in the list's order, and say so; the rest follow in title order, since the
workbook's list gives examples ("e.g. 101, 102, ..."), not a limit."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import PortfolioFactory
from units.models import UnitCode


def summaries(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", s).strip() for s in re.findall(r"<summary[^>]*>(.*?)</summary>", page, re.S)]


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def register(world, unit):
    return PortfolioFactory(centre=world.centre, learner=world.learner, unit=unit, assessor=world.assessor, iv=world.iv)


def test_units_on_the_list_lead_the_picker_in_its_order_and_say_so(
    learner_client,
    world,
    second_unit,
    third_unit,
):
    register(world, second_unit)  # 998: not on 220's list
    register(world, third_unit)  # 997: put on it below
    url = reverse("evidence_add", args=[world.portfolio.pk])
    page = learner_client.get(url).content.decode()
    # The list names neither: title order, and no unit claims to be listed.
    assert summaries(page) == [
        "Also counts towards unit 998 Communicate with customers (test unit)",
        "Also counts towards unit 997 Keep customer records (test unit)",
    ]
    assert page.count('class="listed"') == 0

    UnitCode.objects.filter(unit=world.portfolio.unit, awarding_body__code="CG").update(
        cross_reference_units=["101", "997", "102"]
    )
    page = learner_client.get(url).content.decode()
    assert summaries(page) == [
        "Also counts towards unit 997 Keep customer records (test unit)",
        "Also counts towards unit 998 Communicate with customers (test unit)",
    ]
    assert page.count('class="listed"') == 1
    listed = page.index('class="listed"')
    assert page.index("unit 997") < listed < page.index("unit 998")

    # Both listed: the list's own order, not the titles'.
    UnitCode.objects.filter(unit=world.portfolio.unit, awarding_body__code="CG").update(
        cross_reference_units=["998", "997"]
    )
    page = learner_client.get(url).content.decode()
    assert summaries(page)[0].startswith("Also counts towards unit 998") and page.count('class="listed"') == 2


def test_another_awarding_bodys_number_on_the_list_does_not_lead(learner_client, world, second_unit, third_unit):
    """The list is in the learner's awarding body's numbers: OCR's T97 on City & Guilds' list names nothing."""
    register(world, second_unit)
    register(world, third_unit)
    UnitCode.objects.filter(unit=world.portfolio.unit, awarding_body__code="CG").update(cross_reference_units=["T97"])
    page = learner_client.get(reverse("evidence_add", args=[world.portfolio.pk])).content.decode()
    assert summaries(page)[0].startswith("Also counts towards unit 998") and 'class="listed"' not in page
