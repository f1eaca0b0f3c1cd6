"""The assessor's side of the evidence: judging an item and each claim it makes, and the feedback thread. The
assessor's own records (observation, questioning, professional discussion) are in evidence/services/records.py.

Every service locks the portfolio row first, so a judgement never crosses a sign-off or a learner's change:
whichever comes second sees what the first did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessments.evidence.policy import evidence_who, links_of
from assessments.evidence.services.items import check_unlocked
from assessments.evidence.uploads import InspectedFile
from assessments.models import (
    ClaimJudgement,
    Decision,
    Evidence,
    EvidenceFile,
    Feedback,
    Portfolio,
    Verdict,
)
from assessments.notices import evidence_feedback_notice, evidence_judged_notice, evidence_notices_answered
from audit.services import audit_log
from people.models import Role, User
from units.models import Criterion, RangeItem

Claim = Criterion | RangeItem
FEEDBACK_MAX = 5000


def _lock(portfolio_id: int) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("unit", "centre", "awarding_body")
        .get(pk=portfolio_id)
    )


def claims_in_unit(evidence: Evidence, portfolio: Portfolio) -> tuple[list[Criterion], list[RangeItem]]:
    """What the item claims in the portfolio's unit: its criteria and range items there, in the unit's order."""
    criteria = list(
        evidence.criteria.filter(outcome__unit_id=portfolio.unit_id)
        .select_related("outcome")
        .order_by("outcome__number", "number")
    )
    range_items = list(evidence.range_items.filter(unit_id=portfolio.unit_id).order_by("letter"))
    return criteria, range_items


def claim_name(claim: Claim, unit_code=None) -> str:
    return claim.label(unit_code) if isinstance(claim, Criterion) else f"range {claim.letter}"


def _judgement_key(j: ClaimJudgement) -> tuple[str, int]:
    return ("c", j.criterion_id) if j.criterion_id else ("r", j.range_item_id)


def _claim_key(claim: Claim) -> tuple[str, int]:
    return ("c", claim.pk) if isinstance(claim, Criterion) else ("r", claim.pk)


def _verdicts_audit(evidence: Evidence, claims: Sequence[Claim]) -> dict[str, str]:
    """The item's verdicts on `claims`, named as the unit prints them, for the audit trail."""
    names = {_claim_key(c): c.code if isinstance(c, Criterion) else f"range {c.letter}" for c in claims}
    return {
        names[_judgement_key(j)]: j.verdict
        for j in ClaimJudgement.objects.filter(evidence=evidence)
        if _judgement_key(j) in names
    }


def _set_verdicts(*, actor: User, evidence: Evidence, claims: Sequence[Claim], verdicts: Mapping[Claim, str]) -> None:
    """Make the item's judgements on `claims` exactly `verdicts` (a claim left out loses its judgement)."""
    existing = {_judgement_key(j): j for j in ClaimJudgement.objects.filter(evidence=evidence)}
    for claim in claims:
        key = _claim_key(claim)
        verdict = verdicts.get(claim)
        judgement = existing.get(key)
        if verdict is None:
            if judgement is not None:
                judgement.delete()
        elif judgement is None:
            ClaimJudgement.objects.create(
                evidence=evidence,
                criterion=claim if key[0] == "c" else None,
                range_item=claim if key[0] == "r" else None,
                verdict=verdict,
                judged_by=actor,
            )
        elif judgement.verdict != verdict or judgement.judged_by_id != actor.pk:
            judgement.verdict = verdict
            judgement.judged_by = actor
            judgement.save(update_fields=["verdict", "judged_by", "judged_at"])


def _check_assessor(actor: User, portfolio: Portfolio, action: str) -> None:
    """The evidence policy's who, asked of the portfolio's row: only its assessor reviews or records."""
    if not (who := evidence_who(links_of(actor.pk, portfolio), action, portfolio)):
        raise PermissionDenied(who.reason)


@transaction.atomic
def evidence_judge(
    *, actor: User, evidence: Evidence, decision: str, verdicts: Mapping[Claim, str], feedback: str = ""
) -> Evidence:
    """Accept the item or send it back, with a verdict on each claim it makes in its unit.

    Accepting needs a verdict on every claim; sending back needs feedback. Feedback, when given, joins the
    item's thread. The verdicts given replace those on record for this unit's claims.
    """
    portfolio = _lock(evidence.portfolio_id)
    _check_assessor(actor, portfolio, "review")
    evidence = Evidence.objects.select_for_update(of=("self",)).select_related("method").get(pk=evidence.pk)
    check_unlocked(portfolio=portfolio, evidence=evidence)
    if not (which := evidence_who({Role.ASSESSOR}, "review", evidence)):
        raise ValidationError(which.reason)
    criteria, range_items = claims_in_unit(evidence, portfolio)
    claims: list[Claim] = [*criteria, *range_items]
    feedback = (feedback or "").strip()
    errors: dict[str, list[str]] = {}
    if decision not in (Decision.ACCEPTED, Decision.SENT_BACK):
        errors["decision"] = ["Choose whether to accept the evidence or send it back."]
    known = {_claim_key(c) for c in claims}
    if any(_claim_key(c) not in known for c in verdicts):
        errors.setdefault("verdicts", []).append("A verdict was given on something this item does not claim.")
    if any(v not in Verdict.values for v in verdicts.values()):
        errors.setdefault("verdicts", []).append("Each claim is either confirmed or rejected.")
    unit_code = portfolio.unit_code
    if decision == Decision.ACCEPTED:
        missing = [claim_name(c, unit_code) for c in claims if c not in verdicts]
        if missing:
            errors.setdefault("verdicts", []).append(
                "Confirm or reject every claim before accepting the evidence: " + ", ".join(missing) + "."
            )
    if decision == Decision.SENT_BACK and not feedback:
        errors["feedback"] = ["Say what the learner needs to do: sending evidence back needs feedback."]
    if len(feedback) > FEEDBACK_MAX:
        errors.setdefault("feedback", []).append(f"Keep feedback to {FEEDBACK_MAX:,} characters.")
    if errors:
        raise ValidationError(errors)
    before = {"decision": evidence.decision, "verdicts": _verdicts_audit(evidence, claims)}
    _set_verdicts(actor=actor, evidence=evidence, claims=claims, verdicts=verdicts)
    evidence.decision = decision
    evidence.decided_by = actor
    evidence.decided_at = timezone.now()
    evidence.save(update_fields=["decision", "decided_by", "decided_at"])
    if feedback:
        Feedback.objects.create(evidence=evidence, author=actor, role=Role.ASSESSOR, text=feedback)
    after = {"decision": decision, "verdicts": _verdicts_audit(evidence, claims)}
    audit_log(
        actor=actor,
        actor_role=Role.ASSESSOR,
        centre=portfolio.centre,
        action="evidence.judged",
        target=evidence,
        summary=f"{evidence.reference} {Decision(decision).label.lower()}",
        data={
            "portfolio": portfolio.pk,
            "before": before,
            "after": after,
            **({"feedback": feedback} if feedback else {}),
        },
    )
    evidence_judged_notice(
        evidence=evidence,
        portfolio=portfolio,
        assessor=actor,
        before=before["decision"],
        feedback=feedback,
        rejected=[claim_name(c, unit_code) for c in claims if verdicts.get(c) == Verdict.REJECTED],
    )
    return evidence


@transaction.atomic
def feedback_post(*, actor: User, evidence: Evidence, text: str) -> Feedback:
    """Add a message to the item's thread: the learner or their assessor; everyone else only reads it."""
    portfolio = _lock(evidence.portfolio_id)
    links = links_of(actor.pk, portfolio)
    if not (who := evidence_who(links, "feedback", evidence)):
        raise PermissionDenied(who.reason)
    role = Role.LEARNER if Role.LEARNER in links else Role.ASSESSOR
    check_unlocked(portfolio=portfolio, evidence=evidence)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write your message first."]})
    if len(text) > FEEDBACK_MAX:
        raise ValidationError({"text": [f"Keep a message to {FEEDBACK_MAX:,} characters."]})
    message = Feedback.objects.create(evidence=evidence, author=actor, role=role, text=text)
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="evidence.feedback",
        target=evidence,
        summary=f"Feedback on {evidence.reference}",
        data={"portfolio": portfolio.pk, "feedback": message.pk, "text": text},
    )
    evidence_feedback_notice(message=message, evidence=evidence, portfolio=portfolio)
    return message


def learner_change(
    *,
    actor: User,
    evidence: Evidence | None,
    fields: Mapping[str, object],
    criteria: Sequence[Criterion],
    range_items: Sequence[RangeItem],
    files: Sequence[InspectedFile] = (),
    remove_files: Sequence[EvidenceFile] = (),
) -> None:
    """Called by evidence_save before it writes (portfolio locked): the learner may not change the assessor's
    records; a real change to one of their own items makes it new to the assessor again (decision back to
    pending), and judgements of claims it no longer makes go."""
    if evidence is None:
        return
    check_learner_made(evidence)
    # The assessor may have judged it since the caller read it: evidence_save writes every field back.
    saved = Evidence.objects.filter(pk=evidence.pk).values("decision", "decided_by_id", "decided_at").get()
    evidence.decision, evidence.decided_by_id, evidence.decided_at = (
        saved["decision"],
        saved["decided_by_id"],
        saved["decided_at"],
    )
    new_c, new_r = {c.pk for c in criteria}, {r.pk for r in range_items}
    changed = (
        any(getattr(evidence, name) != value for name, value in fields.items())
        or set(evidence.criteria.values_list("pk", flat=True)) != new_c
        or set(evidence.range_items.values_list("pk", flat=True)) != new_r
        or bool(files)
        or any(f.evidence_id == evidence.pk for f in remove_files)
    )
    if not changed:
        return
    evidence_notices_answered(evidence)
    unmapped = ClaimJudgement.objects.filter(evidence=evidence).filter(
        Q(criterion__isnull=False) & ~Q(criterion_id__in=new_c)
        | Q(range_item__isnull=False) & ~Q(range_item_id__in=new_r)
    )
    dropped = [
        {
            "criterion": j.criterion.code if j.criterion_id else None,
            "range": j.range_item.letter if j.range_item_id else None,
            "verdict": j.verdict,
        }
        for j in unmapped.select_related("criterion__outcome", "range_item")
    ]
    before = evidence.decision
    if before == Decision.PENDING and not dropped:
        return
    unmapped.delete()
    evidence.decision, evidence.decided_by_id, evidence.decided_at = Decision.PENDING, None, None
    evidence.save(update_fields=["decision", "decided_by", "decided_at"])
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=evidence.portfolio.centre,
        action="evidence.reopened",
        target=evidence,
        summary=f"{evidence.reference} changed by the learner: waiting for the assessor again",
        data={
            "portfolio": evidence.portfolio_id,
            "before": {"decision": before},
            "after": {"decision": Decision.PENDING},
            **({"judgements_dropped": dropped} if dropped else {}),
        },
    )


def check_learner_made(evidence: Evidence) -> None:
    """The learner may not delete (or change) the assessor's own records."""
    if not (which := evidence_who({Role.LEARNER}, "edit", evidence)):
        raise PermissionDenied(which.reason)
