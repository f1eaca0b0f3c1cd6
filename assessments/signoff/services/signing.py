"""Signing one part of the sign-off block: the password before the lock, the signer's right to sign this part
now, the checks other apps add by kind, and the digest of the record the signer read."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.access import COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV
from assessments.judgement.completeness import completeness
from assessments.judgement.sufficiency import sufficiency
from assessments.models import TRANSITIONS, Portfolio, Signature, SignatureKind
from assessments.notices import unit_notices_sync
from assessments.policy import SIGN_ACTIONS
from assessments.records.document import build_record, digest_of
from assessments.records.services.renders import record_code_for
from assessments.signoff.statements import EV_STATEMENT, IV_STATEMENT, verifier_statement  # noqa: F401 (the package's)
from people.models import Role, User

from .chain import (
    K,
    S,
    TransitionError,
    _complete_if_nothing_left,
    _lock,
    _may,
    _move,
    _needed_link,
    _remote,
    _standing,
)


class AlreadySigned(TransitionError):
    """The same person signing the same part again (a double click, a second tab): nothing to do."""

    def __init__(self, signature: Signature) -> None:
        when = timezone.localtime(signature.signed_at)
        super().__init__(f"Already signed by you on {when:%d/%m/%Y} at {when:%H:%M}.")
        self.signature = signature


COUNTERSIGN_STATEMENT = "I countersign this decision by {name}, who is still qualifying, and agree with it."
# The decision each countersignature is made over.
COUNTERSIGNS = {K.ASSESSOR_COUNTERSIGN: K.ASSESSOR, K.IV_COUNTERSIGN: K.IV}

SUFFICIENCY_NEEDED = (
    "Some criteria fall below the centre's thresholds for different customers, occasions or weeks: "
    "say in your own words why the evidence is sufficient, then sign."
)

MISSING_DIGEST = (
    "The page did not say which version of the record you checked, so nothing was signed. "
    "Reload the page, check the record, then sign."
)


# What each signature moves the unit to.
SIGNED_STATUS = {
    K.LEARNER: S.SUBMITTED,
    K.ASSESSOR: S.ASSESSOR_SIGNED,
    K.ASSESSOR_COUNTERSIGN: S.ASSESSOR_COUNTERSIGNED,
    K.IV: S.IV_SIGNED,
    K.IV_COUNTERSIGN: S.IV_COUNTERSIGNED,
    K.EV: S.EV_SIGNED,
}


def _check_password(actor: User, password: str) -> None:
    if not actor.check_password(password):
        raise ValidationError({"password": "That is not your password. Enter the password you sign in with."})


# What a signature needs besides the chain itself, by kind: quality adds the IV's agreeing report and the EV's
# agreeing findings when it starts (quality/signing.py), as this app may not import quality. Each check raises
# TransitionError with its reason.
SIGNING_CHECKS: dict[str, list[Callable[[Portfolio, User], None]]] = {}


def add_signing_check(kind: str, check: Callable[[Portfolio, User], None]) -> None:
    checks = SIGNING_CHECKS.setdefault(kind, [])
    if check not in checks:
        checks.append(check)


def _who_may_sign(portfolio: Portfolio, kind: str, actor: User) -> str:
    """The role the actor signs in, or a TransitionError saying why they may not sign this part."""
    link = _needed_link(actor, portfolio, SIGN_ACTIONS[SignatureKind(kind)])
    return {COUNTERSIGN_ASSESSOR: Role.ASSESSOR, COUNTERSIGN_IV: Role.IV}.get(link, link)


def unit_sign(
    *,
    actor: User,
    portfolio: Portfolio,
    kind: str,
    password: str,
    expected_digest: str | None = None,
    sufficiency_statement: str = "",
) -> Signature:
    """Sign one part of the sign-off block over the record as it stands, and move the unit on.

    `expected_digest` is the digest of the record the signer read: a page always sends it, and an empty one
    (a form without it) is refused. Only code acting for no reader (demo data, imports) passes None.
    `sufficiency_statement` is the assessor's own words on sufficiency, required where a criterion falls below
    the centre's thresholds (assessments/judgement/sufficiency.py) and kept in the signature's statement."""
    # Before the transaction, not only before the lock: SQLite takes the database's write lock as a transaction
    # begins (IMMEDIATE), so a password checked inside one waits behind any other writer, however wrong it is.
    _check_password(actor, password)
    return _unit_sign(
        actor=actor,
        portfolio=portfolio,
        kind=kind,
        expected_digest=expected_digest,
        sufficiency_statement=sufficiency_statement,
    )


def _unit_sign(
    *, actor: User, portfolio: Portfolio, kind: str, expected_digest: str | None, sufficiency_statement: str
) -> Signature:
    """`unit_sign` once the password is right: the checks, the signature, the move and its audit, in one
    transaction under the unit's lock."""
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
        sufficiency_statement = sufficiency_statement.strip()
        if not sufficiency_statement and sufficiency(portfolio).unmet:
            raise ValidationError({"sufficiency_statement": SUFFICIENCY_NEEDED})
    else:
        sufficiency_statement = ""
    record = build_record(portfolio, judgements=kind != K.LEARNER)
    digest = digest_of(record)
    if expected_digest is not None and not expected_digest.strip():
        raise TransitionError(MISSING_DIGEST)
    if expected_digest is not None and expected_digest != digest:
        raise TransitionError("The record changed after you opened this page. Check it again, then sign.")
    if kind == K.IV:
        portfolio.iv_sampled = True
    if kind in COUNTERSIGNS:
        # Names who signed the decision, which stands whenever a countersignature is due: the unit may have been
        # reassigned since, and the countersigner vouches for that person's decision, not the assignee's.
        statement = COUNTERSIGN_STATEMENT.format(name=_standing(portfolio, COUNTERSIGNS[kind]).signer_name)
    else:
        statement = {
            K.LEARNER: portfolio.unit.learner_declaration,
            K.ASSESSOR: portfolio.unit.assessor_statement,
            K.IV: verifier_statement(portfolio, K.IV),
            K.EV: verifier_statement(portfolio, K.EV),
        }[SignatureKind(kind)]
    if sufficiency_statement:
        # In the statement itself: it is what the assessor vouches for, on the record and in the chain.
        statement = f"{statement}\nSufficiency: {sufficiency_statement}"
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
        **({"sufficiency_statement": sufficiency_statement} if sufficiency_statement else {}),
        **_remote(actor, portfolio, role),
    )
    _complete_if_nothing_left(portfolio, actor=actor, role=role)
    unit_notices_sync(portfolio, actor=actor)
    return signature


_unit_sign = transaction.atomic(_unit_sign)
