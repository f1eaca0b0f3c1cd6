"""The one-time form token (submissions/once.py): what counts as one submission, what is left for another try,
and two identical submissions at the same moment on PostgreSQL. Each form that uses it is tested in
tests/test_double_submits.py."""

from __future__ import annotations

import contextlib
import datetime
import re
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence
from assessments.signoff.services import unit_sign
from assessments.tests.test_evidence_views import form_data as evidence_data
from assessments.tests.test_signoff import cover_everything, submit
from audit.models import AuditEvent
from quality.models import ActionPoint, EVVisit, IVReport, SampleItem, SamplingPlan
from quality.services import reports as report_services
from quality.services import sampling as sampling_services
from quality.services import visits as visit_services
from quality.services.sampling import sampling_plan_create
from quality.tests.test_report_views import form_data as report_data
from quality.tests.test_visit_views import visit_form
from submissions.models import UsedFormToken
from submissions.once import ALREADY_SAVED, FIELD
from tests.factories import PASSWORD, PortfolioFactory, external_verifier
from tests.submit import browser_client, form_tokens

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def in_days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def plan_data(title: str = "Spring term") -> dict:
    return {"title": title, "starts_on": in_days(0), "ends_on": in_days(60)}


NEW_PLAN = "/quality/plans/new/"


@pytest.fixture
def iv(world) -> Client:
    assert reverse("sampling_plan_new") == NEW_PLAN
    return browser_client(world.iv)


@pytest.mark.django_db
def test_each_rendering_of_a_form_is_a_submission_of_its_own(iv):
    first = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    second = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    assert first[FIELD] != second[FIELD]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first[FIELD])
    assert iv.post(NEW_PLAN, {**plan_data("Spring"), **first}).status_code == 302
    assert iv.post(NEW_PLAN, {**plan_data("Summer"), **second}).status_code == 302
    assert sorted(SamplingPlan.objects.values_list("title", flat=True)) == ["Spring", "Summer"]


@pytest.mark.django_db
def test_a_refused_submission_leaves_its_token_for_the_corrected_one(iv):
    tokens = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    refused = iv.post(NEW_PLAN, {**plan_data(), "ends_on": in_days(-5), **tokens})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not UsedFormToken.objects.exists()
    # The page shown again carries a new token; the old one, sent again corrected (back button), still saves.
    assert FIELD in refused.content.decode()
    saved = iv.post(NEW_PLAN, {**plan_data(), **tokens})
    assert saved.status_code == 302 and SamplingPlan.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_sent_on_with_an_error_message_leaves_the_token_unused(world):
    # A message to a locked item is refused on the item's page, with the reason: nothing was saved.
    cover_everything(world)
    item = Evidence.objects.filter(portfolio=world.portfolio).first()
    client = browser_client(world.learner)
    action = reverse("evidence_feedback", args=[item.pk])
    tokens = form_tokens(client, reverse("evidence_detail", args=[item.pk]), action)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind="assessor", password=PASSWORD)
    for _ in range(2):
        response = client.post(action, {"text": "Thanks", **tokens}, follow=True)
        assert ALREADY_SAVED not in response.content.decode()
    assert not UsedFormToken.objects.exists()


@pytest.mark.django_db
def test_a_post_without_a_token_or_with_a_malformed_one_is_handled_as_before(iv, world):
    tokens = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    csrf = {"csrfmiddlewaretoken": tokens["csrfmiddlewaretoken"]}
    assert iv.post(NEW_PLAN, {**plan_data("No token"), **csrf}).status_code == 302
    assert iv.post(NEW_PLAN, {**plan_data("Odd token"), **csrf, FIELD: "x" * 500}).status_code == 302
    assert iv.post(NEW_PLAN, {**plan_data("Odd token"), **csrf, FIELD: "x" * 500}).status_code == 302
    assert SamplingPlan.objects.count() == 3
    assert not UsedFormToken.objects.exists()


@pytest.mark.django_db
def test_a_token_is_one_persons_only(world):
    page = reverse("evidence_add", args=[world.portfolio.pk])
    learner = browser_client(world.learner)
    tokens = form_tokens(learner, page, page)
    assert learner.post(page, {**evidence_data(), **tokens}).status_code == 302
    # Someone else sending the same token value is not taken for the learner's repeat.
    other_learner = PortfolioFactory(centre=world.centre, assessor=world.assessor, learner_number="CG-0002")
    other = browser_client(other_learner.learner)
    other_page = reverse("evidence_add", args=[other_learner.pk])
    other_tokens = form_tokens(other, other_page, other_page)
    assert other.post(other_page, {**evidence_data(), **other_tokens, FIELD: tokens[FIELD]}).status_code == 302
    assert Evidence.objects.count() == 2


@pytest.mark.django_db
def test_one_form_with_a_button_per_row_takes_each_row_once(world):
    second = PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv, learner_number="CG-0002")
    today = timezone.localdate()
    plan = sampling_plan_create(
        actor=world.iv, centre=world.centre, title="Spring", starts_on=today, ends_on=today + datetime.timedelta(30)
    )
    client = browser_client(world.iv)
    page = reverse("sampling_overview") + f"?plan={plan.pk}"
    tokens = form_tokens(client, page, reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]))
    data = {"stage": "interim", "planned_for": in_days(7), "back": "overview", **tokens}
    for portfolio in (world.portfolio, second, world.portfolio):
        assert client.post(reverse("sample_unit_add", args=[plan.pk, portfolio.pk]), data).status_code == 302
    assert sorted(SampleItem.objects.values_list("portfolio_id", flat=True)) == sorted([world.portfolio.pk, second.pk])


@pytest.mark.django_db
def test_an_upload_sent_again_through_htmx_is_sent_on_by_htmx(world):
    page = reverse("evidence_add", args=[world.portfolio.pk])
    learner = browser_client(world.learner)
    tokens = form_tokens(learner, page, page)
    first = learner.post(page, {**evidence_data(), **tokens}, HTTP_HX_REQUEST="true")
    second = learner.post(page, {**evidence_data(), **tokens}, HTTP_HX_REQUEST="true")
    assert first["HX-Redirect"] == second["HX-Redirect"] == reverse("portfolio_detail", args=[world.portfolio.pk])
    assert Evidence.objects.count() == 1
    assert ALREADY_SAVED in learner.get(second["HX-Redirect"]).content.decode()


@pytest.mark.django_db
def test_used_tokens_are_kept_for_a_day(iv, world):
    tokens = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    iv.post(NEW_PLAN, {**plan_data("Old"), **tokens})
    UsedFormToken.objects.update(used_at=timezone.now() - datetime.timedelta(hours=23))
    fresh = form_tokens(iv, NEW_PLAN, NEW_PLAN)
    iv.post(NEW_PLAN, {**plan_data("New"), **fresh})
    assert UsedFormToken.objects.count() == 2
    UsedFormToken.objects.filter(used_at__lt=timezone.now() - datetime.timedelta(hours=1)).update(
        used_at=timezone.now() - datetime.timedelta(hours=25)
    )
    iv.post(NEW_PLAN, {**plan_data("Newest"), **form_tokens(iv, NEW_PLAN, NEW_PLAN)})
    assert UsedFormToken.objects.count() == 2
    assert SamplingPlan.objects.count() == 3


# --- Two at the same moment -----------------------------------------------------------------------------------


def _held(service, calls: list, barrier: threading.Barrier, wait: float = 10):
    """The service, made to wait after writing until the other request has written too (or cannot, because it
    waits for a row this one locked), so both are inside their transactions at once."""

    def wrapper(**kwargs):
        made = service(**kwargs)
        calls.append(made)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=wait)
        return made

    return wrapper


def _post_at_once(client: Client, action: str, data: dict) -> list:
    start = threading.Barrier(2)
    responses: list = [None, None]

    def send(n: int) -> None:
        twin = Client(enforce_csrf_checks=True)
        twin.cookies = client.cookies
        try:
            start.wait(timeout=5)
            responses[n] = twin.post(action, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


def _assert_both_sent_to_the_same_place(responses: list) -> None:
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].url == responses[1].url


at_once = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="Two requests at the same moment need PostgreSQL: SQLite lets one writer in at a time."
)


@at_once
@postgresql_only
def test_a_sampling_plan_sent_twice_at_the_same_moment_is_saved_once(world, monkeypatch):
    calls: list = []
    held = _held(sampling_services.sampling_plan_create, calls, threading.Barrier(2))
    monkeypatch.setattr(sampling_services, "sampling_plan_create", held)
    client = browser_client(world.iv)
    tokens = form_tokens(client, NEW_PLAN, NEW_PLAN)
    responses = _post_at_once(client, NEW_PLAN, {**plan_data(), **tokens})
    _assert_both_sent_to_the_same_place(responses)
    # Both were saving at once; the unique token decided, and the other was rolled back with its audit row.
    assert len(calls) == 2
    assert SamplingPlan.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="sampling_plan").count() == 1
    assert UsedFormToken.objects.count() == 1


@at_once
@postgresql_only
def test_a_visit_sent_twice_at_the_same_moment_is_saved_once(world, monkeypatch):
    calls: list = []
    held = _held(visit_services.ev_visit_create, calls, threading.Barrier(2))
    monkeypatch.setattr(visit_services, "ev_visit_create", held)
    visiting = external_verifier(None, full_name="Vic Visitor", email="vic@example.org")
    client = browser_client(world.admin)
    url = reverse("ev_visit_new")
    data = {**visit_form(world, visiting, [world.portfolio]), **form_tokens(client, url, url)}
    responses = _post_at_once(client, url, data)
    _assert_both_sent_to_the_same_place(responses)
    assert len(calls) == 2
    assert EVVisit.objects.count() == 1
    assert list(EVVisit.objects.get().sample.all()) == [world.portfolio]


@at_once
@postgresql_only
def test_an_iv_report_sent_twice_at_the_same_moment_is_saved_once_with_its_action_points(world, monkeypatch):
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind="assessor", password=PASSWORD)
    calls: list = []
    # The report locks the unit, so the other request waits for that lock, not at the barrier.
    held = _held(report_services.iv_report_unit, calls, threading.Barrier(2), wait=2)
    monkeypatch.setattr(report_services, "iv_report_unit", held)
    client = browser_client(world.iv)
    url = reverse("iv_report_unit", args=[world.portfolio.pk])
    actions = [
        ("Say where each observation happened.", timezone.localdate() + datetime.timedelta(days=14)),
        ("Date every witness statement.", timezone.localdate() + datetime.timedelta(days=21)),
    ]
    data = {**report_data(agreement="disagree", actions=actions), **form_tokens(client, url, url)}
    responses = _post_at_once(client, url, data)
    _assert_both_sent_to_the_same_place(responses)
    assert IVReport.objects.count() == 1
    assert ActionPoint.objects.count() == 2
