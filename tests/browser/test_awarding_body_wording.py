"""A City & Guilds learner works in City & Guilds' wording from start to finish: the workbook's 220.x.y numbers and
its "you" wording on the portfolio, the evidence form and the sign-off, and nothing of OCR's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Evidence
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def no_ocr(page) -> None:
    text = page.locator("body").inner_text()
    assert "OCR" not in text and "C4" not in text, page.url


def test_a_city_and_guilds_learner_reads_city_and_guilds_wording_on_every_page(open_as, world):
    learner = open_as(world.learner.email)
    learner.get_by_role("link", name="Deliver customer service to difficult customers", exact=True).click()
    expect(learner.get_by_text("City & Guilds unit 220")).to_be_visible()
    expect(learner.get_by_role("heading", name="220.2 To deal with difficult customers, you must:")).to_be_visible()
    expect(
        learner.get_by_role("rowheader", name="220.2.1 listen patiently to what your customer wants to tell you")
    ).to_be_visible()
    expect(learner.get_by_text("Listen patiently to what their customer")).to_have_count(0)
    expect(learner.locator("#cross-referencing")).to_contain_text(
        "Evidence from this unit could also count towards units 101, 102, 103"
    )
    no_ocr(learner)

    learner.get_by_role("link", name="Add evidence").click()
    expect(learner.locator("#reflective-prompt")).to_contain_text(
        "What have you done in your workplace that is similar?"
    )
    learner.get_by_label("Assessment method").select_option(label="RA Reflective account")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("220.2.4 express empathy with your customer").check()
    # Sent back for its missing title: the form comes back with the reflective account's prompt to the fore.
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.locator("#reflective-prompt")).to_contain_text("Your reflective account.")
    no_ocr(learner)
    learner.get_by_role("textbox", name="Title*", exact=True).fill("The delayed flight queue")
    learner.get_by_label("Description or written account").fill("Passengers were angry; I saw it their way.")
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E1 The delayed flight queue")).to_be_visible()
    expect(learner.get_by_role("row", name="220.2.4 express empathy with your customer")).to_contain_text("E1")

    learner.get_by_role("link", name="Sign-off").click()
    learner.get_by_label("I confirm that the evidence provided is a result of my own work.").check()
    learner.get_by_label("Your password, to sign").fill(PASSWORD)
    learner.get_by_role("button", name="Submit for assessment").click()
    expect(learner.get_by_text("Status: Submitted by the learner")).to_be_visible()
    expect(learner.get_by_role("cell", name="Signature of candidate")).to_be_visible()
    no_ocr(learner)

    # The assessor reviewing it reads the same wording the learner chose it by.
    assessor = open_as(world.assessor.email)
    assessor.goto(f"/evidence/{Evidence.objects.get().pk}/review/")
    expect(assessor.get_by_text("220.2.4 express empathy with your customer")).to_be_visible()
    no_ocr(assessor)
    assert learner.problems == [] and assessor.problems == []
