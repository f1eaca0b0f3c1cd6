"""EV visit services: what a centre admin may prepare, change and cancel, and the EV's findings before signing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus, SignatureKind
from assessments.signoff.services import (
    TransitionError,
    unit_ev_release,
    unit_mark_sampled,
    unit_refer,
    unit_sign,
)
from assessments.tests.test_signoff import cover_everything, submit
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import ExternalVerifier, Role
from quality import visits
from quality.models import EVFinding, EVVisit
from quality.services.visits import (
    ev_findings_record,
    ev_visit_cancel,
    ev_visit_create,
    ev_visit_update,
    ev_visit_update_dates,
    ev_visit_update_sample,
    ev_visits_ahead,
    ev_visits_close,
)
from tests.factories import PASSWORD, PortfolioFactory, external_verifier
from units.models import AwardingBody

S = PortfolioStatus
K = SignatureKind
DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def visiting_ev(world):
    """An EV of City & Guilds allocated to no centre: only a visit gives them access."""
    return external_verifier(None, full_name="Vic Visitor", email="vic@example.org")


def ev_record(user) -> ExternalVerifier:
    return user.ev_roles.get()


def prepare(world, ev_user, *, sample=None, starts=0, ends=2, **kwargs) -> EVVisit:
    return ev_visit_create(
        actor=world.admin,
        centre=world.centre,
        external_verifier=ev_record(ev_user),
        starts_on=today() + starts * DAY,
        ends_on=today() + ends * DAY,
        purpose=kwargs.pop("purpose", "Annual visit"),
        sample=sample if sample is not None else [world.portfolio],
    )


def test_an_admin_prepares_a_visit_the_ev_is_told_and_it_is_audited(world, visiting_ev):
    visit = prepare(world, visiting_ev)
    assert list(visit.sample.all()) == [world.portfolio]
    note = Notification.objects.get(user=visiting_ev, kind="ev_visit")
    assert note.url == f"/visits/{visit.pk}/" and note.centre == world.centre
    event = AuditEvent.objects.get(action="ev_visit.created")
    assert event.actor_role == Role.ADMIN and event.centre == world.centre
    assert event.data["sample"] == [world.portfolio.pk]
    assert visits.visit_reaches_user(user_id=visiting_ev.pk, portfolio_id=world.portfolio.pk)


def test_dates_the_wrong_way_round_or_in_the_past_are_refused(world, visiting_ev):
    with pytest.raises(ValidationError) as wrong_way:
        prepare(world, visiting_ev, starts=3, ends=1)
    assert wrong_way.value.message_dict["ends_on"] == ["The last day must be on or after the first day."]
    with pytest.raises(ValidationError) as past:
        prepare(world, visiting_ev, starts=-5, ends=-1)
    assert "already passed" in past.value.message_dict["ends_on"][0]
    assert not EVVisit.objects.exists()


def test_a_visit_already_under_way_may_be_prepared(world, visiting_ev):
    visit = prepare(world, visiting_ev, starts=-1, ends=0)
    assert visits.is_open(visit)


def test_the_sample_must_be_current_registrations_here_of_the_evs_body(world, visiting_ev):
    with pytest.raises(ValidationError) as empty:
        prepare(world, visiting_ev, sample=[])
    assert empty.value.message_dict["sample"] == ["Choose at least one registration for the EV to sample."]

    ocr = PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"))
    elsewhere = PortfolioFactory(centre=world.other_centre)
    withdrawn = PortfolioFactory(centre=world.centre, status=S.WITHDRAWN)
    with pytest.raises(ValidationError) as bad:
        prepare(world, visiting_ev, sample=[world.portfolio, ocr, elsewhere, withdrawn])
    errors = " ".join(bad.value.message_dict["sample"])
    assert "is registered with OCR, not City & Guilds: this EV cannot verify it." in errors
    assert "is not registered at this centre" in errors
    assert "is withdrawn" in errors
    assert not EVVisit.objects.exists()


def test_only_an_admin_of_the_centre_prepares_a_visit(world, visiting_ev):
    with pytest.raises(ValidationError, match="Only an admin of the centre"):
        ev_visit_create(
            actor=world.outsider,
            centre=world.centre,
            external_verifier=ev_record(visiting_ev),
            starts_on=today(),
            ends_on=today(),
            purpose="",
            sample=[world.portfolio],
        )


def test_an_inactive_ev_cannot_be_chosen(world, visiting_ev):
    ExternalVerifier.objects.filter(user=visiting_ev).update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        prepare(world, visiting_ev)
    assert "external_verifier" in exc.value.message_dict


def test_the_sample_and_dates_change_until_the_visit_ends(world, visiting_ev, monkeypatch):
    other = PortfolioFactory(centre=world.centre)
    visit = prepare(world, visiting_ev)
    ev_visit_update_sample(actor=world.admin, visit=visit, sample=[other])
    assert list(visit.sample.all()) == [other]
    assert not visits.visit_reaches_user(user_id=visiting_ev.pk, portfolio_id=world.portfolio.pk)
    ev_visit_update_dates(actor=world.admin, visit=visit, starts_on=today() + DAY, ends_on=today() + 3 * DAY)
    visit.refresh_from_db()
    assert visit.starts_on == today() + DAY
    changed = AuditEvent.objects.filter(action="ev_visit.changed").order_by("pk")
    assert changed[0].data == {"added": [other.pk], "removed": [world.portfolio.pk]}
    assert "dates" in changed[1].data

    monkeypatch.setattr(visits, "today", lambda: today() + 10 * DAY)
    with pytest.raises(ValidationError, match="ended on"):
        ev_visit_update_sample(actor=world.admin, visit=visit, sample=[world.portfolio])


def test_an_unchanged_save_leaves_no_audit_row(world, visiting_ev):
    visit = prepare(world, visiting_ev)
    ev_visit_update(actor=world.admin, visit=visit, purpose="Annual visit", sample=[world.portfolio])
    assert not AuditEvent.objects.filter(action="ev_visit.changed").exists()


def test_cancelling_closes_access_and_the_notice(world, visiting_ev):
    visit = prepare(world, visiting_ev)
    ev_visit_cancel(actor=world.admin, visit=visit)
    visit.refresh_from_db()
    assert visit.cancelled_at is not None and not visits.is_open(visit)
    assert not visits.visit_reaches_user(user_id=visiting_ev.pk, portfolio_id=world.portfolio.pk)
    assert Notification.objects.get(user=visiting_ev, kind="ev_visit").done_at is not None
    assert AuditEvent.objects.filter(action="ev_visit.cancelled", centre=world.centre).exists()
    with pytest.raises(ValidationError, match="cancelled"):
        ev_visit_cancel(actor=world.admin, visit=visit)
    with pytest.raises(ValidationError, match="cancelled"):
        ev_visit_update_sample(actor=world.admin, visit=visit, sample=[world.portfolio])


def test_the_evs_dashboard_lists_open_and_upcoming_visits_only(world, visiting_ev):
    open_now = prepare(world, visiting_ev)
    later = prepare(world, visiting_ev, starts=5, ends=6)
    cancelled = prepare(world, visiting_ev, starts=1, ends=2)
    ev_visit_cancel(actor=world.admin, visit=cancelled)
    ahead = ev_visits_ahead(ev_record(visiting_ev))
    assert [(v.pk, v.is_open) for v in ahead] == [(open_now.pk, True), (later.pk, False)]


# Findings ---------------------------------------------------------------------------------------------------------


def test_findings_on_a_visit_sample_the_unit_and_keep_the_visit(world, visiting_ev):
    visit = prepare(world, visiting_ev)
    finding = ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    assert finding.visit == visit and finding.round == 1
    portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    assert portfolio.ev_sampled
    assert AuditEvent.objects.filter(action="portfolio.sampled", portfolio=portfolio, actor_role=Role.EV).exists()
    event = AuditEvent.objects.get(action="ev.findings_recorded")
    assert event.portfolio == portfolio and event.centre == world.centre and event.data["visit"] == visit.pk


def test_findings_need_words_and_a_decision(world):
    with pytest.raises(ValidationError) as exc:
        ev_findings_record(actor=world.ev, portfolio=world.portfolio, agreement="maybe", findings="  ")
    assert set(exc.value.message_dict) == {"agreement", "findings"}
    assert not EVFinding.objects.exists()


def test_an_allocated_ev_records_findings_without_a_visit(world):
    finding = ev_findings_record(actor=world.ev, portfolio=world.portfolio, agreement="disagree", findings="Thin.")
    assert finding.visit is None


def test_an_ev_neither_allocated_nor_visiting_cannot_record_findings(world, visiting_ev):
    with pytest.raises(TransitionError):
        ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    visit = prepare(world, visiting_ev, starts=1, ends=2)
    with pytest.raises(TransitionError):
        ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    assert visit.findings.count() == 0


def _iv_signed(world):
    """The unit signed by the learner, the assessor and the IV: waiting for the EV, who has sampled it."""
    from tests import factories

    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
    # The IV's own report, if this build asks for one before the IV signs.
    if hasattr(factories, "iv_report_agreeing"):
        factories.iv_report_agreeing(world.portfolio, world.iv)
    unit_sign(actor=world.iv, portfolio=world.portfolio, kind=K.IV, password=PASSWORD)
    world.portfolio.refresh_from_db()


def test_the_ev_signs_only_over_their_agreeing_findings_of_this_round(world, visiting_ev):
    prepare(world, visiting_ev)
    unit_mark_sampled(actor=visiting_ev, portfolio=world.portfolio, role=Role.EV)
    _iv_signed(world)
    assert world.portfolio.status == S.IV_SIGNED
    message = "Record your findings on this unit (agreeing with the decisions) before signing."
    with pytest.raises(TransitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        unit_sign(actor=visiting_ev, portfolio=world.portfolio, kind=K.EV, password=PASSWORD)
    ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="disagree", findings="Gaps.")
    with pytest.raises(TransitionError, match="Record your findings"):
        unit_sign(actor=visiting_ev, portfolio=world.portfolio, kind=K.EV, password=PASSWORD)
    ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="agree", findings="Resolved.")
    unit_sign(actor=visiting_ev, portfolio=world.portfolio, kind=K.EV, password=PASSWORD)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.COMPLETE


def test_another_evs_findings_do_not_let_this_ev_sign(world):
    colleague = external_verifier(world.centre)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    _iv_signed(world)
    ev_findings_record(actor=colleague, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    with pytest.raises(TransitionError, match="Record your findings"):
        unit_sign(actor=world.ev, portfolio=world.portfolio, kind=K.EV, password=PASSWORD)


# The visit's sample holds the unit for the EV ------------------------------------------------------------------


def _status(world) -> str:
    return Portfolio.objects.get(pk=world.portfolio.pk).status


def _actions(world) -> list[str]:
    return list(
        AuditEvent.objects.filter(portfolio_id=world.portfolio.pk).order_by("pk").values_list("action", flat=True)
    )


def test_a_unit_in_a_visit_sample_waits_after_the_iv_signs_until_the_visiting_ev_signs(world, visiting_ev):
    prepare(world, visiting_ev)
    held = AuditEvent.objects.get(action="portfolio.ev_held")
    assert (held.actor, held.actor_role, held.portfolio_id) == (world.admin, Role.ADMIN, world.portfolio.pk)
    assert "waits for the EV's signature" in held.summary and held.data["ev"] == visiting_ev.pk
    _iv_signed(world)
    assert world.portfolio.status == S.IV_SIGNED and world.portfolio.ev_sampled
    ev_findings_record(actor=visiting_ev, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    # Recording findings makes the sample the visiting EV's own: the notice of the IV's signature reaches them.
    assert AuditEvent.objects.filter(action="portfolio.sampled", actor=visiting_ev).exists()
    unit_sign(actor=visiting_ev, portfolio=world.portfolio, kind=K.EV, password=PASSWORD)
    assert _status(world) == S.COMPLETE
    kinds = Portfolio.objects.get(pk=world.portfolio.pk).signatures.standing().values_list("kind", flat=True)
    assert sorted(kinds) == sorted([K.LEARNER, K.ASSESSOR, K.IV, K.EV])


def test_a_unit_released_by_the_iv_also_waits_for_the_visiting_ev(world, visiting_ev):
    prepare(world, visiting_ev)
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    from assessments.signoff.services import unit_release

    unit_release(actor=world.iv, portfolio=world.portfolio)
    assert _status(world) == S.IV_RELEASED


def test_the_visiting_ev_releases_the_unit_unsigned_and_it_completes(world, visiting_ev):
    prepare(world, visiting_ev)
    _iv_signed(world)
    with pytest.raises(TransitionError):
        unit_ev_release(actor=world.iv, portfolio=world.portfolio)
    unit_ev_release(actor=visiting_ev, portfolio=world.portfolio)
    portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    assert portfolio.status == S.COMPLETE and not portfolio.ev_sampled
    released = AuditEvent.objects.get(action="portfolio.ev_released")
    assert (released.actor, released.actor_role) == (visiting_ev, Role.EV)
    assert _actions(world)[-2:] == ["portfolio.ev_released", "portfolio.completed"]
    with pytest.raises(TransitionError, match="not waiting"):
        unit_ev_release(actor=visiting_ev, portfolio=world.portfolio)


def test_the_visit_ending_with_the_unit_unsampled_releases_it_once(world, visiting_ev, monkeypatch):
    visit = prepare(world, visiting_ev)
    _iv_signed(world)
    assert ev_visits_close() == 0  # still open: nothing happens
    assert world.portfolio.status == S.IV_SIGNED
    monkeypatch.setattr(visits, "today", lambda: today() + 3 * DAY)
    assert ev_visits_close() == 1
    portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    assert portfolio.status == S.COMPLETE and not portfolio.ev_sampled
    released = AuditEvent.objects.get(action="portfolio.ev_released")
    assert released.actor is None and released.actor_role == "system"
    assert "ended on" in released.summary and "unsampled" in released.summary
    assert released.data["visit"] == visit.pk and released.data["sampled"] is False
    assert AuditEvent.objects.get(action="ev_visit.ended").data == {"released": 1}
    assert ev_visits_close() == 0
    assert AuditEvent.objects.filter(action="portfolio.ev_released").count() == 1


def test_the_visit_end_leaves_a_unit_another_hold_keeps(world, visiting_ev, monkeypatch):
    prepare(world, visiting_ev)
    # The centre's allocated EV has sampled it too, and can still sign after the visit.
    ev_findings_record(actor=world.ev, portfolio=world.portfolio, agreement="agree", findings="Sound.")
    _iv_signed(world)
    monkeypatch.setattr(visits, "today", lambda: today() + 3 * DAY)
    assert ev_visits_close() == 0
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.IV_SIGNED


def test_cancelling_the_visit_or_taking_the_unit_out_releases_it(world, visiting_ev):
    other = PortfolioFactory(centre=world.centre)
    visit = prepare(world, visiting_ev, sample=[world.portfolio, other])
    assert Portfolio.objects.get(pk=other.pk).ev_sampled
    ev_visit_update_sample(actor=world.admin, visit=visit, sample=[world.portfolio])
    assert not Portfolio.objects.get(pk=other.pk).ev_sampled
    assert "Taken out of the sample" in AuditEvent.objects.get(action="portfolio.ev_released").summary
    _iv_signed(world)
    ev_visit_cancel(actor=world.admin, visit=visit)
    assert _status(world) == S.COMPLETE
    cancelled = AuditEvent.objects.filter(action="portfolio.ev_released", portfolio=world.portfolio).get()
    assert cancelled.actor == world.admin and "was cancelled" in cancelled.summary


def test_a_referral_keeps_the_unit_in_the_evs_sample(world, visiting_ev):
    prepare(world, visiting_ev)
    cover_everything(world)
    submit(world)
    unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="Add a date to E1.")
    assert Portfolio.objects.get(pk=world.portfolio.pk).ev_sampled


def test_a_complete_unit_is_not_held_by_a_new_visit(world, visiting_ev):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=S.COMPLETE)
    prepare(world, visiting_ev)
    assert not Portfolio.objects.get(pk=world.portfolio.pk).ev_sampled
    assert not AuditEvent.objects.filter(action="portfolio.ev_held").exists()


def test_preparing_a_visit_has_the_worker_close_it_after_its_last_day(
    world, visiting_ev, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        visit = prepare(world, visiting_ev, ends=2)
    task = DBTaskResult.objects.get(task_path="quality.tasks.close_ended_ev_visits")
    assert timezone.localtime(task.run_after).date() == visit.ends_on + DAY
    assert timezone.localtime(task.run_after).time() == datetime.time.min
