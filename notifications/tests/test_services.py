"""Notifications opened and closed by the real sign-off flows: who is told what, once, and when it closes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from assessments.models import Signature, SignatureKind
from assessments.notices import MAX_COUNTERSIGNERS, unit_notices_sync
from assessments.services import plan_action_add, plan_agree, portfolio_assign
from assessments.signoff.services import signature_withdraw, unit_refer, unit_release, unit_sign
from assessments.tests.test_signoff import cover_everything
from audit.models import AuditEvent
from notifications.models import Notification
from notifications.services import email_notifications_set, notifications_done, notify
from people.models import Qualification, Role
from tests.factories import PASSWORD, ev_findings_agreeing, iv_report_agreeing, member

pytestmark = pytest.mark.django_db
K = SignatureKind
UNIT = "Deliver customer service to difficult customers"


def sign(portfolio, who, kind):
    return unit_sign(actor=who, portfolio=portfolio, kind=kind, password=PASSWORD)


def open_(user=None, kind=None):
    found = Notification.objects.filter(done_at__isnull=True)
    if user is not None:
        found = found.filter(user=user)
    if kind is not None:
        found = found.filter(kind=kind)
    return list(found)


def chain(user, kind):
    """Open notifications of the sign-off chain for this person: the quality pages may add their own kinds."""
    return [(n.kind, n.title) for n in open_(user, kind)]


@pytest.fixture
def covered(world):
    cover_everything(world)
    return world


@pytest.fixture
def submitted(covered):
    sign(covered.portfolio, covered.learner, K.LEARNER)
    return covered


# --- The learner submits: the assessor is told ------------------------------------------------------------------


def test_submission_notifies_the_assessor_and_emails_them_once_with_the_link(
    covered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign(covered.portfolio, covered.learner, K.LEARNER)

    [notification] = open_(covered.assessor)
    url = reverse("signoff", args=[covered.portfolio.pk])
    assert notification.kind == "unit_submitted"
    assert notification.title == f"Unit submitted for sign-off: Lena Learner – {UNIT}"
    assert (notification.url, notification.centre) == (url, covered.centre)
    assert (notification.target_type, notification.target_id) == ("assessments.portfolio", str(covered.portfolio.pk))
    [email] = mail.outbox
    assert email.to == ["assessor@example.org"]
    assert email.subject == notification.title
    assert f"{settings.SITE_URL}{url}" in email.body
    assert f"{settings.SITE_URL}{reverse('notification_settings')}" in email.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # The learner who submitted is told nothing: they know.
    assert open_(covered.learner) == []


def test_with_emails_switched_off_nothing_is_emailed_but_the_notification_is_kept(
    covered, django_capture_on_commit_callbacks
):
    email_notifications_set(user=covered.assessor, enabled=False)
    covered.assessor.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        sign(covered.portfolio, covered.learner, K.LEARNER)

    assert mail.outbox == []
    [notification] = open_(covered.assessor, "unit_submitted")
    assert notification.emailed_at is None


def test_the_same_event_twice_gives_one_notification_and_one_email(submitted, django_capture_on_commit_callbacks):
    portfolio = submitted.portfolio
    portfolio.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        unit_notices_sync(portfolio, actor=submitted.learner)
        for _ in range(2):
            notify(
                user=submitted.iv,
                kind="iv_report",
                target=portfolio,
                title="Something to read",
                url="/",
                centre=submitted.centre,
            )

    assert len(open_(submitted.assessor, "unit_submitted")) == 1
    assert len(open_(submitted.iv, "iv_report")) == 1
    # The submission's own email went when it was made, outside this block: only the IV's is new here.
    assert [m.to for m in mail.outbox] == [["iv@example.org"]]


def test_a_notification_closed_before_its_email_goes_is_not_emailed(covered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign(covered.portfolio, covered.learner, K.LEARNER)
        notifications_done(target=covered.portfolio, kind="unit_submitted")

    assert mail.outbox == []


def test_withdrawing_the_declaration_closes_it_and_submitting_again_opens_one_again(submitted):
    declaration = Signature.objects.get(kind=K.LEARNER)
    signature_withdraw(actor=submitted.learner, signature=declaration, reason="Forgot an item")

    assert open_(submitted.assessor) == []

    sign(submitted.portfolio, submitted.learner, K.LEARNER)

    assert len(open_(submitted.assessor, "unit_submitted")) == 1
    assert Notification.objects.filter(user=submitted.assessor, kind="unit_submitted").count() == 2


# --- The assessor signs: the IV (or a countersigner) is told ---------------------------------------------------


def test_the_assessors_signature_closes_it_and_tells_the_iv_to_sample_or_release(submitted):
    sign(submitted.portfolio, submitted.assessor, K.ASSESSOR)

    assert open_(submitted.assessor) == []
    assert Notification.objects.get(user=submitted.assessor, kind="unit_submitted").done_at is not None
    assert chain(submitted.iv, "iv_due") == [
        ("iv_due", f"Ready for internal verification: sample or release Lena Learner – {UNIT}")
    ]


def test_the_assessor_withdrawing_their_signature_closes_the_ivs(submitted):
    signature = sign(submitted.portfolio, submitted.assessor, K.ASSESSOR)

    signature_withdraw(actor=submitted.assessor, signature=signature, reason="Signed too soon")

    assert open_(submitted.iv, "iv_due") == []
    # Their own withdrawal: the unit is back on their caseload, not announced to them.
    assert open_(submitted.assessor) == []


def test_an_admin_withdrawing_the_assessors_signature_tells_the_assessor_again(submitted):
    signature = sign(submitted.portfolio, submitted.assessor, K.ASSESSOR)

    signature_withdraw(actor=submitted.admin, signature=signature, reason="Wrong unit", as_admin=True)

    assert len(open_(submitted.assessor, "unit_submitted")) == 1


@pytest.fixture
def trainee(world):
    """A qualifying assessor with the world's IV, whose learner has submitted a covered unit."""
    assessor = member(
        world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING, user__full_name="Tia Trainee"
    )
    world.portfolio.assessor = assessor
    world.portfolio.save(update_fields=["assessor"])
    cover_everything(world)
    sign(world.portfolio, world.learner, K.LEARNER)
    return assessor


def test_a_qualifying_assessors_signature_asks_the_qualified_assessors_to_countersign(world, trainee):
    colleague = member(world.centre, Role.ASSESSOR, user__full_name="Carl Colleague")
    member(world.other_centre, Role.ASSESSOR, user__full_name="Far Away")

    sign(world.portfolio, trainee, K.ASSESSOR)

    title = f"Countersignature needed for Tia Trainee's decision: Lena Learner – {UNIT}"
    told = sorted(n.user.full_name for n in open_(kind="countersign_due"))
    assert told == ["Asha Assessor", "Carl Colleague"]
    assert chain(colleague, "countersign_due") == [("countersign_due", title)]
    assert open_(world.iv, "iv_due") == []

    sign(world.portfolio, colleague, K.ASSESSOR_COUNTERSIGN)

    assert open_(kind="countersign_due") == []
    assert len(open_(world.iv, "iv_due")) == 1


def test_with_more_than_five_qualified_assessors_the_admins_are_asked_instead(world, trainee):
    for _ in range(MAX_COUNTERSIGNERS):
        member(world.centre, Role.ASSESSOR)

    sign(world.portfolio, trainee, K.ASSESSOR)

    assert [(n.user, n.title) for n in open_(kind="countersign_due")] == [
        (world.admin, f"Arrange a qualified assessor's countersignature: Lena Learner – {UNIT}")
    ]


def test_a_qualifying_ivs_signature_asks_the_qualified_ivs_to_countersign_then_completes(submitted):
    world = submitted
    trainee_iv = member(world.centre, Role.IV, qualification=Qualification.QUALIFYING, user__full_name="Ivy Trainee")
    world.portfolio.iv = trainee_iv
    world.portfolio.save(update_fields=["iv"])
    sign(world.portfolio, world.assessor, K.ASSESSOR)
    assert len(open_(trainee_iv, "iv_due")) == 1

    iv_report_agreeing(world.portfolio, trainee_iv)
    sign(world.portfolio, trainee_iv, K.IV)

    assert open_(trainee_iv, "iv_due") == []
    assert chain(world.iv, "iv_countersign_due") == [
        ("iv_countersign_due", f"IV countersignature needed for Ivy Trainee's decision: Lena Learner – {UNIT}")
    ]

    sign(world.portfolio, world.iv, K.IV_COUNTERSIGN)

    assert open_(kind="iv_countersign_due") == []
    assert chain(world.learner, "unit_complete") == [("unit_complete", f"Your unit is complete: {UNIT}")]


# --- The IV, the EV and the end of the chain ---------------------------------------------------------------------


def test_releasing_closes_the_ivs_and_tells_the_learner_the_unit_is_complete(submitted):
    sign(submitted.portfolio, submitted.assessor, K.ASSESSOR)

    unit_release(actor=submitted.iv, portfolio=submitted.portfolio)

    assert open_(submitted.iv, "iv_due") == []
    [complete] = open_(submitted.learner, "unit_complete")
    assert complete.url == reverse("signoff", args=[submitted.portfolio.pk])


def test_a_unit_the_ev_sampled_waits_for_them_once_the_iv_has_signed(submitted):
    world = submitted
    ev_findings_agreeing(world.portfolio, world.ev)
    sign(world.portfolio, world.assessor, K.ASSESSOR)
    assert open_(world.ev) == []

    iv_report_agreeing(world.portfolio, world.iv)
    sign(world.portfolio, world.iv, K.IV)

    assert chain(world.ev, "ev_due") == [("ev_due", f"Ready for external verification: Lena Learner – {UNIT}")]
    assert open_(world.learner, "unit_complete") == []

    sign(world.portfolio, world.ev, K.EV)

    assert open_(world.ev, "ev_due") == []
    assert len(open_(world.learner, "unit_complete")) == 1


# --- Referral: the learner is told, and the assessor when a verifier referred -------------------------------------


def test_the_assessors_referral_tells_the_learner_why_and_closes_when_they_submit_again(submitted):
    unit_refer(actor=submitted.assessor, portfolio=submitted.portfolio, role=Role.ASSESSOR, reasons="Range c is thin.")

    assert open_(submitted.assessor) == []
    [referred] = open_(submitted.learner)
    assert (referred.kind, referred.title) == ("unit_referred", "Your unit was referred back: Range c is thin.")
    assert UNIT in referred.body and "Asha Assessor" in referred.body

    sign(submitted.portfolio, submitted.learner, K.LEARNER)

    assert open_(submitted.learner) == []
    assert len(open_(submitted.assessor, "unit_submitted")) == 1


def test_the_ivs_referral_tells_the_learner_and_the_assessor_and_closes_the_ivs(submitted):
    sign(submitted.portfolio, submitted.assessor, K.ASSESSOR)

    unit_refer(actor=submitted.iv, portfolio=submitted.portfolio, role=Role.IV, reasons="The witness is unsigned.")

    assert open_(submitted.iv, "iv_due") == []
    assert chain(submitted.learner, "unit_referred") == [
        ("unit_referred", "Your unit was referred back: The witness is unsigned.")
    ]
    assert chain(submitted.assessor, "unit_referred") == [
        ("unit_referred", f"Referred back by the IV: Lena Learner – {UNIT}")
    ]


def test_a_long_referral_is_cut_short_in_the_title_and_kept_whole_in_the_body(submitted):
    reasons = "Every range item needs another look. " * 20

    unit_refer(actor=submitted.assessor, portfolio=submitted.portfolio, role=Role.ASSESSOR, reasons=reasons)

    [referred] = open_(submitted.learner)
    assert len(referred.title) < 250 and referred.title.endswith("…")
    assert reasons.strip() in referred.body


# --- Reassignment and the plan ---------------------------------------------------------------------------------


def test_a_new_assessor_takes_over_what_waited_for_the_old_one(submitted):
    newcomer = member(submitted.centre, Role.ASSESSOR, user__full_name="Nia Newcomer")

    portfolio_assign(actor=submitted.admin, portfolio=submitted.portfolio, assessor=newcomer, iv=submitted.iv)

    assert open_(submitted.assessor) == []
    assert len(open_(newcomer, "unit_submitted")) == 1


def test_a_change_to_the_plan_asks_the_learner_to_agree_and_agreeing_closes_it(world):
    import datetime

    from django.utils import timezone

    from units.models import AssessmentMethod, Criterion

    plan_action_add(
        actor=world.assessor,
        portfolio=world.portfolio,
        description="Observe a complaint at the counter",
        method=AssessmentMethod.objects.get(code="O"),
        criteria=[Criterion.objects.filter(outcome__unit=world.portfolio.unit).first()],
        due_date=timezone.localdate() + datetime.timedelta(days=14),
    )

    [plan] = open_(world.learner)
    assert (plan.kind, plan.url) == ("plan_agree", reverse("plan_detail", args=[world.portfolio.pk]))

    plan_agree(actor=world.learner, portfolio=world.portfolio)

    assert open_(world.learner) == []


# --- The settings -------------------------------------------------------------------------------------------------


def test_switching_emails_off_is_audited_once(world):
    assert email_notifications_set(user=world.learner, enabled=False, role=Role.LEARNER)
    assert not email_notifications_set(user=world.learner, enabled=False, role=Role.LEARNER)

    world.learner.refresh_from_db()
    assert world.learner.email_notifications is False
    [event] = AuditEvent.objects.filter(action="notifications.settings_changed")
    assert (event.actor, event.actor_role, event.data) == (world.learner, "learner", {"email_notifications": False})
