"""What the learner is told of their evidence and their unit, opened by the real services that judge, write
feedback, change items and move the unit on: who is told what, once, emailed after commit, and when it closes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from assessments import notices, services
from assessments.models import Decision, Evidence, SignatureKind
from assessments.signoff.services import unit_refer, unit_sign
from assessments.tests.test_evidence_views import add, crit, rng
from assessments.tests.test_signoff import cover_everything
from notifications.models import Notification
from notifications.services import email_notifications_set
from people.models import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
K = SignatureKind
UNIT = "Deliver customer service to difficult customers"
CLAIMS = {"criteria": ["2.1", "2.4"], "range_items": ["b"]}


def open_(user, kind=None) -> list[Notification]:
    found = Notification.objects.filter(user=user, done_at__isnull=True)
    return list(found.filter(kind=kind) if kind else found)


def judge(world, item, decision, feedback="", **verdicts):
    """The assessor's judgement through the service the review page calls: every claim confirmed unless named."""
    given = {crit("2.1"): "confirmed", crit("2.4"): "confirmed", rng("b"): "confirmed"}
    given.update({crit(code.replace("_", ".")): verdict for code, verdict in verdicts.items()})
    if decision == Decision.SENT_BACK:
        given = {}
    return services.evidence_judge(
        actor=world.assessor, evidence=item, decision=decision, verdicts=given, feedback=feedback
    )


def change(world, item, description="I listened, apologised and offered a refund."):
    item = Evidence.objects.get(pk=item.pk)
    return services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        evidence=item,
        title=item.title,
        method=item.method,
        activity_date=item.activity_date,
        setting=item.setting,
        description=description,
        criteria=[crit("2.1"), crit("2.4")],
        range_items=[rng("b")],
    )


@pytest.fixture
def item(world):
    return add(world, title="Angry caller", **CLAIMS)


# --- An item sent back ----------------------------------------------------------------------------------------------


def test_sending_an_item_back_tells_the_learner_with_the_feedback_and_emails_them_after_commit(
    world, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        judge(world, item, Decision.SENT_BACK, feedback="Say what the customer said first.")

    [notice] = open_(world.learner)
    assert (notice.kind, notice.title) == (
        "evidence_sent_back",
        f"Sent back by your assessor: {item.reference} Angry caller",
    )
    assert notice.body == (
        "Asha Assessor says: Say what the customer said first. "
        f"Change the item as your assessor asks, then save it. Unit: {UNIT}."
    )
    assert notice.url == reverse("evidence_detail", args=[item.pk]) + "#thread"
    assert notice.centre == world.centre
    [email] = mail.outbox
    assert email.to == ["learner@example.org"]
    assert email.subject == notice.title
    assert "Say what the customer said first." in email.body
    assert f"{settings.SITE_URL}{notice.url}" in email.body
    # The assessor who judged is told nothing.
    assert open_(world.assessor) == []


def test_a_learner_who_switched_emails_off_is_told_on_the_dashboard_only(
    world, item, django_capture_on_commit_callbacks
):
    email_notifications_set(user=world.learner, enabled=False)
    world.learner.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        judge(world, item, Decision.SENT_BACK, feedback="Add the date.")

    assert mail.outbox == []
    [notice] = open_(world.learner, "evidence_sent_back")
    assert notice.emailed_at is None


def test_reading_a_sent_back_item_leaves_it_open_and_changing_the_item_closes_it(world, item):
    judge(world, item, Decision.SENT_BACK, feedback="Add the date.")

    notices.evidence_notices_read(evidence=item, reader=world.learner)
    assert len(open_(world.learner, "evidence_sent_back")) == 1

    change(world, item)

    assert open_(world.learner) == []
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING


def test_a_save_that_changes_nothing_is_no_answer_to_a_sent_back_item(world, item):
    judge(world, item, Decision.SENT_BACK, feedback="Add the date.")

    change(world, item, description=Evidence.objects.get(pk=item.pk).description)

    assert len(open_(world.learner, "evidence_sent_back")) == 1


def test_deleting_the_item_closes_what_the_learner_was_told_of_it(world, item):
    judge(world, item, Decision.SENT_BACK, feedback="Not needed here.")

    services.evidence_delete(actor=world.learner, evidence=Evidence.objects.get(pk=item.pk))

    assert open_(world.learner) == []


# --- An item accepted -----------------------------------------------------------------------------------------------


def test_accepting_tells_the_learner_which_claims_were_not_confirmed_and_reading_the_item_closes_it(world, item):
    judge(world, item, Decision.ACCEPTED, feedback="Good account.", **{"2_4": "rejected"})

    [notice] = open_(world.learner)
    assert (notice.kind, notice.title) == (
        "evidence_accepted",
        f"Accepted by your assessor: {item.reference} Angry caller",
    )
    assert notice.body == f"Asha Assessor says: Good account. Not confirmed: 220.2.4. Unit: {UNIT}."

    notices.evidence_notices_read(evidence=item, reader=world.assessor)
    assert len(open_(world.learner)) == 1

    notices.evidence_notices_read(evidence=item, reader=world.learner)
    assert open_(world.learner) == []


def test_a_new_decision_replaces_the_old_notice_and_a_repeat_without_feedback_is_not_news(
    world, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        judge(world, item, Decision.SENT_BACK, feedback="Add the date.")
        judge(world, item, Decision.ACCEPTED)
        judge(world, item, Decision.ACCEPTED)

    [notice] = open_(world.learner)
    assert notice.kind == "evidence_accepted"
    assert notice.body == f"Unit: {UNIT}."
    assert notice.url == reverse("evidence_detail", args=[item.pk])
    # The sent-back notice closed before its email went; the repeat opened nothing.
    assert [m.subject for m in mail.outbox] == [notice.title]
    assert Notification.objects.filter(user=world.learner).count() == 2


# --- Feedback in the thread ---------------------------------------------------------------------------------------


def test_the_assessors_message_tells_the_learner_and_the_learners_reply_closes_it(world, item):
    services.feedback_post(actor=world.assessor, evidence=item, text="Which customer was this?")

    [notice] = open_(world.learner)
    assert (notice.kind, notice.title) == ("evidence_feedback", f"New feedback on {item.reference} Angry caller")
    assert notice.body == "Asha Assessor: Which customer was this?"
    assert notice.url == reverse("evidence_detail", args=[item.pk]) + "#thread"

    services.feedback_post(actor=world.learner, evidence=item, text="The one with the late parcel.")

    assert open_(world.learner) == []
    # The learner's reply is not announced to them, nor (here) to the assessor.
    assert open_(world.assessor) == []


# --- The unit moves on ---------------------------------------------------------------------------------------------


def test_submitting_closes_what_the_learner_was_told_but_an_item_sent_back_still_waits(world):
    items = cover_everything(world)
    extra = add(world, title="Second thoughts", **CLAIMS)
    judge(world, extra, Decision.SENT_BACK, feedback="Say more, or delete it.")
    services.feedback_post(actor=world.assessor, evidence=items[0], text="Nice one.")
    assert {n.kind for n in open_(world.learner)} == {"evidence_sent_back", "evidence_feedback"}

    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)

    # Until the assessor signs, the learner may still change the item sent back.
    assert [n.kind for n in open_(world.learner)] == ["evidence_sent_back"]


def test_the_assessors_signature_locks_the_evidence_and_closes_every_notice_on_it(world):
    items = cover_everything(world)
    extra = add(world, title="Second thoughts", **CLAIMS)
    judge(world, extra, Decision.ACCEPTED)
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)
    # After the learner submitted: the item is sent back (what it claims is shown elsewhere) and another is praised.
    judge(world, extra, Decision.SENT_BACK, feedback="Not needed.")
    services.feedback_post(actor=world.assessor, evidence=items[1], text="Well observed.")
    assert {n.kind for n in open_(world.learner)} == {"evidence_sent_back", "evidence_feedback"}

    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)

    assert open_(world.learner) == []


# --- Referral -------------------------------------------------------------------------------------------------------


def test_a_referral_is_emailed_to_the_learner_with_the_reasons_and_links_to_the_sign_off_page(
    world, django_capture_on_commit_callbacks
):
    cover_everything(world)
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="Range c is thin.")

    [notice] = open_(world.learner)
    assert notice.url == reverse("signoff", args=[world.portfolio.pk])
    [email] = mail.outbox
    assert email.to == ["learner@example.org"]
    assert email.subject == "Your unit was referred back: Range c is thin."
    assert "Referred back by Asha Assessor: Range c is thin." in email.body
