"""The sign-off chain: who signs what, in which order, over which record; what
locks; how a unit goes back; and that the database holds the line too."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from assessments import services
from assessments.judgement.completeness import completeness
from assessments.models import (
    ClaimJudgement,
    Decision,
    Evidence,
    Portfolio,
    PortfolioStatus,
    Signature,
    SignatureKind,
    Verdict,
)
from assessments.records.document import current_digest, signature_checks
from assessments.signoff.services import (
    TransitionError,
    signature_withdraw,
    unit_mark_sampled,
    unit_refer,
    unit_release,
    unit_sign,
)
from assessments.tests.test_evidence_views import add
from audit.models import AuditEvent
from people.models import Membership, Qualification, Role
from tests.factories import PASSWORD, ev_findings_agreeing, iv_report_agreeing, member
from units.models import Criterion, RangeItem

S = PortfolioStatus
K = SignatureKind
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def accept(evidence: Evidence, assessor) -> None:
    """The assessor's judgement, written directly: these tests are about the sign-off, not the review pages."""
    Evidence.objects.filter(pk=evidence.pk).update(decision=Decision.ACCEPTED, decided_by=assessor)
    for c in evidence.criteria.all():
        ClaimJudgement.objects.create(evidence=evidence, criterion=c, verdict=Verdict.CONFIRMED, judged_by=assessor)
    for r in evidence.range_items.all():
        ClaimJudgement.objects.create(evidence=evidence, range_item=r, verdict=Verdict.CONFIRMED, judged_by=assessor)


def cover_everything(world) -> list[Evidence]:
    """Four items from four dates, one per range item, that together show every criterion: all accepted."""
    unit = world.portfolio.unit
    codes = [c.code for c in Criterion.objects.filter(outcome__unit=unit)]
    items = []
    for n, letter in enumerate("abcd"):
        items.append(add(world, criteria=codes, range_items=[letter], days_ago=n + 1, title=f"Customer {letter}"))
    for item in items:
        accept(item, world.assessor)
    return items


def submit(world):
    return unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)


def sign(world, who, kind, **kwargs):
    return unit_sign(actor=who, portfolio=world.portfolio, kind=kind, password=PASSWORD, **kwargs)


def status(world) -> str:
    return Portfolio.objects.get(pk=world.portfolio.pk).status


@pytest.fixture
def ready(world):
    cover_everything(world)
    submit(world)
    return world


# --- The learner's declaration ------------------------------------------------------------------------------


def test_learner_submits_with_the_declaration_and_their_password(world):
    cover_everything(world)
    signature = submit(world)
    assert status(world) == S.SUBMITTED
    assert signature.statement == "I confirm that the evidence provided is a result of my own work."
    assert (signature.signer, signature.role, signature.round) == (world.learner, Role.LEARNER, 1)
    assert signature.digest == current_digest(world.portfolio, judgements=False)
    event = AuditEvent.objects.get(action="signature.made")
    assert (event.data["before"], event.data["after"]) == (S.IN_PROGRESS, S.SUBMITTED)


def test_a_wrong_password_signs_nothing(world):
    with pytest.raises(ValidationError) as err:
        unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password="guess")
    assert "password" in err.value.message_dict
    assert status(world) == S.IN_PROGRESS and not Signature.objects.exists()


def test_only_the_learner_makes_the_declaration(world):
    with pytest.raises(TransitionError):
        unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)


# --- The assessor's signature -------------------------------------------------------------------------------


def test_the_assessor_cannot_sign_an_incomplete_unit_and_is_told_why(world):
    add(world, criteria=["1.1", "2.1"], range_items=["a"])
    witness = add(
        world,
        method="WT",
        criteria=["1.2"],
        witness_name="Sam",
        witness_email="sam@example.org",
        witness_statement="I saw it.",
    )
    accept(witness, world.assessor)
    submit(world)
    with pytest.raises(TransitionError) as err:
        sign(world, world.assessor, K.ASSESSOR)
    text = " ".join(err.value.messages)
    assert "No confirmed evidence yet for 220.1.1, 220.1.3" in text and "220.3.10" in text
    assert "No confirmed evidence yet for range a (" in text and ", b (" in text
    assert f"The witness statement in {witness.reference} is not yet confirmed" in text
    assert "E1 has not been judged yet" in text
    assert status(world) == S.SUBMITTED


def test_completeness_lists_nothing_once_every_criterion_and_range_item_is_confirmed(world):
    cover_everything(world)
    assert completeness(world.portfolio).is_complete


def test_the_assessor_signs_a_complete_unit_and_the_evidence_locks(ready):
    world = ready
    signature = sign(world, world.assessor, K.ASSESSOR)
    assert status(world) == S.ASSESSOR_SIGNED
    assert signature.statement.startswith("I confirm that the candidate has demonstrated competence")
    item = Evidence.objects.filter(portfolio=world.portfolio).first()
    with pytest.raises(ValidationError, match="locked"):
        add(world, criteria=["1.1"])
    with pytest.raises(ValidationError, match="locked"):
        services.evidence_delete(actor=world.learner, evidence=item)
    assert Evidence.objects.filter(portfolio=world.portfolio).count() == 4


def test_a_signer_who_saw_an_older_record_is_told_to_look_again(ready):
    world = ready
    seen = current_digest(world.portfolio)
    Portfolio.objects.filter(pk=world.portfolio.pk).update(learner_number="CG-0001-B")
    with pytest.raises(TransitionError, match="record changed"):
        sign(world, world.assessor, K.ASSESSOR, expected_digest=seen)
    assert status(world) == S.SUBMITTED


def test_the_same_signature_cannot_be_made_twice(ready):
    world = ready
    sign(world, world.assessor, K.ASSESSOR)
    with pytest.raises(TransitionError):
        sign(world, world.assessor, K.ASSESSOR)
    assert Signature.objects.filter(kind=K.ASSESSOR).count() == 1


def test_another_assessor_cannot_sign_for_the_learners_assessor(ready):
    other = member(ready.centre, Role.ASSESSOR)
    with pytest.raises(TransitionError, match="Only the learner's assessor"):
        sign(ready, other, K.ASSESSOR)


# --- Countersignatures ---------------------------------------------------------------------------------------


def _make_qualifying(world, role: Role, user) -> None:
    Membership.objects.filter(user=user, centre=world.centre, role=role).update(qualification=Qualification.QUALIFYING)


def test_a_qualifying_assessors_decision_is_countersigned_before_the_iv(ready):
    world = ready
    _make_qualifying(world, Role.ASSESSOR, world.assessor)
    sign(world, world.assessor, K.ASSESSOR)
    with pytest.raises(TransitionError, match="countersigned first"):
        sign(world, world.iv, K.IV)
    with pytest.raises(TransitionError, match="another, qualified assessor"):
        sign(world, world.assessor, K.ASSESSOR_COUNTERSIGN)
    senior = member(world.centre, Role.ASSESSOR)
    sign(world, senior, K.ASSESSOR_COUNTERSIGN)
    assert status(world) == S.ASSESSOR_COUNTERSIGNED
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    assert status(world) == S.COMPLETE


def test_a_qualified_assessors_decision_needs_no_countersignature(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    with pytest.raises(TransitionError, match="needs no countersignature"):
        sign(ready, member(ready.centre, Role.ASSESSOR), K.ASSESSOR_COUNTERSIGN)


def test_a_qualifying_ivs_signature_is_countersigned_then_the_unit_completes(ready):
    world = ready
    _make_qualifying(world, Role.IV, world.iv)
    sign(world, world.assessor, K.ASSESSOR)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    assert status(world) == S.IV_SIGNED
    sign(world, member(world.centre, Role.IV), K.IV_COUNTERSIGN)
    assert status(world) == S.COMPLETE


# --- Internal and external verification ----------------------------------------------------------------------


def test_the_iv_releases_an_unsampled_unit_which_completes(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    unit_release(actor=ready.iv, portfolio=ready.portfolio)
    assert status(ready) == S.COMPLETE
    actions = list(
        AuditEvent.objects.filter(target_id=str(ready.portfolio.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert actions[-2:] == ["portfolio.released", "portfolio.completed"]
    assert "evidence.locked" in actions


def test_the_iv_signs_a_sampled_unit(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    unit_mark_sampled(actor=ready.iv, portfolio=ready.portfolio, role=Role.IV)
    with pytest.raises(TransitionError, match="sign it or refer it back"):
        unit_release(actor=ready.iv, portfolio=ready.portfolio)
    iv_report_agreeing(ready.portfolio, ready.iv)
    sign(ready, ready.iv, K.IV)
    assert status(ready) == S.COMPLETE
    assert Portfolio.objects.get(pk=ready.portfolio.pk).iv_sampled


def test_an_ev_sample_holds_the_unit_until_the_ev_signs(ready):
    world = ready
    sign(world, world.assessor, K.ASSESSOR)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    assert status(world) == S.IV_SIGNED
    ev_findings_agreeing(world.portfolio, world.ev)
    sign(world, world.ev, K.EV)
    assert status(world) == S.COMPLETE
    kinds = list(Signature.objects.standing().order_by("signed_at").values_list("kind", flat=True))
    assert kinds == [K.LEARNER, K.ASSESSOR, K.IV, K.EV]
    assert all(check.matches for check in signature_checks(world.portfolio))


def test_an_ev_of_another_centre_cannot_sample_or_sign(ready, world):
    from tests.factories import external_verifier

    stranger = external_verifier(world.other_centre)
    with pytest.raises(TransitionError):
        unit_mark_sampled(actor=stranger, portfolio=world.portfolio, role=Role.EV)


def test_an_iv_never_verifies_their_own_assessment_decisions(ready):
    world = ready
    sign(world, world.assessor, K.ASSESSOR)
    # Someone both IV and assessor at the centre, acting on a unit they assessed.
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    with pytest.raises(TransitionError):
        sign(world, world.assessor, K.IV)
    with pytest.raises(TransitionError):
        sign(world, world.assessor, K.IV_COUNTERSIGN)


# --- Going back ----------------------------------------------------------------------------------------------


def test_the_iv_refers_a_unit_back_and_the_round_starts_again(ready):
    world = ready
    sign(world, world.assessor, K.ASSESSOR)
    with pytest.raises(ValidationError) as err:
        unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.IV, reasons="  ")
    assert "reasons" in err.value.message_dict
    referral = unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.IV, reasons="E2 is not dated.")
    portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    assert (portfolio.status, portfolio.round, referral.round) == (S.IN_PROGRESS, 2, 1)
    assert not Signature.objects.standing().exists()
    assert set(Signature.objects.values_list("withdrawal_reason", flat=True)) == {"Referred back: E2 is not dated."}
    add(world, criteria=["1.1"])  # unlocked again
    assert AuditEvent.objects.filter(action="evidence.unlocked", data__after=S.IN_PROGRESS).exists()
    event = AuditEvent.objects.get(action="portfolio.referred")
    assert (event.data["before"], event.data["after"], event.data["reasons"]) == (
        S.ASSESSOR_SIGNED,
        S.IN_PROGRESS,
        "E2 is not dated.",
    )


def test_the_signer_withdraws_their_signature_with_a_reason_which_unlocks(ready):
    world = ready
    signature = sign(world, world.assessor, K.ASSESSOR)
    with pytest.raises(TransitionError, match="Only the signer or a centre admin"):
        signature_withdraw(actor=world.iv, signature=signature, reason="Not mine")
    signature_withdraw(actor=world.assessor, signature=signature, reason="Signed the wrong learner")
    assert status(world) == S.SUBMITTED
    assert Signature.objects.get(pk=signature.pk).withdrawal_reason == "Signed the wrong learner"
    assert AuditEvent.objects.filter(action="signature.withdrawn").exists()
    add(world, criteria=["1.1"])


def test_a_centre_admin_may_withdraw_a_signature(ready):
    signature = sign(ready, ready.assessor, K.ASSESSOR)
    signature_withdraw(actor=ready.admin, signature=signature, reason="Assessor left the centre", as_admin=True)
    assert status(ready) == S.SUBMITTED


def test_only_the_latest_signature_can_be_withdrawn(ready):
    world = ready
    _make_qualifying(world, Role.ASSESSOR, world.assessor)
    first = sign(world, world.assessor, K.ASSESSOR)
    sign(world, member(world.centre, Role.ASSESSOR), K.ASSESSOR_COUNTERSIGN)
    with pytest.raises(TransitionError, match="later signatures first"):
        signature_withdraw(actor=world.assessor, signature=first, reason="Oops")


# --- Verification of signed records --------------------------------------------------------------------------


def test_the_assessors_judgements_do_not_break_the_learners_declaration(world):
    items = [add(world, criteria=["1.1"], range_items=["a"])]
    submit(world)
    accept(items[0], world.assessor)
    assert [c.matches for c in signature_checks(world.portfolio)] == [True]


def test_a_record_changed_behind_the_application_no_longer_matches_its_signatures(ready):
    world = ready
    sign(world, world.assessor, K.ASSESSOR)
    assert [c.matches for c in signature_checks(world.portfolio)] == [True, True]
    Portfolio.objects.filter(pk=world.portfolio.pk).update(learner_number="FORGED")
    assert [c.matches for c in signature_checks(world.portfolio)] == [False, False]


# --- Lock in depth -------------------------------------------------------------------------------------------


def test_a_bulk_update_of_signed_evidence_is_refused_by_the_database(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        Evidence.objects.filter(portfolio=ready.portfolio).update(title="Rewritten")
    assert not Evidence.objects.filter(title="Rewritten").exists()


def test_unmapping_signed_evidence_is_refused_by_the_database(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    item = Evidence.objects.filter(portfolio=ready.portfolio).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        item.range_items.add(RangeItem.objects.get(unit=ready.portfolio.unit, letter="b"))
    with pytest.raises(DatabaseError), transaction.atomic():
        ClaimJudgement.objects.filter(evidence=item).update(verdict=Verdict.REJECTED)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE open for the test flush")
def test_deleting_signed_evidence_is_refused_by_the_database(ready):
    sign(ready, ready.assessor, K.ASSESSOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        Evidence.criteria.through.objects.filter(evidence__portfolio=ready.portfolio).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(portfolio=ready.portfolio).delete()


def test_a_signature_can_only_be_marked_withdrawn_never_rewritten(ready):
    signature = sign(ready, ready.assessor, K.ASSESSOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(digest="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(signed_at=F("signed_at") + timezone.timedelta(days=1))


def test_the_status_map_refuses_a_move_it_does_not_list(world):
    with pytest.raises(TransitionError, match="in progress"):
        sign(world, world.assessor, K.ASSESSOR)


# --- Two people at once (PostgreSQL) -------------------------------------------------------------------------


def _race(*actions) -> list[object]:
    """Run the actions in threads released together; each gets its own connection. Returns results or errors."""
    from django.db import connections

    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i: int, action) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:  # the loser's error is the result under test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_tabs_signing_at_once_make_exactly_one_signature(ready):
    world = ready
    results = _race(*[lambda: sign(world, world.assessor, K.ASSESSOR) for _ in range(2)])
    assert sum(isinstance(r, Signature) for r in results) == 1
    assert sum(isinstance(r, TransitionError) for r in results) == 1
    assert Signature.objects.filter(kind=K.ASSESSOR).count() == 1
    assert status(world) == S.ASSESSOR_SIGNED


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_learner_editing_while_the_assessor_signs_never_leaves_a_signature_over_a_changed_record(ready):
    world = ready
    seen = current_digest(world.portfolio)
    item = Evidence.objects.filter(portfolio=world.portfolio).first()

    def edit():
        return services.evidence_save(
            actor=world.learner,
            portfolio=world.portfolio,
            evidence=item,
            title="Changed at the last minute",
            method=item.method,
            activity_date=item.activity_date,
            setting=item.setting,
            criteria=list(item.criteria.all()),
            range_items=list(item.range_items.all()),
        )

    results = _race(edit, lambda: sign(world, world.assessor, K.ASSESSOR, expected_digest=seen))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    signature = Signature.objects.standing().filter(kind=K.ASSESSOR).first()
    if signature is not None:
        # The signature came first: it covers the record the assessor saw, and the edit was refused.
        assert signature.digest == current_digest(world.portfolio) == seen
        assert Evidence.objects.get(pk=item.pk).title == item.title
    else:
        # The edit came first: it took the unit back to in progress (the declaration fell with it), and the
        # assessor was told the record changed, so nothing was signed.
        assert Evidence.objects.get(pk=item.pk).title == "Changed at the last minute"
        assert status(world) == S.IN_PROGRESS


# --- Evidence changed after submitting -----------------------------------------------------------------------


def _edit(world, item: Evidence, **changes) -> Evidence:
    """The learner saves the item again, with `changes` (none: saved as it was)."""
    return services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        evidence=item,
        title=changes.get("title", item.title),
        method=item.method,
        activity_date=item.activity_date,
        setting=item.setting,
        description=item.description,
        criteria=list(item.criteria.all()),
        range_items=list(item.range_items.all()),
        **{f: getattr(item, f) for f in services.WITNESS_FIELDS},
    )


def judge_pending(world) -> None:
    """The assessor accepts every item waiting for them, confirming each claim, through the review service."""
    from assessments.judgement.services import claims_in_unit, evidence_judge

    for item in Evidence.objects.filter(portfolio=world.portfolio, decision=Decision.PENDING):
        criteria, range_items = claims_in_unit(item, world.portfolio)
        verdicts = dict.fromkeys([*criteria, *range_items], Verdict.CONFIRMED)
        evidence_judge(actor=world.assessor, evidence=item, decision=Decision.ACCEPTED, verdicts=verdicts)


def test_changing_evidence_after_submitting_takes_the_unit_back_to_in_progress(ready):
    from notifications.models import Notification

    world = ready
    notice = Notification.objects.get(user=world.assessor, kind="unit_submitted")
    assert notice.done_at is None
    declaration = Signature.objects.standing().get(kind=K.LEARNER)
    _edit(world, Evidence.objects.get(portfolio=world.portfolio, number=1), title="Customer a, with the date")
    assert status(world) == S.IN_PROGRESS
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is not None and declaration.withdrawn_by == world.learner
    assert declaration.withdrawal_reason == "The evidence changed after submitting: E1 changed"
    event = AuditEvent.objects.get(action="portfolio.reopened")
    assert (event.data["before"], event.data["after"], event.actor) == (S.SUBMITTED, S.IN_PROGRESS, world.learner)
    notice.refresh_from_db()
    assert notice.done_at is not None
    with pytest.raises(TransitionError, match="in progress"):
        sign(world, world.assessor, K.ASSESSOR)


@pytest.mark.parametrize("change", ["add", "delete"])
def test_adding_or_deleting_evidence_after_submitting_also_needs_a_new_declaration(ready, change):
    world = ready
    if change == "add":
        add(world, criteria=["1.1"], title="One more customer")
    else:
        services.evidence_delete(
            actor=world.learner, evidence=Evidence.objects.get(portfolio=world.portfolio, number=4)
        )
    assert status(world) == S.IN_PROGRESS
    assert not Signature.objects.standing().exists()


def test_saving_an_item_unchanged_keeps_the_declaration(ready):
    _edit(ready, Evidence.objects.get(portfolio=ready.portfolio, number=1))
    assert status(ready) == S.SUBMITTED
    assert [c.matches for c in signature_checks(ready.portfolio)] == [True]


def test_a_unit_handled_through_the_application_verifies_as_genuine(world):
    """Every step through the services people use: the learner changes an item after submitting and declares
    again; the witness confirms, and the assessor records an observation and judges, after the declaration."""
    from assessments.evidence.services.acknowledgements import observation_acknowledge
    from assessments.evidence.services.witness import witness_confirm, witness_request_send
    from assessments.models import RecordCode
    from assessments.records.verification import record_verification
    from tests.assessor_records import observe

    cover_everything(world)
    testimony = add(
        world,
        method="WT",
        criteria=["1.2"],
        witness_name="Sam Shop",
        witness_email="sam@shop.example",
        witness_statement="I saw Lena calm an angry customer.",
        title="Sam's statement",
    )
    submit(world)
    _edit(world, Evidence.objects.get(portfolio=world.portfolio, number=1), title="Customer a, dated")
    assert status(world) == S.IN_PROGRESS
    submit(world)
    witness_confirm(token=witness_request_send(actor=world.learner, evidence=testimony).token)
    observed = observe(world, criteria=("1.1",), title="Observed at the counter", activity_date=timezone.localdate())
    # The learner acknowledges it from their own account: until then the unit is not complete.
    observation_acknowledge(actor=world.learner, evidence=observed)
    judge_pending(world)
    assert status(world) == S.SUBMITTED
    sign(world, world.assessor, K.ASSESSOR)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    assert status(world) == S.COMPLETE
    code = RecordCode.objects.get(portfolio=world.portfolio, round=world.portfolio.round)
    verification = record_verification(code.code)
    assert verification.unaltered and not verification.altered
    assert [line.matches for line in verification.standing] == [True, True, True]


def test_a_declaration_made_over_the_first_version_of_the_record_is_compared_like_with_like(ready):
    from assessments.records.document import build_record, digest_of

    world = ready
    Signature.objects.filter(kind=K.LEARNER).update(withdrawn_at=timezone.now(), withdrawal_reason="Re-signed")
    old = build_record(world.portfolio, judgements=False, version=1)
    Signature.objects.create(
        portfolio=world.portfolio,
        kind=K.LEARNER,
        round=1,
        signer=world.learner,
        signer_name=world.learner.full_name,
        role=Role.LEARNER,
        statement="I confirm that the evidence provided is a result of my own work.",
        signed_at=timezone.now(),
        record=old,
        digest=digest_of(old),
    )
    assert [c.matches for c in signature_checks(world.portfolio)] == [True]


# --- Signing: password first, once only, no PDF in the request -----------------------------------------------


def test_a_wrong_password_is_refused_before_the_row_is_locked(ready, monkeypatch):
    from assessments.signoff.services import signing

    def no_lock(portfolio):
        raise AssertionError("the portfolio row was locked before the password was checked")

    monkeypatch.setattr(signing, "_lock", no_lock)
    with pytest.raises(ValidationError) as err:
        unit_sign(actor=ready.assessor, portfolio=ready.portfolio, kind=K.ASSESSOR, password="guess")
    assert "password" in err.value.message_dict


@postgres_only
def test_a_wrong_password_issues_no_lock_query(ready):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx, pytest.raises(ValidationError):
        unit_sign(actor=ready.assessor, portfolio=ready.portfolio, kind=K.ASSESSOR, password="guess")
    assert not [q for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        sign(ready, ready.assessor, K.ASSESSOR)
    assert [q for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_is_refused_at_once_while_another_request_holds_the_row(ready):
    # On SQLite the holder's transaction holds the database's write lock (IMMEDIATE): the password is checked
    # before any transaction begins, so it is not behind that either.
    import time

    from django.db import connections

    world = ready
    held, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        try:
            with transaction.atomic():
                Portfolio.objects.select_for_update().get(pk=world.portfolio.pk)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(ValidationError) as err:
            unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password="guess")
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert "password" in err.value.message_dict
    assert took < 2, f"refused after {took:.1f} s"


def test_signing_again_says_when_it_was_signed_and_makes_no_second_signature(ready):
    from assessments.signoff.services import AlreadySigned

    world = ready
    first = sign(world, world.assessor, K.ASSESSOR)
    with pytest.raises(AlreadySigned) as err:
        sign(world, world.assessor, K.ASSESSOR)
    when = timezone.localtime(first.signed_at)
    assert err.value.messages == [f"Already signed by you on {when:%d/%m/%Y} at {when:%H:%M}."]
    with pytest.raises(AlreadySigned):
        submit(world)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    assert status(world) == S.COMPLETE
    with pytest.raises(AlreadySigned):
        sign(world, world.iv, K.IV)
    assert Signature.objects.count() == 3


def test_signing_renders_no_pdf_itself_but_enqueues_the_render(ready, monkeypatch, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    import assessments.records.pdf.render
    import assessments.records.services.renders

    def no_render(*args, **kwargs):
        raise AssertionError("a PDF was rendered while signing")

    monkeypatch.setattr(assessments.records.pdf.render, "render_pdf", no_render)
    monkeypatch.setattr(assessments.records.services.renders, "render_pdf", no_render)
    with django_capture_on_commit_callbacks(execute=True):
        sign(ready, ready.assessor, K.ASSESSOR)
    queued = DBTaskResult.objects.filter(task_path="assessments.tasks.render_unit_record")
    assert queued.count() == 1 and queued.get().args_kwargs["args"] == [ready.portfolio.pk]


def test_changing_an_item_reopens_the_other_submitted_unit_it_counts_towards(world, second_portfolio):
    from assessments.tests.test_cross_references import C4, SECOND, save
    from assessments.tests.test_cross_references import crit as criterion

    item = save(world.learner, world.portfolio, criteria=[criterion(C4, "2.1"), criterion(SECOND, "1.1")])
    unit_sign(actor=world.learner, portfolio=second_portfolio, kind=K.LEARNER, password=PASSWORD)
    assert Portfolio.objects.get(pk=second_portfolio.pk).status == S.SUBMITTED
    _edit(world, item, title="Complaint about a missing parcel, with the date")
    assert Portfolio.objects.get(pk=second_portfolio.pk).status == S.IN_PROGRESS
    assert status(world) == S.IN_PROGRESS
    event = AuditEvent.objects.get(action="portfolio.reopened")
    assert event.portfolio_id == second_portfolio.pk and event.data["change"] == "E1 changed"
