"""The verifiers' samples: the IV or the EV choosing a unit, the IV releasing one unsampled, and a unit held in
the EV's sample until the EV signs or releases it (the visit services in quality hold and release it too)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from assessments.models import Portfolio
from assessments.notices import unit_notices_sync
from audit.services import audit_log
from people.models import Role, User

from .chain import S, TransitionError, _complete_if_nothing_left, _lock, _may, _move, _needed_link, _remote


def _sample_flag_set(
    portfolio: Portfolio,
    field: str,
    value: bool,
    *,
    actor: User | AnonymousUser,
    role: str,
    action: str,
    summary: str,
    data: dict[str, object],
) -> None:
    """Put the unit in a verifier's sample or take it out (`iv_sampled`, `ev_sampled`), with its audit row: the
    status does not move, so this is not a step of the chain."""
    setattr(portfolio, field, value)
    portfolio.save(update_fields=[field])
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action=action,
        target=portfolio,
        summary=summary,
        data=data,
    )


def unit_mark_sampled(*, actor: User, portfolio: Portfolio, role: str) -> Portfolio:
    """The IV or the EV chooses this unit for their sample."""
    portfolio = _lock(portfolio)
    if portfolio.status in (S.COMPLETE, S.WITHDRAWN):
        raise TransitionError("This unit is already complete; it can no longer be sampled.")
    if role not in (Role.IV, Role.EV):
        raise TransitionError("Only verifiers sample units.")
    field = "iv_sampled" if role == Role.IV else "ev_sampled"
    action = "iv_sample" if role == Role.IV else "ev_sample"
    if getattr(portfolio, field):
        # A second click: nothing more to do, for someone who may sample it at all.
        _needed_link(actor, portfolio, action)
        return portfolio
    _may(actor, portfolio, action)
    remote = _remote(actor, portfolio, role)
    _sample_flag_set(
        portfolio,
        field,
        True,
        actor=actor,
        role=role,
        action="portfolio.sampled",
        summary=f"Sampled by the {'IV' if role == Role.IV else 'EV'}, {actor.full_name}"
        + (", remotely (no visit)" if remote.get("remote") else ""),
        data={"by": role, "status": portfolio.status, **remote},
    )
    return portfolio


unit_mark_sampled = transaction.atomic(unit_mark_sampled)


def unit_release(*, actor: User, portfolio: Portfolio) -> Portfolio:
    """The IV lets the assessed unit through without sampling it."""
    portfolio = _lock(portfolio)
    _may(actor, portfolio, "iv_release")
    _move(
        portfolio,
        S.IV_RELEASED,
        actor=actor,
        role=Role.IV,
        action="portfolio.released",
        summary=f"Released unsampled by the IV, {actor.full_name}",
    )
    _complete_if_nothing_left(portfolio, actor=actor, role=Role.IV)
    unit_notices_sync(portfolio, actor=actor)
    return portfolio


unit_release = transaction.atomic(unit_release)


def unit_ev_hold(*, actor: User, portfolio: Portfolio, role: str, summary: str, **data: object) -> bool:
    """Put the unit in the EV's sample, made by whoever chose it for them (an EV visit's sample): from now on
    it completes only after the EV's signature or release. False when it is already held, or finished."""
    portfolio = _lock(portfolio)
    if portfolio.ev_sampled or portfolio.status in (S.COMPLETE, S.WITHDRAWN):
        return False
    _sample_flag_set(
        portfolio,
        "ev_sampled",
        True,
        actor=actor,
        role=role,
        action="portfolio.ev_held",
        summary=summary,
        data={"status": portfolio.status, **data},
    )
    return True


unit_ev_hold = transaction.atomic(unit_ev_hold)


def unit_ev_release(
    *, actor: User | AnonymousUser, portfolio: Portfolio, role: str = Role.EV, summary: str = "", **data: object
) -> Portfolio:
    """Take the unit out of the EV's sample without the EV's signature: the EV releasing it, or (from quality's
    visit services) its visit ending or cancelled, or it leaving the visit's sample. If every other signature
    it needs is made, it is complete."""
    portfolio = _lock(portfolio)
    if not portfolio.ev_sampled or portfolio.status in (S.COMPLETE, S.WITHDRAWN, S.EV_SIGNED):
        raise TransitionError("This unit is not waiting for the external verifier.")
    if role == Role.EV:
        _may(actor, portfolio, "ev_release")
    _sample_flag_set(
        portfolio,
        "ev_sampled",
        False,
        actor=actor,
        role=role,
        action="portfolio.ev_released",
        summary=summary or f"Released from the EV's sample by {actor.full_name}, without the EV's signature",
        data={"status": portfolio.status, **data},
    )
    _complete_if_nothing_left(portfolio, actor=actor, role=role)
    unit_notices_sync(portfolio, actor=actor)
    return portfolio


unit_ev_release = transaction.atomic(unit_ev_release)
