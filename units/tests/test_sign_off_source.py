"""Whose words the sign-off block is, told where a learner signs to it: an OCR learner signs to the City & Guilds
workbook's declaration (OCR's specification prints no sign-off block) and is told so once, beside the sign-off
wording, with the declaration they tick pointing to it; a City & Guilds learner reads their own body's words with
no note."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from assessments.models import Portfolio
from assessments.tests.test_signoff import cover_everything
from units.models import AwardingBody

NOTE = "OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' words."


@pytest.mark.parametrize("body", ["OCR", "CG"])
def test_the_learner_is_told_whose_declaration_they_sign_to_where_their_body_gives_none(client, world, body):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(awarding_body=AwardingBody.objects.get(code=body))
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    cover_everything(world)
    client.force_login(world.learner)
    page = html.unescape(client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode())
    assert "I confirm that the evidence provided is a result of my own work." in page
    checkbox = re.search(r'<input[^>]*id="declaration"[^>]*>', page).group(0)
    if body == "OCR":
        assert page.count(NOTE) == 1
        assert f'<p class="small text-body-secondary" id="sign-off-wording-source">{NOTE}</p>' in page
        assert 'aria-describedby="sign-off-wording-source"' in checkbox
    else:
        assert "gives no wording of its own" not in page
        assert "aria-describedby" not in checkbox
