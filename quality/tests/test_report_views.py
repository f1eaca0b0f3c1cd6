"""The IV's reports and the assessor's action points, driven through the pages the way people use them."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.evidence.services.items import evidence_save
from assessments.models import Portfolio, PortfolioStatus
from assessments.records.document import current_digest
from assessments.signoff.services import unit_sign
from assessments.tests.test_signoff import accept, cover_everything, submit
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import Role
from quality.models import ActionPoint, IVReport, SampleStage
from quality.services.reports import iv_report_unit
from quality.tests.test_reports import criterion_item, later
from tests.factories import PASSWORD, CentreFactory, PortfolioFactory, member
from units.models import AssessmentMethod

S = PortfolioStatus


def text_of(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def error_beside(response, field: str) -> str:
    """The text of the error crispy renders under `field`, or "" when there is none."""
    found = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', response.content.decode(), re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def as_(client, user):
    client.force_login(user)
    return client


def form_data(agreement="agree", feedback="Sound decision, well evidenced.", actions=()) -> dict:
    data = {
        "agreement": agreement,
        "feedback": feedback,
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
    }
    for n, (text, due_on) in enumerate(actions):
        data[f"actions-{n}-text"] = text
        data[f"actions-{n}-due_on"] = due_on.isoformat() if due_on else ""
    return data


def status(world) -> str:
    return Portfolio.objects.get(pk=world.portfolio.pk).status


@pytest.fixture
def signed(world):
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K_ASSESSOR, password=PASSWORD)
    return world


K_ASSESSOR = "assessor"


def report_url(world) -> str:
    return reverse("iv_report_unit", args=[world.portfolio.pk])


def sign_iv(client, world):
    return client.post(
        reverse("signoff_sign", args=[world.portfolio.pk, "iv"]),
        {"password": PASSWORD, "digest": current_digest(world.portfolio)},
        follow=True,
    )


# --- A report on a unit, then the signature ------------------------------------------------------------------


def test_the_iv_writes_an_agreeing_summative_report_then_signs(client, signed):
    world = signed
    as_(client, world.iv)
    signoff = text_of(client.get(reverse("signoff", args=[world.portfolio.pk])))
    assert "Write the IV report" in signoff and "Before you sign, write your IV report" in signoff
    page = client.get(report_url(world))
    text = text_of(page)
    assert "Signed by the assessor" in text and "Asha Assessor" in text
    assert "Summative (after the assessor signs)" in text
    assert "E1 " in text and "Accepted by the assessor" in text
    response = client.post(report_url(world), form_data(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("signoff", args=[world.portfolio.pk])
    text = text_of(response)
    assert "Your summative report is saved. Now sign the unit as its internal verifier." in text
    assert "Write the IV report" not in text and "Agrees" in text
    report = IVReport.objects.get()
    assert report.stage == SampleStage.SUMMATIVE and report.portfolio == world.portfolio
    assert Portfolio.objects.get(pk=world.portfolio.pk).iv_sampled
    sign_iv(client, world)
    assert status(world) == S.COMPLETE
    assert AuditEvent.objects.filter(action="iv_report.written", actor=world.iv, actor_role=Role.IV).exists()
    assert Notification.objects.filter(user=world.assessor, kind="iv_report", target_id=str(report.pk)).exists()


def test_the_iv_signature_is_refused_without_a_report(client, signed):
    world = signed
    response = sign_iv(as_(client, world.iv), world)
    assert "Write your IV report on this unit (agreeing with the decision) before signing." in text_of(response)
    assert status(world) == S.ASSESSOR_SIGNED


def test_a_disagreeing_report_needs_an_action_then_leads_to_the_referral(client, signed):
    world = signed
    as_(client, world.iv)
    response = client.post(report_url(world), form_data(agreement="disagree", feedback="E2 does not show 2.3."))
    assert response.status_code == 200
    assert "add at least one action point, so the assessor knows what to do" in text_of(response)
    assert not IVReport.objects.exists()
    response = client.post(
        report_url(world),
        form_data(
            agreement="disagree", feedback="E2 does not show 2.3.", actions=[("Re-judge E2 against 2.3", later())]
        ),
        follow=True,
    )
    assert "Now refer the unit back to the learner, with your reasons." in text_of(response)
    page = response.content.decode()
    assert re.search(r'<textarea[^>]*id="reasons"[^>]*>E2 does not show 2.3.</textarea>', page)
    assert "Your report on this round disagrees" in text_of(response)
    assert ActionPoint.objects.get().text == "Re-judge E2 against 2.3"
    # The referral itself needs no more than its reasons.
    client.post(reverse("signoff_refer", args=[world.portfolio.pk]), {"reasons": "E2 does not show 2.3."})
    assert status(world) == S.IN_PROGRESS


def test_a_due_date_in_the_past_is_refused_beside_the_field(client, world):
    as_(client, world.iv)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(report_url(world), form_data(actions=[("Check E1", yesterday), ("Check E2", None)]))
    assert response.status_code == 200
    assert error_beside(response, "actions-0-due_on") == "The due date cannot be in the past."
    assert error_beside(response, "actions-1-due_on") == "Give the date it is due by."
    assert not IVReport.objects.exists()


def test_an_empty_report_shows_its_errors_beside_the_fields(client, world):
    response = as_(client, world.iv).post(report_url(world), form_data(agreement="", feedback=""))
    assert error_beside(response, "feedback") == "This field is required."
    assert "Your decision" in text_of(response)


def test_an_interim_report_on_a_unit_in_progress(client, world):
    as_(client, world.iv)
    text = text_of(client.get(report_url(world)))
    assert "this is an interim report" in text and "No evidence yet." in text
    response = client.post(
        report_url(world),
        form_data(feedback="A good start.", actions=[("Plan an observation", later(10))]),
        follow=True,
    )
    report = IVReport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("iv_report_detail", args=[report.pk])
    text = text_of(response)
    assert "Your interim report is saved" in text and "A good start." in text and "Plan an observation" in text
    assert report.stage == SampleStage.INTERIM
    assert not Portfolio.objects.get(pk=world.portfolio.pk).iv_sampled
    assert status(world) == S.IN_PROGRESS
    # The sign-off page lists it for the IV, and not for the learner.
    assert "Interim (before sign-off)" in text_of(client.get(reverse("signoff", args=[world.portfolio.pk])))
    learner_page = text_of(as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])))
    assert "IV reports on this unit" not in learner_page and "A good start." not in learner_page


def test_a_second_summative_report_is_refused(client, signed):
    world = signed
    as_(client, world.iv)
    client.post(report_url(world), form_data())
    text = text_of(client.get(report_url(world)))
    assert "You have written the summative report on this round." in text
    response = client.post(report_url(world), form_data(feedback="Again."))
    assert "already written the summative report on this round" in text_of(response)
    assert IVReport.objects.count() == 1


def test_no_report_form_once_the_unit_is_complete(client, world):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=S.COMPLETE)
    text = text_of(as_(client, world.iv).get(report_url(world)))
    assert "This unit is complete: there is nothing left to verify." in text
    assert "Save the report" not in text


# --- A report on a criterion ------------------------------------------------------------------------------------


def test_the_iv_reports_on_an_assessors_decisions_on_a_criterion(client, world):
    items = cover_everything(world)
    other = PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv)
    item = criterion_item(world)
    url = reverse("iv_report_criterion", args=[item.pk])
    as_(client, world.iv)
    text = text_of(client.get(url))
    assert "Lena Learner" in text and items[0].title in text and "Confirmed" in text
    assert other.learner.full_name in text and "No verdict on this criterion yet." in text
    response = client.post(
        url,
        form_data(
            agreement="disagree", feedback="2.1 rests on one kind of evidence.", actions=[("Observe 2.1", later())]
        ),
        follow=True,
    )
    report = IVReport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("iv_report_detail", args=[report.pk])
    assert report.criterion == item.criterion and report.portfolio is None and report.sample_item == item
    assert "Save the report" not in text_of(client.get(url))


def test_a_criterion_sample_is_the_plans_ivs_only(client, world):
    item = criterion_item(world)
    url = reverse("iv_report_criterion", args=[item.pk])
    assert as_(client, member(world.centre, Role.IV)).get(url).status_code == 403
    elsewhere = CentreFactory()
    assert as_(client, member(elsewhere, Role.IV)).get(url).status_code == 404


# --- Reading a report ----------------------------------------------------------------------------------------


def test_a_report_is_read_by_the_assessor_admin_and_ev_but_not_the_learner(client, world):
    report = iv_report_unit(actor=world.iv, portfolio=world.portfolio, agreement="agree", feedback="Going well.")
    url = reverse("iv_report_detail", args=[report.pk])
    for user in (world.assessor, world.admin, world.ev, world.iv):
        assert "Going well." in text_of(as_(client, user).get(url))
    assert as_(client, world.learner).get(url).status_code == 403
    assert as_(client, member(world.centre, Role.LEARNER)).get(url).status_code == 404
    assert as_(client, world.outsider).get(url).status_code == 404


def test_the_assessor_reading_a_report_with_nothing_to_do_closes_its_notice(client, world):
    report = iv_report_unit(actor=world.iv, portfolio=world.portfolio, agreement="agree", feedback="Going well.")
    notice = Notification.objects.get(user=world.assessor, kind="iv_report")
    as_(client, world.iv).get(reverse("iv_report_detail", args=[report.pk]))
    notice.refresh_from_db()
    assert notice.done_at is None
    as_(client, world.assessor).get(reverse("iv_report_detail", args=[report.pk]))
    notice.refresh_from_db()
    assert notice.done_at is not None


# --- The assessor's action points -----------------------------------------------------------------------------


def _report_with_actions(world, *actions):
    return iv_report_unit(
        actor=world.iv, portfolio=world.portfolio, agreement="disagree", feedback="See the actions.", actions=actions
    )


def test_the_assessor_sees_actions_on_the_dashboard_and_the_list_and_marks_one_done(client, world):
    today = timezone.localdate()
    report = _report_with_actions(world, ("Record where O1 happened", today), ("Re-judge E2", later(7)))
    first, second = report.actions.order_by("due_on")
    # Overdue: said in words, not only in colour.
    ActionPoint.objects.filter(pk=first.pk).update(due_on=today - datetime.timedelta(days=2))
    as_(client, world.assessor)
    dashboard = text_of(client.get(reverse("home")))
    assert "Action points from your IV" in dashboard
    assert "Record where O1 happened" in dashboard and "Overdue" in dashboard and "Re-judge E2" in dashboard
    listing = text_of(client.get(reverse("action_list")))
    assert listing.index("Record where O1 happened") < listing.index("Re-judge E2")
    assert "To do (2)" in listing and "Done (0)" in listing
    response = client.post(
        reverse("action_point_done", args=[first.pk]), {"note": "Added: the service desk.", "next": "home"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    text = text_of(response)
    assert "Marked done. The IV has been told." in text
    assert "Record where O1 happened" not in text and "Re-judge E2" in text
    listing = text_of(client.get(reverse("action_list")))
    assert "To do (1)" in listing and "Done (1)" in listing and "Added: the service desk." in listing
    told = Notification.objects.get(user=world.iv, kind="action_done")
    assert told.url == reverse("iv_report_detail", args=[report.pk])
    assert AuditEvent.objects.filter(action="action_point.done", actor=world.assessor).count() == 1
    # Marking it again is refused with a message.
    response = client.post(reverse("action_point_done", args=[first.pk]), follow=True)
    assert "You marked this action point done on" in text_of(response)
    # The IV reads what was done on the report.
    assert "Added: the service desk." in text_of(
        as_(client, world.iv).get(reverse("iv_report_detail", args=[report.pk]))
    )


def test_an_assessor_with_no_actions_sees_no_panel(client, world):
    assert "Action points from your IV" not in text_of(as_(client, world.assessor).get(reverse("home")))


def test_the_assessor_dashboard_runs_the_same_number_of_queries_for_1_and_6_actions(client, world):
    as_(client, world.assessor).get(reverse("home"))  # settle the session first

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries)

    _report_with_actions(world, ("One", later()))
    few = count()
    _report_with_actions(world, *[(f"Action {n}", later(n)) for n in range(1, 6)])
    many = count()
    assert many == few


def test_evidence_judged_later_shows_on_the_report_page(client, world):
    item = evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Complaint at the counter",
        method=AssessmentMethod.objects.get(code="RA"),
        activity_date=world.portfolio.start_date,
        setting="real_work",
    )
    text = text_of(as_(client, world.iv).get(report_url(world)))
    assert "Complaint at the counter" in text and "Waiting for the assessor" in text
    accept(item, world.assessor)
    assert "Accepted by the assessor" in text_of(client.get(report_url(world)))
