"""The demo centre `./dev start` loads: a cohort with one unit in each state, made through the services, that a
second run leaves as it is."""

from __future__ import annotations

import html
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from assessments.models import (
    Decision,
    Evidence,
    Portfolio,
    PortfolioStatus,
    QualificationRegistration,
    RecordCode,
    RecordRender,
    Referral,
    Signature,
    WitnessRequest,
    WitnessStatus,
)
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import ExternalVerifier, Membership, Qualification, Role, User
from quality.management.commands.demo_data import DEMO_PASSWORD
from quality.management.demo import content as c
from quality.models import ActionPoint, EVVisit, IVReport, SampleItem, SamplingPlan
from quality.visits import open_visits
from tests.factories import PortfolioFactory, unit_next_version

S = PortfolioStatus
# Everything the demo makes: a second run must leave each count as it was.
MADE = [
    User,
    Membership,
    ExternalVerifier,
    Portfolio,
    QualificationRegistration,
    Evidence,
    Signature,
    Referral,
    RecordCode,
    RecordRender,
    WitnessRequest,
    SamplingPlan,
    SampleItem,
    IVReport,
    ActionPoint,
    EVVisit,
    Notification,
    AuditEvent,
]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MADE}


@pytest.fixture
def demo(db, settings) -> str:
    """The demo made, then made again; the first run's output."""
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_data", stdout=out)
    first = _counts()
    call_command("demo_data", stdout=StringIO())
    assert _counts() == first
    return out.getvalue()


def unit_of(person: c.Person) -> Portfolio:
    return Portfolio.objects.get(learner__email=person.email)


def test_each_state_is_there_once_under_a_learner_named_after_it_and_everyone_has_a_sign_in(demo, settings):
    assert Portfolio.objects.count() == len(c.LEARNERS) == 8
    expected = {
        c.IN_PROGRESS: (S.IN_PROGRESS, 1),
        c.SUBMITTED: (S.SUBMITTED, 1),
        c.ASSESSOR_SIGNED: (S.ASSESSOR_SIGNED, 1),
        c.COUNTERSIGN: (S.ASSESSOR_SIGNED, 1),
        c.IV_SAMPLED: (S.ASSESSOR_SIGNED, 1),
        c.EV_VISIT: (S.IV_SIGNED, 1),
        c.COMPLETE: (S.COMPLETE, 1),
        c.REFERRED: (S.IN_PROGRESS, 2),
    }
    for person, (status, round_) in expected.items():
        portfolio = unit_of(person)
        assert (portfolio.learner.full_name, portfolio.status, portfolio.round) == (person.name, status, round_)

    # In progress: one item accepted, one waiting for the assessor, one for the witness, whose link went out.
    lena = unit_of(c.IN_PROGRESS)
    decisions = sorted(lena.evidence.filter(author="learner").values_list("decision", flat=True))
    assert decisions == sorted([Decision.ACCEPTED, Decision.PENDING, Decision.PENDING])
    testimony = lena.evidence.get(method__code="WT")
    assert testimony.witness_status == WitnessStatus.UNCONFIRMED
    assert WitnessRequest.objects.filter(evidence=testimony, email=c.WITNESS[1], used_at__isnull=True).count() == 1

    # Submitted with the declaration, one item still to review.
    sam = unit_of(c.SUBMITTED)
    assert list(Signature.objects.filter(portfolio=sam).values_list("kind", flat=True)) == ["learner"]
    assert sam.evidence.filter(decision=Decision.PENDING).count() == 1

    # Not yet sampled; and the countersignature is due because the assessor is still qualifying.
    assert not unit_of(c.ASSESSOR_SIGNED).iv_sampled
    cara = unit_of(c.COUNTERSIGN)
    assert Membership.objects.get(user=cara.assessor, role=Role.ASSESSOR).qualification == Qualification.QUALIFYING

    # Sampled by the IV in the plan, reported on with an action point for the assessor.
    sian = unit_of(c.IV_SAMPLED)
    report = IVReport.objects.get(portfolio=sian)
    assert sian.iv_sampled and report.agreement == "agree" and report.sample_item.plan.title == c.PLAN_TITLE
    assert report.actions.count() == 1

    # In an open EV visit's sample, which holds it for the visiting EV's signature.
    victor = unit_of(c.EV_VISIT)
    visit = open_visits().get(external_verifier__user__email=c.VISITING_EV.email)
    assert list(visit.sample.all()) == [victor] and victor.ev_sampled

    # Complete, with its record stored as a PDF.
    carl = unit_of(c.COMPLETE)
    assert RecordRender.objects.filter(record_code__portfolio=carl).count() == 1

    # Referred back: the round closed with reasons, and the item sent back with feedback.
    rita = unit_of(c.REFERRED)
    assert Referral.objects.get(portfolio=rita).reasons == c.REFERRAL
    assert rita.evidence.get(decision=Decision.SENT_BACK).feedback.get().text == c.SENT_BACK

    # The chain left its audit trail: every signature and the referral.
    assert AuditEvent.objects.filter(action="signature.made").count() == Signature.objects.count() == 14
    assert AuditEvent.objects.filter(action="portfolio.referred").count() == 1

    # Every demo person signs in with the published password and is told what to try.
    people = [person for person, _, _ in c.STAFF] + [c.EV, c.VISITING_EV] + c.LEARNERS
    assert User.objects.count() == len(people) == 14
    for person in people:
        assert User.objects.get(email=person.email).check_password(DEMO_PASSWORD)
        assert person.email in demo and person.tries in demo
    assert c.WITNESS[1] in demo
    assert f"Sign in at {settings.SITE_URL}/ " in demo


def test_the_in_progress_unit_shows_the_assessors_observation_and_questioning(demo):
    from assessments.judgement.completeness import completeness
    from assessments.models import Acknowledgement, Observation, QuestionAnswer

    lena = unit_of(c.IN_PROGRESS)
    observed, asked = lena.evidence.filter(author="assessor").order_by("number")
    assert (observed.reference, observed.method.code, asked.reference, asked.method.code) == ("E4", "O", "E5", "Q")
    observation = Observation.objects.get(evidence=observed)
    assert (f"{observation.start_time:%H:%M}", f"{observation.end_time:%H:%M}") == ("10:05", "10:40")
    assert observation.feedback == c.OBSERVATION.feedback and observed.place == c.OBSERVATION.place
    assert sorted(observation.notes.values_list("note", flat=True)) == sorted(n for _, n in c.OBSERVATION.notes)
    assert observation.acknowledgement == Acknowledgement.ON_DEVICE and observation.acknowledged_by == lena.learner
    pairs = list(QuestionAnswer.objects.filter(evidence=asked).order_by("order"))
    assert [(p.question, p.answer) for p in pairs] == [(q, a) for q, a, _ in c.QUESTIONS]
    assert [sorted(x.code for x in p.criteria.all()) for p in pairs] == [["3.2"], ["3.5"]]
    # Acknowledged, so it is no reason the unit is incomplete.
    assert completeness(lena).unacknowledged == []
    # Both are listed with the learner's evidence, and the observation's page shows its notes and feedback.
    client = Client()
    client.force_login(lena.learner)
    listed = client.get(f"/portfolios/{lena.pk}/evidence/").content.decode()
    assert listed.count(c.OBSERVATION.title) == 1 and listed.count(c.QUESTIONING_TITLE) == 1
    shown = html.unescape(client.get(f"/evidence/{observed.pk}/").content.decode())
    assert c.OBSERVATION.notes[0][1] in shown and c.OBSERVATION.feedback.split(":")[0] in shown
    asked_page = html.unescape(client.get(f"/evidence/{asked.pk}/").content.decode())
    assert all(q in asked_page and a in asked_page for q, a, _ in c.QUESTIONS)


def test_a_demo_made_before_the_assessors_records_gains_them_once(demo):
    from assessments.models import Evidence

    Evidence.objects.filter(portfolio=unit_of(c.IN_PROGRESS), author="assessor").delete()
    call_command("demo_data", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())
    assert unit_of(c.IN_PROGRESS).evidence.filter(author="assessor").count() == 2


def test_every_demo_learner_is_on_the_qualification_with_their_unit_under_it(demo):
    registrations = QualificationRegistration.objects.select_related("qualification", "learner")
    assert sorted(r.learner.email for r in registrations) == sorted(p.email for p in c.LEARNERS)
    assert {r.qualification.title for r in registrations} == {"Level 2 NVQ Certificate in Customer Service"}
    for registration in registrations:
        unit = unit_of(next(p for p in c.LEARNERS if p.email == registration.learner.email))
        # The unit joined the qualification: not a second registration on the same unit.
        assert list(registration.portfolios.all()) == [unit]
        assert (registration.learner_number, registration.start_date, registration.planned_end_date) == (
            unit.learner_number,
            unit.start_date,
            unit.planned_end_date,
        )


def test_the_demo_learners_dashboard_shows_progress_across_the_qualification(demo):
    from assessments.judgement.progress import qualifications_standing

    registration = QualificationRegistration.objects.get(learner__email=c.COMPLETE.email)
    assert qualifications_standing([registration])[registration.pk].percent == 100
    client = Client()
    client.force_login(User.objects.get(email=c.IN_PROGRESS.email))
    page = client.get("/")
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    section = body.split('id="qualifications-heading"', 1)[1].split("</section>", 1)[0]
    assert section.count("Level 2 NVQ Certificate in Customer Service") == 1


def test_a_demo_made_before_the_qualification_registrations_gains_them_once(demo):
    before = Portfolio.objects.count()
    Portfolio.objects.update(qualification_registration=None)
    QualificationRegistration.objects.all().delete()
    call_command("demo_data", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())
    assert QualificationRegistration.objects.count() == len(c.LEARNERS)
    assert Portfolio.objects.count() == before
    assert not Portfolio.objects.filter(qualification_registration__isnull=True).exists()


def test_the_completed_demo_unit_verifies_as_genuine_to_anyone(demo):
    code = RecordCode.objects.get(portfolio=unit_of(c.COMPLETE))
    stranger = Client(enforce_csrf_checks=True)
    page = stranger.get("/verify/", {"code": code.code}, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Genuine and unaltered" in html and "Altered" not in html
    assert html.count("Matches") == Signature.objects.filter(portfolio=code.portfolio).count() == 3


def test_with_a_second_version_of_the_unit_loaded_the_demo_registers_on_the_newest(unit, settings):
    newer = unit_next_version(PortfolioFactory(unit=unit).unit)  # a version 2, as a changed specification makes
    settings.DEBUG = True
    call_command("demo_data", stdout=StringIO())
    demo_units = Portfolio.objects.filter(learner__email__in=[p.email for p in c.LEARNERS]).values_list(
        "unit", flat=True
    )
    assert list(demo_units) == [newer.pk] * len(c.LEARNERS)
    first = _counts()
    call_command("demo_data", stdout=StringIO())
    assert _counts() == first


def test_demo_data_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("demo_data", stdout=StringIO())
    assert not User.objects.exists()


def test_demo_evidence_names_its_customers_and_occasions_so_the_ledger_shows_real_figures(demo):
    from assessments.judgement.sufficiency import sufficiency
    from units.models import AssessorGuidance

    items = Evidence.objects.filter(portfolio=unit_of(c.COMPLETE)).select_related("method")
    # Every item from work with customers names one; the reflective account of what the learner knows does not.
    assert {e.method.code for e in items if not e.customer_ref} == {"RA"}
    portfolio = unit_of(c.COMPLETE)
    rows = {row.label: row for row in sufficiency(portfolio, portfolio.unit_code).rows}  # City & Guilds: 220.2.1
    listening = rows["220.2.1"]  # the queue at the till and the card machine: two customers, two occasions
    assert (listening.customers, listening.occasions, listening.weeks) == (2, 2, 1)
    assert (rows["220.1.1"].customers, rows["220.1.1"].occasions) == (1, 1)
    assert AssessorGuidance.objects.count() == 25  # the centre's guidance its assessors see while reviewing
