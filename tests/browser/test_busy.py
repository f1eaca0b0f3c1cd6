"""A double click on a button that starts slow work in a real browser: the button says it is busy at once and the
second click sends nothing, so one thing is saved; shown again from the browser's cache, the button works again."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments import services as assessment_services
from assessments.models import Evidence, EvidenceFile
from quality.models import SamplingPlan
from quality.services import sampling as sampling_services
from tests import samples
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there

pytestmark = pytest.mark.browser


def test_a_double_click_on_make_the_plan_shows_it_busy_and_makes_one_plan(open_as, world, monkeypatch):
    # The server takes its time, as it does for a phone on a slow line, so the page can be read while it waits.
    make = sampling_services.sampling_plan_create

    def slowly(**kwargs):
        time.sleep(1.5)
        return make(**kwargs)

    monkeypatch.setattr(sampling_services, "sampling_plan_create", slowly)
    today = timezone.localdate()
    iv = open_as(world.iv.email)
    iv.goto("/quality/plans/new/")
    iv.get_by_label("Title").fill("Spring term")
    iv.get_by_label("From").fill(today.isoformat())
    iv.get_by_label("To").fill((today + datetime.timedelta(days=60)).isoformat())
    sent = []
    iv.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)

    # Two clicks faster than any hand: the second comes before the button has even been disabled. What the
    # button shows is read while the server is still at work (Playwright's own waits would wait for the next
    # page), and again after a pageshow, as when the back button brings the page back from the browser's cache.
    shown = iv.get_by_role("button", name="Make the plan").evaluate(
        """button => {
             const state = () => ({
               label: button.textContent, disabled: button.disabled, busy: button.getAttribute("aria-busy"),
             });
             button.click();
             button.click();
             return new Promise(done => setTimeout(() => {
               const busy = state();
               window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
               done({busy, shown_again: state()});
             }, 100));
           }"""
    )
    assert shown["busy"] == {"label": "Making the plan…", "disabled": True, "busy": "true"}
    assert shown["shown_again"] == {"label": "Make the plan", "disabled": False, "busy": None}

    expect(iv.get_by_role("heading", name="Spring term")).to_be_visible()
    expect(iv.get_by_text("Sampling plan “Spring term” made.")).to_have_count(1)
    assert SamplingPlan.objects.count() == 1
    assert len(sent) == 1, sent


def test_an_upload_sent_through_htmx_shows_saving_and_a_double_click_saves_one_item(open_as, world, monkeypatch):
    save = assessment_services.evidence_save

    def slowly(**kwargs):
        time.sleep(1.5)
        return save(**kwargs)

    monkeypatch.setattr(assessment_services, "evidence_save", slowly)
    learner = open_as(world.learner.email)
    learner.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Refund complaint on a busy Saturday")
    learner.get_by_label("Assessment method").select_option(label="RA Reflective account")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("Files").set_input_files(
        [{"name": "complaints-log.png", "mimeType": "image/png", "buffer": samples.png((800, 600))}]
    )
    learner.get_by_label("2.1 Listen patiently").check()
    sent = []
    learner.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)

    shown = learner.get_by_role("button", name="Add evidence").evaluate(
        """button => {
             button.click();
             button.click();
             return new Promise(done => setTimeout(() => done({
               label: button.textContent, disabled: button.disabled, busy: button.getAttribute("aria-busy"),
             }), 300));
           }"""
    )
    assert shown == {"label": "Saving…", "disabled": True, "busy": "true"}
    expect(learner.get_by_text("Added E1 Refund complaint on a busy Saturday")).to_have_count(1)
    assert Evidence.objects.count() == 1 and EvidenceFile.objects.count() == 1
    assert len(sent) == 1, sent
