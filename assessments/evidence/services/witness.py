"""Witness testimony: the emailed, single-use link a witness uses to confirm or correct their statement.

The raw token only ever travels in the email; the database keeps its SHA-256. Locks are taken in one order
(portfolio, then evidence item, then witness request), the same as `evidence_save`, so the learner editing the
item and the witness answering cannot deadlock or overwrite each other.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence, Portfolio, WitnessRequest, WitnessStatus
from audit.services import audit_log
from notifications.services import email_send_later
from people.models import Role, User

WITNESS_METHOD = "WT"
# Once the witness has answered, the learner cannot change what they answered about.
ANSWERED = frozenset({WitnessStatus.CONFIRMED, WitnessStatus.CORRECTED})
LOCKED_MESSAGE = "The witness has confirmed this statement, so it cannot be changed."
WITNESS_ROLE = "witness"  # the audit trail's actor_role for the witness, who has no account
# The same as evidence.WITNESS_FIELDS (that module imports this one). The witness sees all five, so all are fixed.
_FIELDS = ("witness_name", "witness_job_title", "witness_relationship", "witness_email", "witness_statement")


class WitnessLinkError(ValidationError):
    """A witness link that cannot be used. `gone` is True for a real link that was used, has expired or was
    replaced (the page answers 410), False for one that never existed (404). `signed` is True for a live link
    whose item is locked by a sign-off: the answer cannot be recorded while the unit stays signed."""

    def __init__(self, message: str, *, gone: bool, signed: bool = False) -> None:
        super().__init__(message)
        self.gone = gone
        self.signed = signed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_link(token: str) -> str:
    return settings.SITE_URL + reverse("witness_respond", args=[token])


def _is_live(request: WitnessRequest, now: datetime.datetime) -> bool:
    return request.used_at is None and request.cancelled_at is None and request.expires_at > now


def witness_request_lookup(token: str) -> WitnessRequest | None:
    """The live request (not used, cancelled or expired) for this token, with its evidence, or None."""
    request = (
        WitnessRequest.objects.select_related(
            "evidence__portfolio__learner",
            "evidence__portfolio__unit",
            "evidence__portfolio__centre",
            "evidence__portfolio__awarding_body",
            "evidence__method",
        )
        .filter(token_hash=_hash(token))
        .first()
    )
    return request if request is not None and _is_live(request, timezone.now()) else None


def witness_item_signed_off(evidence: Evidence) -> bool:
    """Whether the item is locked by a sign-off (of its own unit or one it is cross-referenced to), so the
    witness's answer cannot be recorded: the database would refuse the write."""
    from assessments.evidence.services.items import check_unlocked  # that module imports this one

    try:
        check_unlocked(portfolio=evidence.portfolio, evidence=evidence)
    except ValidationError:
        return True
    return False


def witness_token_known(token: str) -> bool:
    """Whether this token was ever issued (used, expired and cancelled ones included)."""
    return WitnessRequest.objects.filter(token_hash=_hash(token)).exists()


def witness_request_latest(*, evidence: Evidence) -> WitnessRequest | None:
    """The item's link the witness can still use, if there is one (for the learner's page)."""
    request = evidence.witness_requests.first()
    return request if request is not None and _is_live(request, timezone.now()) else None


def _cancel_outstanding(evidence: Evidence, now: datetime.datetime) -> int:
    return WitnessRequest.objects.filter(evidence=evidence, used_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )


def _send_request_email(*, to: str, context: dict[str, object]) -> None:
    subject = f"Please confirm your witness statement for {context['learner_name']}"
    # Sent by the task worker (the link in it sealed while it waits in the queue).
    email_send_later(subject=subject, body=render_to_string("assessments/email/witness_request.txt", context), to=[to])


@transaction.atomic
def witness_request_send(*, actor: User, evidence: Evidence) -> WitnessRequest:
    """Email the witness a new single-use link; any link sent before stops working.

    The returned request carries the raw token as `.token` (never stored) for the caller's use.
    """
    Portfolio.objects.select_for_update().filter(pk=evidence.portfolio_id).first()
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    portfolio = evidence.portfolio
    from assessments.evidence.services.items import check_unlocked  # that module imports this one

    check_unlocked(portfolio=portfolio, evidence=evidence)
    if evidence.method.code != WITNESS_METHOD:
        raise ValidationError("Only witness testimony is sent to a witness to confirm.")
    if evidence.witness_status in ANSWERED:
        raise ValidationError("The witness has already confirmed this statement, so there is nothing to send.")
    if not evidence.witness_email:
        raise ValidationError({"witness_email": "Witness testimony needs the witness's email address."})
    now = timezone.now()
    _cancel_outstanding(evidence, now)
    if evidence.witness_status != WitnessStatus.UNCONFIRMED:
        evidence.witness_status = WitnessStatus.UNCONFIRMED
        evidence.witness_confirmed_at = None
        evidence.save(update_fields=["witness_status", "witness_confirmed_at", "updated_at"])
    token = secrets.token_urlsafe(32)
    request = WitnessRequest.objects.create(
        evidence=evidence,
        token_hash=_hash(token),
        email=evidence.witness_email,
        expires_at=now + datetime.timedelta(days=settings.WITNESS_LINK_DAYS),
    )
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="witness.requested",
        target=evidence,
        summary=f"{evidence.reference} sent to {evidence.witness_name} <{evidence.witness_email}> to confirm",
        data={
            "portfolio": portfolio.pk,
            "request": request.pk,
            "witness_name": evidence.witness_name,
            "witness_email": evidence.witness_email,
            "expires_at": request.expires_at.isoformat(),
        },
    )
    context = {
        "witness_name": evidence.witness_name,
        "learner_name": portfolio.learner.full_name,
        "asked_by": actor.full_name,
        "unit_title": portfolio.unit.title,
        "centre_name": portfolio.centre.name,
        "evidence_title": evidence.title,
        "activity_date": evidence.activity_date,
        "link": witness_link(token),
        "expires_at": timezone.localtime(request.expires_at),
        "site_name": settings.SITE_NAME,
    }
    email = request.email
    transaction.on_commit(lambda: _send_request_email(to=email, context=context))
    request.token = token  # type: ignore[attr-defined]
    return request


def _take(token: str) -> tuple[WitnessRequest, Evidence]:
    """Lock the unit, the item and the link's request, in that order, and check the link still works."""
    found = (
        WitnessRequest.objects.filter(token_hash=_hash(token))
        .values_list("pk", "evidence_id", "evidence__portfolio_id")
        .first()
    )
    if found is None:
        raise WitnessLinkError("This link does not work.", gone=False)
    # The unit first, as signing takes it: a signature cannot land between the check below and the answer's write.
    Portfolio.objects.select_for_update().filter(pk=found[2]).first()
    evidence = Evidence.objects.select_for_update().get(pk=found[1])
    request = WitnessRequest.objects.select_for_update().get(pk=found[0])
    if (
        not _is_live(request, timezone.now())
        or evidence.method.code != WITNESS_METHOD
        or evidence.witness_status != WitnessStatus.UNCONFIRMED
    ):
        raise WitnessLinkError("This link no longer works.", gone=True)
    if witness_item_signed_off(evidence):
        raise WitnessLinkError("The unit is signed off, so the answer cannot be recorded.", gone=True, signed=True)
    return request, evidence


def _answer(*, request: WitnessRequest, evidence: Evidence, outcome: str, statement: str | None = None) -> Evidence:
    now = timezone.now()
    original = evidence.witness_statement
    request.used_at = now
    request.outcome = outcome
    request.save(update_fields=["used_at", "outcome"])
    # Any other link for this item stops working too.
    _cancel_outstanding(evidence, now)
    evidence.witness_status = WitnessStatus(outcome)
    evidence.witness_confirmed_at = now
    update = ["witness_status", "witness_confirmed_at", "updated_at"]
    if statement is not None:
        evidence.witness_statement = statement
        update.append("witness_statement")
    evidence.save(update_fields=update)
    portfolio = evidence.portfolio
    criteria = list(evidence.criteria.select_related("outcome"))
    range_items = list(evidence.range_items.all())
    verb = "confirmed" if outcome == WitnessRequest.Outcome.CONFIRMED else "corrected"
    data: dict[str, object] = {
        "portfolio": portfolio.pk,
        "request": request.pk,
        "witness_name": evidence.witness_name,
        "witness_email": request.email,
        # What the witness was shown, as it stood when they answered (this unit's numbers; every unit's by id).
        "criteria": sorted(c.code for c in criteria if c.outcome.unit_id == portfolio.unit_id),
        "range": sorted(r.letter for r in range_items if r.unit_id == portfolio.unit_id),
        "criteria_ids": sorted(c.pk for c in criteria),
        "range_ids": sorted(r.pk for r in range_items),
    }
    if statement is None:
        data["statement"] = original
    else:
        data["original_statement"] = original
        data["statement"] = statement
    audit_log(
        actor=None,
        actor_role=WITNESS_ROLE,
        centre=portfolio.centre,
        action=f"witness.{verb}",
        target=evidence,
        summary=f"{evidence.reference} statement {verb} by the witness, {evidence.witness_name} <{request.email}>",
        data=data,
    )
    return evidence


@transaction.atomic
def witness_confirm(*, token: str) -> Evidence:
    """The witness confirms the statement as written. The link then stops working."""
    request, evidence = _take(token)
    return _answer(request=request, evidence=evidence, outcome=WitnessRequest.Outcome.CONFIRMED)


@transaction.atomic
def witness_correct(*, token: str, statement: str) -> Evidence:
    """The witness replaces the statement with their own wording. The original stays in the audit trail."""
    request, evidence = _take(token)
    statement = statement.strip()
    if not statement:
        raise ValidationError({"statement": "Write your corrected statement, or confirm the one shown."})
    if statement == evidence.witness_statement.strip():
        raise ValidationError(
            {"statement": "You have not changed the statement. If it is right, choose “Confirm this statement”."}
        )
    return _answer(request=request, evidence=evidence, outcome=WitnessRequest.Outcome.CORRECTED, statement=statement)


# Called from evidence_save, around its write.


@dataclass(frozen=True)
class WitnessBefore:
    """The item's witness testimony as saved before the learner's change."""

    was_testimony: bool
    status: str
    values: dict[str, str]


def witness_before_save(
    *, evidence: Evidence | None, method_code: str, fields: dict[str, object]
) -> WitnessBefore | None:
    """Lock the item, bring its witness state up to date, and refuse a change to an answered statement.

    The learner's page may have been read before the witness answered: the status saved now is the one kept.
    """
    if evidence is None or evidence.pk is None:
        return None
    saved = Evidence.objects.select_for_update().select_related("method").get(pk=evidence.pk)
    evidence.witness_status = saved.witness_status
    evidence.witness_confirmed_at = saved.witness_confirmed_at
    before = WitnessBefore(
        was_testimony=saved.method.code == WITNESS_METHOD,
        status=saved.witness_status,
        values={name: getattr(saved, name) for name in _FIELDS},
    )
    # Staying witness testimony: what the witness answered about is fixed. (Changing the method is allowed:
    # the statement is then dropped, kept in the audit trail, and a new one would have to be confirmed again.)
    if method_code == WITNESS_METHOD and before.was_testimony and before.status in ANSWERED:
        changed = [name for name in _FIELDS if (fields.get(name) or "") != before.values[name]]
        if changed:
            raise ValidationError(dict.fromkeys(changed, LOCKED_MESSAGE))
    return before


def witness_after_save(*, actor: User, evidence: Evidence, before: WitnessBefore | None) -> None:
    """Keep the item's witness status and links in step with what the learner just saved."""
    now = timezone.now()
    if evidence.method.code != WITNESS_METHOD:
        if before is None or not (before.was_testimony or before.status):
            return
        _cancel_outstanding(evidence, now)
        evidence.witness_status = ""
        evidence.witness_confirmed_at = None
        evidence.save(update_fields=["witness_status", "witness_confirmed_at", "updated_at"])
        if before.status in ANSWERED:
            audit_log(
                actor=actor,
                actor_role=Role.LEARNER,
                centre=evidence.portfolio.centre,
                action="witness.dropped",
                target=evidence,
                summary=f"{evidence.reference} is no longer witness testimony; the witness's answer was dropped",
                data={"portfolio": evidence.portfolio_id, "status": before.status, **before.values},
            )
        return
    fresh = (
        before is None
        or not before.was_testimony
        or evidence.witness_status not in {*ANSWERED, WitnessStatus.UNCONFIRMED}
        or (
            evidence.witness_status == WitnessStatus.UNCONFIRMED
            and any(getattr(evidence, name) != before.values[name] for name in ("witness_email", "witness_statement"))
        )
    )
    if fresh:
        witness_request_send(actor=actor, evidence=evidence)
        evidence.refresh_from_db(fields=["witness_status", "witness_confirmed_at", "updated_at"])
