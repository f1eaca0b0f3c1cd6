"""Sending a unit back: referred by the assessor or a verifier with reasons, which closes the round, or reopened
because the learner changed evidence after submitting, which lets their declaration fall."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import Portfolio, Referral, Signature
from assessments.notices import unit_notices_sync
from assessments.policy import REFERRERS
from people.models import Role, User

from .chain import K, S, TransitionError, _lock, _may, _standing, _withdraw_and_step_back

# The reason a learner's declaration falls when they change evidence after submitting (see unit_reopen).
REOPENED = "The evidence changed after submitting: "


def unit_reopen(*, actor: User, portfolio: Portfolio, change: str) -> bool:
    """The learner changed evidence the submitted unit counts: their declaration covers an older record, so it
    falls and the unit is back in progress until they declare again. False when the unit was not submitted."""
    portfolio = _lock(portfolio)
    if portfolio.status != S.SUBMITTED:
        return False
    declaration = _standing(portfolio, K.LEARNER)
    _withdraw_and_step_back(
        portfolio,
        [declaration] if declaration is not None else [],
        withdrawal_reason=f"{REOPENED}{change}",
        to=S.IN_PROGRESS,
        actor=actor,
        role=Role.LEARNER,
        action="portfolio.reopened",
        summary=f"Back in progress: {change} after submitting. The learner must submit it again.",
        signature=declaration.pk if declaration else None,
        change=change,
    )
    unit_notices_sync(portfolio, actor=actor)
    return True


unit_reopen = transaction.atomic(unit_reopen)


def unit_refer(*, actor: User, portfolio: Portfolio, role: str, reasons: str) -> Referral:
    """Send the unit back to the learner with reasons. This closes the round and unlocks the evidence."""
    portfolio = _lock(portfolio)
    reasons = reasons.strip()
    if not reasons:
        raise ValidationError({"reasons": "Say why the unit is referred back, so the learner knows what to do."})
    action = {Role.ASSESSOR: "assessor_refer", Role.IV: "iv_refer", Role.EV: "ev_refer"}.get(role)
    if action is None:
        raise TransitionError("You cannot refer this unit back.")
    if portfolio.status not in REFERRERS[Role(role)]:
        raise TransitionError(f"This unit is {portfolio.get_status_display().lower()}: you cannot refer it back now.")
    _may(actor, portfolio, action)
    referral = Referral.objects.create(
        portfolio=portfolio, round=portfolio.round, referred_by=actor, role=role, reasons=reasons
    )
    # Every standing signature of the round falls with it.
    standing = list(Signature.objects.standing().filter(portfolio=portfolio))
    old_round = portfolio.round
    portfolio.round += 1
    # The IV samples each round afresh; the EV's sample is of the registration, so it holds the next round too.
    portfolio.iv_sampled = False
    _withdraw_and_step_back(
        portfolio,
        standing,
        withdrawal_reason=f"Referred back: {reasons}",
        to=S.IN_PROGRESS,
        actor=actor,
        role=role,
        action="portfolio.referred",
        summary=f"Referred back by {actor.full_name}: {reasons}",
        reasons=reasons,
        closed_round=old_round,
    )
    unit_notices_sync(portfolio, actor=actor, referral=referral)
    return referral


unit_refer = transaction.atomic(unit_refer)
