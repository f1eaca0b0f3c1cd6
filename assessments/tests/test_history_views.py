"""The unit's history page: whole, in plain words, grouped by round, paged so a long-lived unit stays small."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.records.views.history import EVENTS_PER_PAGE
from assessments.signoff.services import unit_refer
from assessments.tests.test_signoff import cover_everything, sign, submit
from audit.services import audit_log
from people.models import Role
from tests.pages import assert_one_layout

pytestmark = pytest.mark.django_db
RAW_ACTION = re.compile(r"\b(portfolio|signature|evidence|witness|plan)\.[a-z_]+\b")


def history(client, world, user=None, **params):
    client.force_login(user or world.iv)
    return client.get(reverse("portfolio_history", args=[world.portfolio.pk]), params)


def many_events(world, count: int) -> None:
    for n in range(count):
        audit_log(
            actor=world.assessor,
            actor_role=Role.ASSESSOR,
            action="evidence.feedback",
            summary=f"Feedback number {n:04d}",
            centre=world.centre,
            portfolio=world.portfolio,
        )


def test_the_history_is_one_whole_page_in_plain_words(client, world):
    cover_everything(world)
    submit(world)
    sign(world, world.assessor, "assessor")
    html = history(client, world).content.decode()
    assert_one_layout(html, max_bytes=60_000)
    assert "Signed by the assessor" in html
    assert "Submitted by the learner → Signed by the assessor" in html
    assert "Signature made" in html and "Evidence added" in html
    # Neither action codes nor the raw data behind a row reach the reader.
    assert not RAW_ACTION.search(html.split('id="events-heading"')[1])
    assert "{&#x27;" not in html and "{'" not in html


def test_each_event_appears_once(client, world):
    many_events(world, 5)
    html = history(client, world).content.decode()
    for n in range(5):
        assert html.count(f"Feedback number {n:04d}") == 1


def test_a_long_history_is_paged_and_opens_on_the_latest_events(client, world):
    many_events(world, EVENTS_PER_PAGE * 3 + 7)
    html = history(client, world).content.decode()
    assert_one_layout(html, max_bytes=60_000)
    assert f"Feedback number {EVENTS_PER_PAGE * 3 + 6:04d}" in html
    assert "Feedback number 0000" not in html
    assert "Page 4 of 4" in html
    first = history(client, world, page=1).content.decode()
    assert "Feedback number 0000" in first and f"Feedback number {EVENTS_PER_PAGE:04d}" not in first


def test_the_history_runs_the_same_queries_whatever_its_length(client, world):
    many_events(world, 3)
    client.force_login(world.iv)
    url = reverse("portfolio_history", args=[world.portfolio.pk])
    client.get(url)  # the first request also loads the session and the user
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    many_events(world, EVENTS_PER_PAGE * 2)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_events_are_grouped_by_round_with_the_referral_that_closed_it(client, world):
    submit(world)
    unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="Needs a busy-time example")
    submit(world)
    html = history(client, world).content.decode().split('id="events-heading"')[1]
    assert html.count("<h3") == 2
    assert html.index("Round 1") < html.index("Needs a busy-time example") < html.index("Round 2")


def test_an_ev_page_view_is_not_a_change_to_the_unit(client, world):
    audit_log(
        actor=world.ev,
        actor_role=Role.EV,
        action="ev.page_viewed",
        summary="Opened the unit page",
        centre=world.centre,
        portfolio=world.portfolio,
    )
    assert "Opened the unit page" not in history(client, world).content.decode()


def test_someone_with_no_link_gets_404(client, world):
    assert history(client, world, user=world.outsider).status_code == 404


def test_the_verifiers_reports_and_findings_are_left_out_of_the_learners_history(client, world):
    # Internal quality assurance, which the sign-off page and the report pages keep from the learner too.
    import datetime

    from django.utils import timezone

    from quality.services.reports import iv_report_unit

    iv_report_unit(
        actor=world.iv,
        portfolio=world.portfolio,
        agreement="disagree",
        feedback="The witness testimony is not yet confirmed.",
        actions=[("Chase the witness's confirmation", timezone.localdate() + datetime.timedelta(7))],
    )
    for action, who, summary in [
        ("action_point.done", world.assessor, "Action point done: chased the witness"),
        ("ev.findings_recorded", world.ev, "Findings by the EV: agrees"),
    ]:
        audit_log(actor=who, action=action, summary=summary, centre=world.centre, portfolio=world.portfolio)
    many_events(world, 1)
    verifiers = ["IV report by Ivan Verifier", "Action point done: chased the witness", "Findings by the EV: agrees"]
    learners = history(client, world, user=world.learner).content.decode()
    assert "Feedback number 0000" in learners
    assert not [words for words in verifiers if words in learners]
    for reader in (world.assessor, world.iv, world.admin, world.ev):
        html = history(client, world, user=reader).content.decode()
        assert [html.count(words) for words in verifiers] == [1, 1, 1], reader.full_name
