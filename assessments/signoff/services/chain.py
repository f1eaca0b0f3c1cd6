"""What every step of the sign-off chain shares: the row lock, the checked status move with its audit rows,
the actor's links to the locked row, the policy's answer on it, and completing the unit once nothing is left."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from assessments.access import COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV
from assessments.models import (
    LOCKED_STATUSES,
    TRANSITIONS,
    Portfolio,
    PortfolioStatus,
    Signature,
    SignatureKind,
)
from assessments.policy import NEEDS, portfolio_may, qualifying
from assessments.records.services.renders import record_render_enqueue
from audit.services import audit_log
from people.models import EVAllocation, Role, User
from people.visit_links import visit_reaches_user

S = PortfolioStatus
K = SignatureKind


class TransitionError(ValidationError):
    """A move the status map does not allow, or one this person may not make now."""


def _lock(portfolio: Portfolio) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("unit", "centre", "learner", "assessor", "iv", "awarding_body")
        .get(pk=portfolio.pk)
    )


def status_move_allow(portfolio_id: int, to: str) -> None:
    """Let this transaction move this portfolio to `to`: on PostgreSQL a trigger (migration 0010) refuses any
    status change that was not announced so, which only this package does, after checking the move."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('assessments.status_move', %s, true)", [f"{portfolio_id}:{to}"])


def _move(portfolio: Portfolio, to: str, *, actor: User, role: str, action: str, summary: str, **data) -> None:
    before = portfolio.status
    if to not in TRANSITIONS[before]:
        raise TransitionError(f"This unit is {S(before).label.lower()}, so it cannot become {S(to).label.lower()} now.")
    portfolio.status = to
    status_move_allow(portfolio.pk, to)
    portfolio.save(update_fields=["status", "round", "iv_sampled", "ev_sampled"])
    # The sign-off block changed: store a PDF of the record as it now stands.
    record_render_enqueue(portfolio)
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action=action,
        target=portfolio,
        summary=summary,
        data={"before": before, "after": to, "round": portfolio.round, **data},
    )
    was_locked, is_locked = before in LOCKED_STATUSES, to in LOCKED_STATUSES
    if was_locked != is_locked:
        # Its own row, so a verifier can find every lock and unlock without reading every status change.
        audit_log(
            actor=actor,
            actor_role=role,
            centre=portfolio.centre,
            action="evidence.locked" if is_locked else "evidence.unlocked",
            target=portfolio,
            summary=f"Evidence {'locked' if is_locked else 'unlocked'}: {S(to).label.lower()}",
            data={"before": before, "after": to, "round": portfolio.round},
        )


def _withdraw_and_step_back(
    portfolio: Portfolio,
    signatures: Iterable[Signature],
    *,
    withdrawal_reason: str,
    to: str,
    actor: User,
    role: str,
    action: str,
    summary: str,
    **data,
) -> None:
    """Withdraw these standing signatures for one reason and move the unit back to `to`: what a referral, a
    reopened submission and a withdrawn signature share. The history keeps the signatures, marked withdrawn;
    if the move is refused, the caller's transaction takes the withdrawals back with it."""
    now = timezone.now()
    for signature in signatures:
        signature.withdrawn_at = now
        signature.withdrawn_by = actor
        signature.withdrawal_reason = withdrawal_reason
        signature.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    _move(portfolio, to, actor=actor, role=role, action=action, summary=summary, **data)


def _standing(portfolio: Portfolio, kind: str) -> Signature | None:
    return Signature.objects.standing().filter(portfolio=portfolio, kind=kind).first()


def ev_may_verify(actor: User, portfolio: Portfolio) -> bool:
    """An EV allocated to the centre for the portfolio's awarding body, or on an open visit that samples it."""
    return EVAllocation.objects.filter(
        external_verifier__user=actor,
        external_verifier__awarding_body_id=portfolio.awarding_body_id,
        centre_id=portfolio.centre_id,
        is_active=True,
    ).exists() or visit_reaches_user(user_id=actor.pk, portfolio_id=portfolio.pk)


def _remote(actor: User, portfolio: Portfolio, role: str) -> dict[str, bool]:
    """An EV's work with no open visit sampling the unit is remote sampling (assessments/policy.py): said so in
    the audit."""
    if role != Role.EV:
        return {}
    return {"remote": not visit_reaches_user(user_id=actor.pk, portfolio_id=portfolio.pk)}


def _links(actor: User, portfolio: Portfolio) -> set[Role | str]:
    """The actor's links to the locked row, by who it names now (the page's links come from the request)."""
    links: set[Role | str] = set()
    if actor.pk == portfolio.learner_id:
        links.add(Role.LEARNER)
    if actor.pk == portfolio.assessor_id:
        links.add(Role.ASSESSOR)
    if actor.pk == portfolio.iv_id:
        links.add(Role.IV)
    # Countersigners are any other qualified colleague; the policy checks the qualification.
    if actor.pk not in (portfolio.assessor_id, portfolio.learner_id):
        links.add(COUNTERSIGN_ASSESSOR)
    if actor.pk not in (portfolio.iv_id, portfolio.assessor_id, portfolio.learner_id):
        links.add(COUNTERSIGN_IV)
    if ev_may_verify(actor, portfolio):
        links.add(Role.EV)
    return links


def _needed_link(actor: User, portfolio: Portfolio, action: str) -> Role | str:
    """The link the action needs, or a TransitionError with the policy's reason when the actor lacks it."""
    link, reason = NEEDS[action]
    if link not in _links(actor, portfolio):
        raise TransitionError(reason)
    return link


def _may(actor: User, portfolio: Portfolio, action: str) -> None:
    """Ask the policy on the locked row; a refusal says its reason."""
    decision = portfolio_may(actor.pk, _links(actor, portfolio), action, portfolio)
    if not decision:
        raise TransitionError(decision.reason)


def _complete_if_nothing_left(portfolio: Portfolio, *, actor: User, role: str) -> None:
    """After the last signature the chain needs, the unit is complete: ready to claim the certificate."""
    iv_qualifying = qualifying(portfolio, Role.IV)
    waiting_for_ev = portfolio.ev_sampled and portfolio.status != S.EV_SIGNED
    done = (
        portfolio.status == S.EV_SIGNED
        or (portfolio.status == S.IV_COUNTERSIGNED and not waiting_for_ev)
        or (portfolio.status == S.IV_SIGNED and not iv_qualifying and not waiting_for_ev)
        or (portfolio.status == S.IV_RELEASED and not waiting_for_ev)
    )
    if done:
        _move(
            portfolio,
            S.COMPLETE,
            actor=actor,
            role=role,
            action="portfolio.completed",
            summary=f"{portfolio.learner.full_name}: {portfolio.unit.title} complete",
        )
