"""The sign-off services' own checks, each from a state set directly: sampling, release, the EV's hold and release,
reopening, referral and withdrawal, who may, when, and what each leaves behind (status, flags, signatures, audit).
The whole chain signed through end to end is in test_signoff.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus, Referral, Signature
from assessments.models import SignatureKind as K
from assessments.signoff import services
from assessments.signoff.services import (
    REOPENED,
    TransitionError,
    ev_may_verify,
    signature_withdraw,
    unit_ev_hold,
    unit_ev_release,
    unit_mark_sampled,
    unit_refer,
    unit_release,
    unit_reopen,
)
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import EVAllocation, Membership, Qualification, Role
from tests.factories import external_verifier

S = PortfolioStatus


def put(world, status: str, **flags) -> Portfolio:
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=status, **flags)
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    return world.portfolio


def now(world) -> Portfolio:
    return Portfolio.objects.get(pk=world.portfolio.pk)


def signed(world, kind: str, who, role: str, **fields) -> Signature:
    fields.setdefault("signed_at", timezone.now())
    return Signature.objects.create(
        portfolio=world.portfolio, kind=kind, round=world.portfolio.round, signer=who, signer_name=who.full_name,
        role=role, statement="-", record={}, digest="0" * 64, **fields,
    )  # fmt: skip


def refusal(err) -> list[str]:
    return err.value.messages


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def by_on(event: AuditEvent, actor, world) -> bool:
    """The row names who acted, at which centre, on this portfolio."""
    return (event.actor_id, event.centre_id, event.target_id, event.portfolio_id) == (
        actor.pk,
        world.centre.pk,
        str(world.portfolio.pk),
        world.portfolio.pk,
    )


# --- The IV's release and sample -----------------------------------------------------------------------------------


def test_the_iv_releases_an_assessed_unit_which_completes_and_the_evidence_stays_locked(world):
    put(world, S.ASSESSOR_SIGNED)
    unit_release(actor=world.iv, portfolio=world.portfolio)
    assert now(world).status == S.COMPLETE
    (released,) = events("portfolio.released")
    assert (released.data["before"], released.data["after"]) == (S.ASSESSOR_SIGNED, S.IV_RELEASED)
    assert released.summary == f"Released unsampled by the IV, {world.iv.full_name}"
    assert released.actor_role == Role.IV
    (completed,) = events("portfolio.completed")
    assert (
        completed.data["after"] == S.COMPLETE and by_on(completed, world.iv, world) and by_on(released, world.iv, world)
    )
    assert completed.summary == f"{world.learner.full_name}: {world.portfolio.unit.title} complete"
    assert events("evidence.locked") == [] and events("evidence.unlocked") == []


def test_release_is_refused_before_the_assessor_signs_and_to_anyone_but_the_iv(world):
    for status in (S.IN_PROGRESS, S.SUBMITTED, S.IV_SIGNED, S.COMPLETE):
        put(world, status)
        with pytest.raises(TransitionError) as err:
            unit_release(actor=world.iv, portfolio=world.portfolio)
        assert refusal(err) == [f"This unit is {S(status).label.lower()}: that is not due now."]
        assert now(world).status == status
    put(world, S.ASSESSOR_SIGNED)
    with pytest.raises(TransitionError) as err:
        unit_release(actor=world.assessor, portfolio=world.portfolio)
    assert refusal(err) == ["Only the unit's internal verifier releases it."]
    assert now(world).status == S.ASSESSOR_SIGNED and not events("portfolio.released")


def test_a_released_unit_in_the_evs_sample_waits_for_the_ev(world):
    put(world, S.ASSESSOR_COUNTERSIGNED, ev_sampled=True)
    unit_release(actor=world.iv, portfolio=world.portfolio)
    assert now(world).status == S.IV_RELEASED and not events("portfolio.completed")


def test_the_iv_samples_once_and_a_second_click_changes_nothing(world):
    put(world, S.ASSESSOR_SIGNED)
    unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
    assert now(world).iv_sampled and not now(world).ev_sampled
    (sampled,) = events("portfolio.sampled")
    assert sampled.summary == f"Sampled by the IV, {world.iv.full_name}"
    assert sampled.data == {"by": Role.IV, "status": S.ASSESSOR_SIGNED} and sampled.actor_role == Role.IV
    assert by_on(sampled, world.iv, world)
    unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
    assert len(events("portfolio.sampled")) == 1
    # The second click is still refused to anyone who may not sample it at all.
    with pytest.raises(TransitionError) as err:
        unit_mark_sampled(actor=world.assessor, portfolio=world.portfolio, role=Role.IV)
    assert refusal(err) == ["Only the unit's internal verifier samples it."]


def test_an_allocated_ev_samples_remotely_and_a_second_click_needs_the_ev_link_too(world):
    put(world, S.IV_SIGNED)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    assert now(world).ev_sampled and not now(world).iv_sampled
    (sampled,) = events("portfolio.sampled")
    assert sampled.summary == f"Sampled by the EV, {world.ev.full_name}, remotely (no visit)"
    assert sampled.data == {"by": Role.EV, "status": S.IV_SIGNED, "remote": True}
    with pytest.raises(TransitionError) as err:
        unit_mark_sampled(actor=external_verifier(world.other_centre), portfolio=world.portfolio, role=Role.EV)
    assert refusal(err)[0].startswith("Only an external verifier allocated to this centre")


def test_an_ev_sampling_on_a_visit_that_holds_the_unit_is_not_remote(world, monkeypatch):
    def on_visit(*, user_id, portfolio_id):
        return (user_id, portfolio_id) == (world.ev.pk, world.portfolio.pk)

    monkeypatch.setattr(services.chain, "visit_reaches_user", on_visit)
    put(world, S.IV_SIGNED)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    (sampled,) = events("portfolio.sampled")
    assert sampled.summary == f"Sampled by the EV, {world.ev.full_name}"
    assert sampled.data == {"by": Role.EV, "status": S.IV_SIGNED, "remote": False}


def test_sampling_is_refused_once_finished_and_to_anyone_but_a_verifier(world):
    for status in (S.COMPLETE, S.WITHDRAWN):
        put(world, status)
        with pytest.raises(TransitionError) as err:
            unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
        assert refusal(err) == ["This unit is already complete; it can no longer be sampled."]
    put(world, S.ASSESSOR_SIGNED)
    for role in (Role.ASSESSOR, Role.ADMIN, Role.LEARNER):
        with pytest.raises(TransitionError) as err:
            unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=role)
        assert refusal(err) == ["Only verifiers sample units."]
    with pytest.raises(TransitionError) as err:
        unit_mark_sampled(actor=world.iv, portfolio=put(world, S.SUBMITTED), role=Role.IV)
    assert refusal(err) == ["This unit is submitted by the learner: that is not due now."]
    assert not now(world).iv_sampled and not events("portfolio.sampled")


# --- Which EV may verify ---------------------------------------------------------------------------------------


def test_ev_may_verify_only_through_an_active_allocation_to_the_centre_for_the_units_body(world, monkeypatch):
    assert ev_may_verify(world.ev, world.portfolio)
    assert not ev_may_verify(external_verifier(world.other_centre), world.portfolio)
    assert not ev_may_verify(external_verifier(world.centre, body_code="OCR"), world.portfolio)
    assert not ev_may_verify(world.iv, world.portfolio)
    EVAllocation.objects.filter(external_verifier__user=world.ev).update(is_active=False)
    assert not ev_may_verify(world.ev, world.portfolio)

    # Or an open visit that has the unit in its sample.
    def on_visit(*, user_id, portfolio_id):
        return (user_id, portfolio_id) == (world.ev.pk, world.portfolio.pk)

    monkeypatch.setattr(services.chain, "visit_reaches_user", on_visit)
    assert ev_may_verify(world.ev, world.portfolio)


# --- The EV's hold and release ---------------------------------------------------------------------------------


def test_a_hold_puts_an_unfinished_unit_in_the_evs_sample_once(world):
    put(world, S.SUBMITTED)
    assert unit_ev_hold(actor=world.admin, portfolio=world.portfolio, role=Role.ADMIN, summary="On the visit.", v=1)
    assert now(world).ev_sampled
    (held,) = events("portfolio.ev_held")
    assert (held.summary, held.data, held.actor_role) == ("On the visit.", {"status": S.SUBMITTED, "v": 1}, Role.ADMIN)
    assert by_on(held, world.admin, world)
    assert not unit_ev_hold(actor=world.admin, portfolio=world.portfolio, role=Role.ADMIN, summary="Again.")
    for status in (S.COMPLETE, S.WITHDRAWN):
        put(world, status, ev_sampled=False)
        assert not unit_ev_hold(actor=world.admin, portfolio=world.portfolio, role=Role.ADMIN, summary="Late.")
        assert not now(world).ev_sampled
    assert len(events("portfolio.ev_held")) == 1


def test_the_ev_releases_a_verified_unit_from_the_sample_and_it_completes(world):
    put(world, S.IV_SIGNED, ev_sampled=True)
    unit_ev_release(actor=world.ev, portfolio=world.portfolio)
    assert now(world).status == S.COMPLETE and not now(world).ev_sampled
    (released,) = events("portfolio.ev_released")
    assert released.summary == f"Released from the EV's sample by {world.ev.full_name}, without the EV's signature"
    assert released.data == {"status": S.IV_SIGNED} and released.actor_role == Role.EV
    assert by_on(released, world.ev, world) and by_on(events("portfolio.completed")[0], world.ev, world)


def test_an_ev_release_before_the_iv_leaves_the_unit_where_it_is(world):
    put(world, S.ASSESSOR_SIGNED, ev_sampled=True)
    unit_ev_release(actor=world.admin, portfolio=world.portfolio, role=Role.ADMIN, summary="Visit ended.", visit=7)
    assert now(world).status == S.ASSESSOR_SIGNED and not now(world).ev_sampled
    (released,) = events("portfolio.ev_released")
    assert (released.summary, released.data) == ("Visit ended.", {"status": S.ASSESSOR_SIGNED, "visit": 7})


def test_an_ev_release_is_refused_unless_the_unit_waits_for_the_ev(world):
    for status, sampled in ((S.IV_SIGNED, False), (S.COMPLETE, True), (S.WITHDRAWN, True), (S.EV_SIGNED, True)):
        put(world, status, ev_sampled=sampled)
        with pytest.raises(TransitionError) as err:
            unit_ev_release(actor=world.ev, portfolio=world.portfolio)
        assert refusal(err) == ["This unit is not waiting for the external verifier."]
    put(world, S.IV_SIGNED, ev_sampled=True)
    with pytest.raises(TransitionError) as err:
        unit_ev_release(actor=external_verifier(world.other_centre), portfolio=world.portfolio)
    assert refusal(err)[0].startswith("Only an external verifier allocated to this centre")
    assert now(world).ev_sampled and not events("portfolio.ev_released")


def test_a_qualifying_ivs_signature_still_needs_its_countersignature_after_the_ev_release(world):
    Membership.objects.filter(user=world.iv).update(qualification=Qualification.QUALIFYING)
    put(world, S.IV_SIGNED, ev_sampled=True)
    unit_ev_release(actor=world.ev, portfolio=world.portfolio)
    assert now(world).status == S.IV_SIGNED
    put(world, S.IV_COUNTERSIGNED, ev_sampled=True)
    unit_ev_release(actor=world.ev, portfolio=world.portfolio)
    assert now(world).status == S.COMPLETE


# --- Reopening and referral ------------------------------------------------------------------------------------


def test_a_change_after_submitting_withdraws_the_declaration_and_reopens_the_unit(world):
    put(world, S.SUBMITTED)
    declaration = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    assert unit_reopen(actor=world.learner, portfolio=world.portfolio, change="E1 edited")
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is not None and declaration.withdrawn_by == world.learner
    assert declaration.withdrawal_reason == f"{REOPENED}E1 edited"
    assert REOPENED == "The evidence changed after submitting: "
    assert now(world).status == S.IN_PROGRESS
    (reopened,) = events("portfolio.reopened")
    assert reopened.summary == "Back in progress: E1 edited after submitting. The learner must submit it again."
    assert (reopened.data["signature"], reopened.data["change"]) == (declaration.pk, "E1 edited")
    assert reopened.actor_role == Role.LEARNER


def test_reopening_withdraws_this_units_declaration_only(world):
    from tests.factories import PortfolioFactory

    other = PortfolioFactory(centre=world.centre, status=S.SUBMITTED)
    theirs = Signature.objects.create(
        portfolio=other, kind=K.LEARNER, round=1, signer=other.learner, signer_name="L", role=Role.LEARNER,
        statement="-", signed_at=timezone.now(), record={}, digest="0" * 64,
    )  # fmt: skip
    put(world, S.SUBMITTED)
    ours = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    unit_reopen(actor=world.learner, portfolio=world.portfolio, change="E1 edited")
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.withdrawn_at is None and ours.withdrawn_at is not None


def test_reopening_touches_only_a_submitted_unit(world):
    for status in (S.IN_PROGRESS, S.ASSESSOR_SIGNED):
        put(world, status)
        assert unit_reopen(actor=world.learner, portfolio=world.portfolio, change="E1 edited") is False
        assert now(world).status == status
    put(world, S.SUBMITTED)
    assert unit_reopen(actor=world.learner, portfolio=world.portfolio, change="E2 added") is True
    assert events("portfolio.reopened")[0].data["signature"] is None


def test_the_iv_refers_back_closing_the_round_and_withdrawing_its_signatures(world):
    put(world, S.ASSESSOR_SIGNED, ev_sampled=True)
    declaration = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    decision = signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR)
    referral = unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.IV, reasons="  Too thin.  ")
    assert (referral.round, referral.referred_by, referral.role, referral.reasons) == (
        1,
        world.iv,
        Role.IV,
        "Too thin.",
    )
    p = now(world)
    assert (p.status, p.round, p.iv_sampled, p.ev_sampled) == (S.IN_PROGRESS, 2, False, True)
    for signature in (declaration, decision):
        signature.refresh_from_db()
        assert signature.withdrawn_by == world.iv and signature.withdrawal_reason == "Referred back: Too thin."
    (referred,) = events("portfolio.referred")
    assert by_on(referred, world.iv, world)
    assert referred.summary == f"Referred back by {world.iv.full_name}: Too thin."
    assert (referred.data["reasons"], referred.data["closed_round"], referred.data["round"]) == ("Too thin.", 1, 2)
    assert [e.data["after"] for e in events("evidence.unlocked")] == [S.IN_PROGRESS]
    # The learner is told why, the assessor that the IV referred it; the IV is told nothing of their own act.
    told = Notification.objects.filter(kind="unit_referred").order_by("user__pk")
    assert sorted((n.user.pk, n.title) for n in told) == sorted([
        (world.learner.pk, "Your unit was referred back: Too thin."),
        (world.assessor.pk, f"Referred back by the IV: {world.learner.full_name} – {world.portfolio.unit.title}"),
    ])  # fmt: skip
    assert not Notification.objects.filter(user=world.iv).exists()


def test_a_referral_needs_reasons_a_referring_role_and_its_state(world):
    put(world, S.SUBMITTED)
    with pytest.raises(ValidationError) as err:
        unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="   ")
    assert err.value.message_dict == {
        "reasons": ["Say why the unit is referred back, so the learner knows what to do."]
    }
    with pytest.raises(TransitionError) as err:
        unit_refer(actor=world.admin, portfolio=world.portfolio, role=Role.ADMIN, reasons="No.")
    assert refusal(err) == ["You cannot refer this unit back."]
    with pytest.raises(TransitionError) as err:
        unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.IV, reasons="No.")
    assert refusal(err) == ["This unit is submitted by the learner: you cannot refer it back now."]
    with pytest.raises(TransitionError) as err:
        unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="No.")
    assert refusal(err) == ["Only the learner's assessor refers a submitted unit back."]
    assert not Referral.objects.exists() and now(world).status == S.SUBMITTED
    unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="Redo E2.")
    assert now(world).status == S.IN_PROGRESS


def test_the_ev_refers_a_verified_unit_back(world):
    put(world, S.IV_SIGNED, ev_sampled=True, iv_sampled=True)
    unit_refer(actor=world.ev, portfolio=world.portfolio, role=Role.EV, reasons="Not sufficient.")
    p = now(world)
    assert (p.status, p.iv_sampled, p.ev_sampled) == (S.IN_PROGRESS, False, True)
    assert events("portfolio.referred")[0].actor_role == Role.EV


# --- Withdrawing a signature -----------------------------------------------------------------------------------


def test_the_signer_withdraws_the_latest_signature_and_the_unit_steps_back(world):
    put(world, S.ASSESSOR_SIGNED)
    signed(world, K.LEARNER, world.learner, Role.LEARNER)
    decision = signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR)
    with pytest.raises(ValidationError) as err:
        signature_withdraw(actor=world.assessor, signature=decision, reason="  ")
    assert err.value.message_dict == {"reason": ["Give the reason for withdrawing the signature."]}
    signature_withdraw(actor=world.assessor, signature=decision, reason=" Signed too soon. ")
    decision.refresh_from_db()
    assert (decision.withdrawn_by, decision.withdrawal_reason) == (world.assessor, "Signed too soon.")
    assert now(world).status == S.SUBMITTED
    (withdrawn,) = events("signature.withdrawn")
    assert withdrawn.actor_role == Role.ASSESSOR and by_on(withdrawn, world.assessor, world)
    assert withdrawn.summary == f"Assessor signature withdrawn by {world.assessor.full_name}: Signed too soon."
    assert (withdrawn.data["signature"], withdrawn.data["kind"], withdrawn.data["reason"]) == (
        decision.pk,
        K.ASSESSOR,
        "Signed too soon.",
    )
    assert [e.data["after"] for e in events("evidence.unlocked")] == [S.SUBMITTED]


def test_only_the_latest_standing_signature_goes(world):
    put(world, S.ASSESSOR_SIGNED)
    declaration = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR)
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.learner, signature=declaration, reason="Wrong unit.")
    assert refusal(err) == ["Withdraw the later signatures first: only the latest one can be withdrawn."]
    assert now(world).status == S.ASSESSOR_SIGNED


def test_the_latest_is_the_last_signed_whatever_order_the_rows_were_written_in(world):
    put(world, S.ASSESSOR_SIGNED)
    at = timezone.now()
    # Written second but signed first (another machine's clock): the declaration is the latest.
    signed(world, K.LEARNER, world.learner, Role.LEARNER, signed_at=at)
    decision = signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR, signed_at=at - timezone.timedelta(minutes=5))
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.assessor, signature=decision, reason="Too soon.")
    assert refusal(err) == ["Withdraw the later signatures first: only the latest one can be withdrawn."]


def test_of_two_signed_in_the_same_instant_the_one_written_last_is_the_latest(world):
    put(world, S.ASSESSOR_SIGNED)
    at = timezone.now()
    first = signed(world, K.LEARNER, world.learner, Role.LEARNER, signed_at=at)
    second = signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR, signed_at=at)
    with pytest.raises(TransitionError):
        signature_withdraw(actor=world.learner, signature=first, reason="Wrong unit.")
    signature_withdraw(actor=world.assessor, signature=second, reason="Too soon.")
    assert now(world).status == S.SUBMITTED


def test_a_member_who_is_not_the_centres_admin_cannot_withdraw_as_admin(world):
    put(world, S.SUBMITTED)
    declaration = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    for member in (world.assessor, world.iv):
        with pytest.raises(TransitionError) as err:
            signature_withdraw(actor=member, signature=declaration, reason="Wrong unit.", as_admin=True)
        assert refusal(err) == ["Only the signer or a centre admin can withdraw a signature."]
    assert now(world).status == S.SUBMITTED and not events("signature.withdrawn")


def test_a_centre_admin_withdraws_anyones_and_is_audited_as_admin(world):
    put(world, S.SUBMITTED)
    declaration = signed(world, K.LEARNER, world.learner, Role.LEARNER)
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.admin, signature=declaration, reason="Wrong unit.")
    assert refusal(err) == ["Only the signer or a centre admin can withdraw a signature."]
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.outsider, signature=declaration, reason="Wrong unit.", as_admin=True)
    assert refusal(err) == ["Only the signer or a centre admin can withdraw a signature."]
    Membership.objects.filter(user=world.admin).update(is_active=False)
    with pytest.raises(TransitionError):
        signature_withdraw(actor=world.admin, signature=declaration, reason="Wrong unit.", as_admin=True)
    Membership.objects.filter(user=world.admin).update(is_active=True)
    signature_withdraw(actor=world.admin, signature=declaration, reason="Wrong unit.", as_admin=True)
    assert now(world).status == S.IN_PROGRESS
    assert events("signature.withdrawn")[0].actor_role == Role.ADMIN


def test_an_admin_withdrawing_their_own_signature_is_audited_in_the_role_they_signed_in(world):
    Membership.objects.create(user=world.assessor, centre=world.centre, role=Role.ADMIN)
    put(world, S.ASSESSOR_SIGNED)
    decision = signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR)
    signature_withdraw(actor=world.assessor, signature=decision, reason="Mine.", as_admin=True)
    assert events("signature.withdrawn")[0].actor_role == Role.ASSESSOR


def test_withdrawing_the_ivs_signature_goes_back_to_the_assessors_and_keeps_the_sample(world):
    put(world, S.IV_SIGNED)
    signed(world, K.ASSESSOR, world.assessor, Role.ASSESSOR)
    iv = signed(world, K.IV, world.iv, Role.IV)
    signature_withdraw(actor=world.iv, signature=iv, reason="Report first.")
    assert (now(world).status, now(world).iv_sampled) == (S.ASSESSOR_SIGNED, True)
    put(world, S.IV_SIGNED)
    signed(world, K.ASSESSOR_COUNTERSIGN, world.admin, Role.ASSESSOR)
    iv = signed(world, K.IV, world.iv, Role.IV)
    signature_withdraw(actor=world.iv, signature=iv, reason="Report first.")
    assert now(world).status == S.ASSESSOR_COUNTERSIGNED


@pytest.mark.parametrize(
    ("kind", "at", "back"),
    [
        (K.ASSESSOR_COUNTERSIGN, S.ASSESSOR_COUNTERSIGNED, S.ASSESSOR_SIGNED),
        (K.IV_COUNTERSIGN, S.IV_COUNTERSIGNED, S.IV_SIGNED),
    ],
)
def test_a_countersignature_withdrawn_goes_back_to_the_decision_it_countersigned(world, kind, at, back):
    put(world, at)
    countersignature = signed(world, kind, world.admin, Role.ASSESSOR)
    signature_withdraw(actor=world.admin, signature=countersignature, reason="Not mine.")
    assert now(world).status == back


def test_the_evs_signature_cannot_be_withdrawn_nor_any_once_the_unit_is_complete(world):
    put(world, S.EV_SIGNED)
    ev = signed(world, K.EV, world.ev, Role.EV)
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.ev, signature=ev, reason="Oops.")
    assert refusal(err) == ["This signature cannot be withdrawn."]
    put(world, S.COMPLETE)
    with pytest.raises(TransitionError) as err:
        signature_withdraw(actor=world.ev, signature=ev, reason="Oops.")
    assert refusal(err) == ["The unit is complete: its signatures stand."]
    ev.refresh_from_db()
    assert ev.withdrawn_at is None and not events("signature.withdrawn")


# --- The status map ----------------------------------------------------------------------------------------------


def test_a_move_the_status_map_does_not_list_is_refused_in_words(world):
    put(world, S.IN_PROGRESS)
    with pytest.raises(TransitionError) as err:
        services.chain._move(world.portfolio, S.COMPLETE, actor=world.admin, role=Role.ADMIN, action="x", summary="x")
    assert refusal(err) == ["This unit is in progress, so it cannot become complete now."]
    assert now(world).status == S.IN_PROGRESS and not AuditEvent.objects.filter(action="x").exists()


def test_locking_and_unlocking_are_audited_on_their_own_rows(world):
    put(world, S.SUBMITTED)
    services.chain._move(world.portfolio, S.ASSESSOR_SIGNED, actor=world.assessor, role=Role.ASSESSOR, action="m",
                         summary="Signed.", extra=1)  # fmt: skip
    (locked,) = events("evidence.locked")
    assert locked.summary == "Evidence locked: signed by the assessor"
    assert locked.data == {"before": S.SUBMITTED, "after": S.ASSESSOR_SIGNED, "round": 1}
    (moved,) = events("m")
    assert by_on(locked, world.assessor, world) and by_on(moved, world.assessor, world)
    assert locked.actor_role == Role.ASSESSOR
    assert moved.data == {"before": S.SUBMITTED, "after": S.ASSESSOR_SIGNED, "round": 1, "extra": 1}
    assert (moved.summary, moved.actor_role) == ("Signed.", Role.ASSESSOR)
    services.chain._move(world.portfolio, S.IN_PROGRESS, actor=world.iv, role=Role.IV, action="m", summary="Back.")
    (unlocked,) = events("evidence.unlocked")
    assert unlocked.summary == "Evidence unlocked: in progress"
    assert now(world).status == S.IN_PROGRESS


def test_the_locked_row_comes_with_everything_the_chain_reads_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        locked = services.chain._lock(world.portfolio)
    with django_assert_num_queries(0):
        assert (locked.unit.pk, locked.centre.pk, locked.learner.pk, locked.assessor.pk, locked.iv.pk) == (
            world.portfolio.unit_id,
            world.centre.pk,
            world.learner.pk,
            world.assessor.pk,
            world.iv.pk,
        )
        assert locked.awarding_body.pk == world.portfolio.awarding_body_id
