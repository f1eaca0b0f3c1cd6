"""Writes on evidence items: add, change, delete, with the specification's rules."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.evidence.policy import locked_reason
from assessments.evidence.services.files import file_summary, files_discard, files_store, removes_files_if_failed
from assessments.evidence.services.witness import witness_after_save, witness_before_save
from assessments.evidence.uploads import InspectedFile
from assessments.models import (
    Evidence,
    EvidenceFile,
    EvidenceSetting,
    Portfolio,
    PortfolioQuerySet,
    PortfolioStatus,
)
from assessments.notices import evidence_notices_answered
from audit.services import audit_log
from people.models import Role, User
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem


def cross_reference_candidates(portfolio: Portfolio) -> PortfolioQuerySet:
    """The portfolios an item in `portfolio` may also count towards: the same learner's other current
    registrations at the same centre (so an item, and the people who may see it, stay within one centre)."""
    return (
        Portfolio.objects.current()
        .filter(learner_id=portfolio.learner_id, centre_id=portfolio.centre_id)
        .exclude(pk=portfolio.pk)
        .exclude(unit_id=portfolio.unit_id)
    )


def _cross_referenced(
    *, portfolio: Portfolio, criteria: list[Criterion], range_items: list[RangeItem]
) -> tuple[list[Portfolio], dict[str, list[str]]]:
    """The learner's other portfolios the mapping reaches, and errors for anything mapped outside them.

    The cross-references are worked out here, from the criteria and range items, and nowhere else: an item
    counts in another portfolio when it covers one of that portfolio's unit's criteria or range items.
    """
    unit_ids = {c.outcome.unit_id for c in criteria} | {r.unit_id for r in range_items}
    unit_ids.discard(portfolio.unit_id)
    if not unit_ids:
        return [], {}
    others = list(
        cross_reference_candidates(portfolio)
        .filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("unit__title")
    )
    registered = {portfolio.unit_id} | {p.unit_id for p in others}
    errors: dict[str, list[str]] = {}
    if any(c.outcome.unit_id not in registered for c in criteria):
        errors["criteria"] = ["A criterion chosen is not from this unit or another unit you are registered on."]
    if any(r.unit_id not in registered for r in range_items):
        errors["range_items"] = ["A range item chosen is not from this unit or another unit you are registered on."]
    return others, errors


def _cross_reference_audit(
    cross_references: list[Portfolio], criteria: list[Criterion], range_items: list[RangeItem]
) -> list[dict[str, object]]:
    return [
        {
            "portfolio": p.pk,
            "unit": p.unit.slug,
            "criteria": sorted(c.code for c in criteria if c.outcome.unit_id == p.unit_id),
            "range": sorted(r.letter for r in range_items if r.unit_id == p.unit_id),
        }
        for p in cross_references
    ]


ITEM_FIELDS = ("title", "method_id", "activity_date", "setting", "customer_ref", "occasion_ref", "description")


def _item_state(evidence: Evidence) -> tuple:
    """What the learner controls of an item, to tell a real change from saving it as it was."""
    return (
        *(getattr(evidence, name) for name in ITEM_FIELDS),
        *(getattr(evidence, name) for name in WITNESS_FIELDS),
        tuple(sorted(evidence.criteria.values_list("pk", flat=True))),
        tuple(sorted(evidence.range_items.values_list("pk", flat=True))),
        tuple(sorted(evidence.files.values_list("pk", flat=True))),
    )


def _declarations_fall(*, actor: User, portfolio_ids: set[int], change: str) -> None:
    """A submitted unit that counts the changed item goes back to in progress: the learner's declaration
    covered the record before this change, so they declare again (see signoff.unit_reopen)."""
    from assessments.signoff.services import unit_reopen  # here: the sign-off chain builds on this module

    for portfolio in Portfolio.objects.filter(pk__in=portfolio_ids, status=PortfolioStatus.SUBMITTED).order_by("pk"):
        unit_reopen(actor=actor, portfolio=portfolio, change=change)


def check_unlocked(*, portfolio: Portfolio, evidence: Evidence | None = None) -> None:
    """Refuse any change to evidence behind a signed unit: its own portfolio's, or one it is cross-referenced to
    (the lock is the evidence policy's, assessments/evidence/policy.py)."""
    if refusal := locked_reason(portfolio, evidence):
        raise ValidationError(refusal)


def _check_evidence(
    *,
    portfolio: Portfolio,
    method: AssessmentMethod,
    activity_date: datetime.date,
    setting: str,
    criteria: list[Criterion],
    range_items: list[RangeItem],
    witness: dict[str, str],
) -> list[Portfolio]:
    """Refuse what the specification's rules forbid; return the portfolios the item is cross-referenced to."""
    cross_references, errors = _cross_referenced(portfolio=portfolio, criteria=criteria, range_items=range_items)
    unit = portfolio.unit
    if not unit.methods.filter(pk=method.pk).exists():
        errors.setdefault("method", []).append(f"{method.name} is not an assessment method for this unit.")
    if activity_date > timezone.localdate():
        errors.setdefault("activity_date", []).append("The date of the activity cannot be in the future.")
    elif activity_date < portfolio.start_date:
        errors.setdefault("activity_date", []).append(
            f"The date of the activity is before this registration started ({portfolio.start_date:%d/%m/%Y})."
        )
    else:
        for other in cross_references:
            if activity_date < other.start_date:
                errors.setdefault("activity_date", []).append(
                    f"The date of the activity is before your registration on “{other.unit.title}” started "
                    f"({other.start_date:%d/%m/%Y})."
                )
    # Each unit's own rule on simulation applies to that unit's criteria and range.
    simulated_units = (unit, *(p.unit for p in cross_references)) if setting == EvidenceSetting.SIMULATION else ()
    for each in simulated_units:
        if each.simulation_allowed_for_performance:
            continue
        where, its = ("this unit", "the") if each.pk == unit.pk else (f"“{each.title}”", "its")
        performance = [
            c for c in criteria if c.outcome.unit_id == each.pk and c.outcome.kind == LearningOutcome.Kind.PERFORMANCE
        ]
        if performance:
            codes = ", ".join(c.code for c in performance)
            errors.setdefault("criteria", []).append(
                f"Simulation is not allowed for performance evidence in {where}, so it cannot cover {codes}."
            )
        if any(r.unit_id == each.pk for r in range_items):
            errors.setdefault("range_items", []).append(
                f"Simulation is not allowed for performance evidence in {where}, so it cannot cover {its} range."
            )
    if method.code == "WT":
        for field, label in (
            ("witness_name", "the witness's name"),
            ("witness_email", "the witness's email address"),
            ("witness_statement", "the witness's statement"),
        ):
            if not witness.get(field, "").strip():
                errors.setdefault(field, []).append(f"Witness testimony needs {label}.")
    if errors:
        raise ValidationError(errors)
    return cross_references


WITNESS_FIELDS = ("witness_name", "witness_job_title", "witness_relationship", "witness_email", "witness_statement")


@removes_files_if_failed
@transaction.atomic
def evidence_save(
    *,
    actor: User,
    portfolio: Portfolio,
    evidence: Evidence | None = None,
    title: str,
    method: AssessmentMethod,
    activity_date: datetime.date,
    setting: str,
    description: str = "",
    customer_ref: str = "",
    occasion_ref: str = "",
    criteria: list[Criterion] | None = None,
    range_items: list[RangeItem] | None = None,
    files: Sequence[InspectedFile] = (),
    remove_files: Sequence[EvidenceFile] = (),
    **witness: str,
) -> Evidence:
    """Add an evidence item to the portfolio, or change one, with its mapping."""
    unknown = set(witness) - set(WITNESS_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected arguments: {', '.join(sorted(unknown))}")
    criteria = list(criteria or [])
    range_items = list(range_items or [])
    # Lock the portfolio row: numbering and (next issue) sign-off both go through it.
    portfolio = Portfolio.objects.select_for_update().select_related("unit").get(pk=portfolio.pk)
    check_unlocked(portfolio=portfolio, evidence=evidence)
    cross_references = _check_evidence(
        portfolio=portfolio,
        method=method,
        activity_date=activity_date,
        setting=setting,
        criteria=criteria,
        range_items=range_items,
        witness=witness,
    )
    if method.code != "WT":
        witness = dict.fromkeys(WITNESS_FIELDS, "")
    fields = {
        "title": title.strip(),
        "method": method,
        "activity_date": activity_date,
        "setting": setting,
        "customer_ref": customer_ref.strip(),
        "occasion_ref": occasion_ref.strip(),
        "description": description,
        **{f: witness.get(f, "").strip() for f in WITNESS_FIELDS},
    }
    state_before = _item_state(evidence) if evidence is not None else None
    counted_before = set(evidence.cross_references.values_list("pk", flat=True)) if evidence is not None else set()
    witness_before = witness_before_save(evidence=evidence, method_code=method.code, fields=fields)
    from assessments.judgement.services import learner_change  # here: review.py builds on this module

    learner_change(
        actor=actor, evidence=evidence, fields=fields, criteria=criteria, range_items=range_items, files=files,
        remove_files=remove_files,
    )  # fmt: skip
    created = evidence is None
    if created:
        portfolio.evidence_counter += 1
        portfolio.save(update_fields=["evidence_counter"])
        evidence = Evidence.objects.create(
            portfolio=portfolio, number=portfolio.evidence_counter, created_by=actor, **fields
        )
    else:
        if evidence.portfolio_id != portfolio.pk:
            raise ValidationError("This evidence belongs to another portfolio.")
        for name, value in fields.items():
            setattr(evidence, name, value)
        evidence.save()
    evidence.criteria.set(criteria)
    evidence.range_items.set(range_items)
    evidence.cross_references.set(cross_references)
    removed = [f for f in remove_files if f.evidence_id == evidence.pk]
    removed_summary = [file_summary(f) for f in removed]
    files_discard(removed)
    added = files_store(actor=actor, evidence=evidence, files=files)
    witness_after_save(actor=actor, evidence=evidence, before=witness_before)
    changed = state_before is None or _item_state(evidence) != state_before
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="evidence.added" if created else "evidence.changed",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title} ({method.code})",
        data={
            "portfolio": portfolio.pk,
            "criteria": sorted(c.code for c in criteria if c.outcome.unit_id == portfolio.unit_id),
            "range": sorted(r.letter for r in range_items if r.unit_id == portfolio.unit_id),
            "setting": setting,
            **({"customer_ref": fields["customer_ref"]} if fields["customer_ref"] else {}),
            **({"occasion_ref": fields["occasion_ref"]} if fields["occasion_ref"] else {}),
            **(
                {"cross_references": _cross_reference_audit(cross_references, criteria, range_items)}
                if cross_references
                else {}
            ),
            **({"files_added": [file_summary(f) for f in added]} if added else {}),
            **({"files_removed": removed_summary} if removed_summary else {}),
        },
    )
    if changed:
        _declarations_fall(
            actor=actor,
            portfolio_ids={portfolio.pk, *counted_before, *(p.pk for p in cross_references)},
            change=f"{evidence.reference} {'added' if created else 'changed'}",
        )
    return evidence


@transaction.atomic
def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    portfolio = Portfolio.objects.select_for_update().get(pk=evidence.portfolio_id)
    check_unlocked(portfolio=portfolio, evidence=evidence)
    from assessments.judgement.services import check_learner_made  # here: review.py builds on this module

    check_learner_made(evidence)
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="evidence.deleted",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title} deleted",
        data={
            "portfolio": portfolio.pk,
            "number": evidence.number,
            "files": [file_summary(f) for f in evidence.files.all()],
        },
    )
    counted = {portfolio.pk, *evidence.cross_references.values_list("pk", flat=True)}
    files_discard(evidence.files.all())
    # What the learner was told of the item would lead nowhere.
    evidence_notices_answered(evidence)
    reference = evidence.reference
    evidence.delete()
    _declarations_fall(actor=actor, portfolio_ids=counted, change=f"{reference} deleted")
