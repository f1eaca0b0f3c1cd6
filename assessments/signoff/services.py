"""The unit's status and sign-off chain: submit, sign, countersign, sample, release,
refer back and withdraw a signature; the EV's hold on a unit in their sample.

Every service locks the portfolio row and re-reads its status, so two people
acting at once (two tabs, two assessors, a learner editing while the assessor
signs) are put in order: the second sees what the first did. A signature covers
the digest of the record at that moment, and a signer who saw an older record
(`expected_digest`) is told to look again instead. The password is checked
before the lock: hashing it is the slow part, and a wrong one must be refused
at once, not after waiting for someone else's signature to commit.

A unit the EV has sampled (`ev_sampled`: marked by an allocated EV, findings
recorded, or put in an EV visit's sample by quality/services/visits.py) is not
complete until the EV signs it, or the EV releases it, or the visit ends with it
unsigned; this module never looks at visits itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assessments.access import COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV
from assessments.judgement.completeness import completeness
from assessments.models import (
    LOCKED_STATUSES,
    TRANSITIONS,
    Portfolio,
    PortfolioStatus,
    Referral,
    Signature,
    SignatureKind,
)
from assessments.notices import unit_notices_sync
from assessments.policy import (  # noqa: F401
    EV_SIGNS_FROM,
    NEEDS,
    REFERRERS,
    SIGN_ACTIONS,
    WITHDRAW_WHO,
    portfolio_may,
    qualifying,
    signature_may_withdraw,
)
from assessments.records.document import build_record, digest_of
from assessments.records.services.renders import record_code_for, record_render_enqueue
from audit.services import audit_log
from people.models import EVAllocation, Membership, Role, User
from people.visit_links import visit_reaches_user

S = PortfolioStatus
K = SignatureKind


class TransitionError(ValidationError):
    """A move the status map does not allow, or one this person may not make now."""


class AlreadySigned(TransitionError):
    """The same person signing the same part again (a double click, a second tab): nothing to do."""

    def __init__(self, signature: Signature) -> None:
        when = timezone.localtime(signature.signed_at)
        super().__init__(f"Already signed by you on {when:%d/%m/%Y} at {when:%H:%M}.")
        self.signature = signature


COUNTERSIGN_STATEMENT = "I countersign this decision by {name}, who is still qualifying, and agree with it."
IV_STATEMENT = "I have internally verified this unit and agree with the assessment decision."
EV_STATEMENT = "I have externally verified this unit and agree with the assessment and verification decisions."

MISSING_DIGEST = (
    "The page did not say which version of the record you checked, so nothing was signed. "
    "Reload the page, check the record, then sign."
)

# The reason a learner's declaration falls when they change evidence after submitting (see unit_reopen).
REOPENED = "The evidence changed after submitting: "


# What each signature moves the unit to.
SIGNED_STATUS = {
    K.LEARNER: S.SUBMITTED,
    K.ASSESSOR: S.ASSESSOR_SIGNED,
    K.ASSESSOR_COUNTERSIGN: S.ASSESSOR_COUNTERSIGNED,
    K.IV: S.IV_SIGNED,
    K.IV_COUNTERSIGN: S.IV_COUNTERSIGNED,
    K.EV: S.EV_SIGNED,
}


def _lock(portfolio: Portfolio) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("unit", "centre", "learner", "assessor", "iv", "awarding_body")
        .get(pk=portfolio.pk)
    )


def status_move_allow(portfolio_id: int, to: str) -> None:
    """Let this transaction move this portfolio to `to`: on PostgreSQL a trigger (migration 0010) refuses any
    status change that was not announced so, which only this module does, after checking the move."""
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


def _check_password(actor: User, password: str) -> None:
    if not actor.check_password(password or ""):
        raise ValidationError({"password": "That is not your password. Enter the password you sign in with."})


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


# What a signature needs besides the chain itself, by kind: quality adds the IV's agreeing report and the EV's
# agreeing findings when it starts (quality/signing.py), as this app may not import quality. Each check raises
# TransitionError with its reason.
SIGNING_CHECKS: dict[str, list[Callable[[Portfolio, User], None]]] = {}


def add_signing_check(kind: str, check: Callable[[Portfolio, User], None]) -> None:
    checks = SIGNING_CHECKS.setdefault(kind, [])
    if check not in checks:
        checks.append(check)


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


def _may(actor: User, portfolio: Portfolio, action: str) -> None:
    """Ask the policy on the locked row; a refusal says its reason."""
    links = _links(actor, portfolio)
    if not links:
        raise TransitionError(NEEDS[action][1])
    decision = portfolio_may(actor.pk, links, action, portfolio)
    if not decision:
        raise TransitionError(decision.reason)


def _who_may_sign(portfolio: Portfolio, kind: str, actor: User) -> str:
    """The role the actor signs in, or a TransitionError saying why they may not sign this part."""
    link, reason = NEEDS[SIGN_ACTIONS[SignatureKind(kind)]]
    if link not in _links(actor, portfolio):
        raise TransitionError(reason)
    return {COUNTERSIGN_ASSESSOR: Role.ASSESSOR, COUNTERSIGN_IV: Role.IV}.get(link, link)


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


@transaction.atomic
def unit_sign(
    *, actor: User, portfolio: Portfolio, kind: str, password: str, expected_digest: str | None = None
) -> Signature:
    """Sign one part of the sign-off block over the record as it stands, and move the unit on.

    `expected_digest` is the digest of the record the signer read: a page always sends it, and an empty one
    (a form without it) is refused. Only code acting for no reader (demo data, imports) passes None."""
    _check_password(actor, password)
    portfolio = _lock(portfolio)
    role = _who_may_sign(portfolio, kind, actor)
    if standing := _standing(portfolio, kind):
        if standing.signer_id == actor.pk:
            raise AlreadySigned(standing)
        raise TransitionError(
            f"The {SignatureKind(kind).label.lower()} signature has already been made by {standing.signer_name}."
        )
    to = SIGNED_STATUS[SignatureKind(kind)]
    if to not in TRANSITIONS[portfolio.status]:
        raise TransitionError(
            f"This unit is {portfolio.get_status_display().lower()}: "
            f"the {SignatureKind(kind).label.lower()} signature is not due now."
        )
    _may(actor, portfolio, SIGN_ACTIONS[SignatureKind(kind)])
    for signing_check in SIGNING_CHECKS.get(kind, ()):
        signing_check(portfolio, actor)
    if kind == K.ASSESSOR:
        check = completeness(portfolio)
        if not check.is_complete:
            raise TransitionError(["The unit is not complete yet.", *check.reasons(portfolio.unit_code)])
    record = build_record(portfolio, judgements=kind != K.LEARNER)
    digest = digest_of(record)
    if expected_digest is not None and not expected_digest.strip():
        raise TransitionError(MISSING_DIGEST)
    if expected_digest is not None and expected_digest != digest:
        raise TransitionError("The record changed after you opened this page. Check it again, then sign.")
    if kind == K.IV:
        portfolio.iv_sampled = True
    statement = {
        K.LEARNER: portfolio.unit.learner_declaration,
        K.ASSESSOR: portfolio.unit.assessor_statement,
        K.ASSESSOR_COUNTERSIGN: COUNTERSIGN_STATEMENT.format(
            name=portfolio.assessor.full_name if portfolio.assessor else ""
        ),
        K.IV: IV_STATEMENT,
        K.IV_COUNTERSIGN: COUNTERSIGN_STATEMENT.format(name=portfolio.iv.full_name if portfolio.iv else ""),
        K.EV: EV_STATEMENT,
    }[SignatureKind(kind)]
    signature = Signature.objects.create(
        portfolio=portfolio,
        kind=kind,
        round=portfolio.round,
        signer=actor,
        signer_name=actor.full_name,
        role=role,
        statement=statement,
        signed_at=timezone.now(),
        record=record,
        digest=digest,
    )
    # The code the PDFs of this round carry exists from the first signature, rendered or not.
    record_code_for(portfolio)
    _move(
        portfolio,
        to,
        actor=actor,
        role=role,
        action="signature.made",
        summary=f"{SignatureKind(kind).label} signed by {actor.full_name}",
        signature=signature.pk,
        kind=kind,
        digest=digest,
        **_remote(actor, portfolio, role),
    )
    _complete_if_nothing_left(portfolio, actor=actor, role=role)
    unit_notices_sync(portfolio, actor=actor)
    return signature


@transaction.atomic
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
        link, reason = NEEDS[action]
        if link not in _links(actor, portfolio):
            raise TransitionError(reason)
        return portfolio
    _may(actor, portfolio, action)
    remote = _remote(actor, portfolio, role)
    setattr(portfolio, field, True)
    portfolio.save(update_fields=[field])
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="portfolio.sampled",
        target=portfolio,
        summary=f"Sampled by the {'IV' if role == Role.IV else 'EV'}, {actor.full_name}"
        + (", remotely (no visit)" if remote.get("remote") else ""),
        data={"by": role, "status": portfolio.status, **remote},
    )
    return portfolio


@transaction.atomic
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


@transaction.atomic
def unit_ev_hold(*, actor: User, portfolio: Portfolio, role: str, summary: str, **data: object) -> bool:
    """Put the unit in the EV's sample, made by whoever chose it for them (an EV visit's sample): from now on
    it completes only after the EV's signature or release. False when it is already held, or finished."""
    portfolio = _lock(portfolio)
    if portfolio.ev_sampled or portfolio.status in (S.COMPLETE, S.WITHDRAWN):
        return False
    portfolio.ev_sampled = True
    portfolio.save(update_fields=["ev_sampled"])
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="portfolio.ev_held",
        target=portfolio,
        summary=summary,
        data={"status": portfolio.status, **data},
    )
    return True


@transaction.atomic
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
    portfolio.ev_sampled = False
    portfolio.save(update_fields=["ev_sampled"])
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="portfolio.ev_released",
        target=portfolio,
        summary=summary or f"Released from the EV's sample by {actor.full_name}, without the EV's signature",
        data={"status": portfolio.status, **data},
    )
    _complete_if_nothing_left(portfolio, actor=actor, role=role)
    unit_notices_sync(portfolio, actor=actor)
    return portfolio


@transaction.atomic
def unit_reopen(*, actor: User, portfolio: Portfolio, change: str) -> bool:
    """The learner changed evidence the submitted unit counts: their declaration covers an older record, so it
    falls and the unit is back in progress until they declare again. False when the unit was not submitted."""
    portfolio = _lock(portfolio)
    if portfolio.status != S.SUBMITTED:
        return False
    declaration = _standing(portfolio, K.LEARNER)
    if declaration is not None:
        declaration.withdrawn_at = timezone.now()
        declaration.withdrawn_by = actor
        declaration.withdrawal_reason = f"{REOPENED}{change}"
        declaration.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    _move(
        portfolio,
        S.IN_PROGRESS,
        actor=actor,
        role=Role.LEARNER,
        action="portfolio.reopened",
        summary=f"Back in progress: {change} after submitting. The learner must submit it again.",
        signature=declaration.pk if declaration else None,
        change=change,
    )
    unit_notices_sync(portfolio, actor=actor)
    return True


@transaction.atomic
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
    if role == Role.IV and not portfolio.iv_sampled:
        portfolio.iv_sampled = True
    referral = Referral.objects.create(
        portfolio=portfolio, round=portfolio.round, referred_by=actor, role=role, reasons=reasons
    )
    # Every standing signature of the round falls with it; the history keeps them, marked withdrawn.
    now = timezone.now()
    for signature in Signature.objects.standing().filter(portfolio=portfolio):
        signature.withdrawn_at = now
        signature.withdrawn_by = actor
        signature.withdrawal_reason = f"Referred back: {reasons}"
        signature.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    old_round = portfolio.round
    portfolio.round += 1
    # The IV samples each round afresh; the EV's sample is of the registration, so it holds the next round too.
    portfolio.iv_sampled = False
    _move(
        portfolio,
        S.IN_PROGRESS,
        actor=actor,
        role=role,
        action="portfolio.referred",
        summary=f"Referred back by {actor.full_name}: {reasons}",
        reasons=reasons,
        closed_round=old_round,
    )
    unit_notices_sync(portfolio, actor=actor, referral=referral)
    return referral


# A withdrawn signature takes the unit back to where it was before that signature.
_BACK = {
    K.LEARNER: S.IN_PROGRESS,
    K.ASSESSOR: S.SUBMITTED,
    K.ASSESSOR_COUNTERSIGN: S.ASSESSOR_SIGNED,
    K.IV_COUNTERSIGN: S.IV_SIGNED,
}


@transaction.atomic
def signature_withdraw(*, actor: User, signature: Signature, reason: str, as_admin: bool = False) -> Signature:
    """Withdraw the latest signature, by its signer or a centre admin, with a reason. This unlocks what it locked."""
    portfolio = _lock(signature.portfolio)
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for withdrawing the signature."})
    is_admin = (
        as_admin
        and Membership.objects.filter(
            user=actor, centre_id=portfolio.centre_id, role=Role.ADMIN, is_active=True
        ).exists()
    )
    links = {Role.ADMIN} if is_admin else {"signer"} if actor.pk == signature.signer_id else set()
    decision = signature_may_withdraw(actor.pk, links, signature, portfolio)
    if not decision:
        raise TransitionError(WITHDRAW_WHO if decision.status == 404 else decision.reason)
    latest = Signature.objects.standing().filter(portfolio=portfolio).order_by("-signed_at", "-pk").first()
    if latest is None or latest.pk != signature.pk:
        raise TransitionError("Withdraw the later signatures first: only the latest one can be withdrawn.")
    if signature.kind == K.IV:
        countersigned = _standing(portfolio, K.ASSESSOR_COUNTERSIGN) is not None
        back = S.ASSESSOR_COUNTERSIGNED if countersigned else S.ASSESSOR_SIGNED
        portfolio.iv_sampled = True
    else:
        back = _BACK.get(SignatureKind(signature.kind))
    if back is None:
        raise TransitionError("This signature cannot be withdrawn.")
    signature.withdrawn_at = timezone.now()
    signature.withdrawn_by = actor
    signature.withdrawal_reason = reason
    signature.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    _move(
        portfolio,
        back,
        actor=actor,
        role=Role.ADMIN if is_admin and actor.pk != signature.signer_id else signature.role,
        action="signature.withdrawn",
        summary=f"{signature.get_kind_display()} signature withdrawn by {actor.full_name}: {reason}",
        signature=signature.pk,
        kind=signature.kind,
        reason=reason,
    )
    unit_notices_sync(portfolio, actor=actor)
    return signature
