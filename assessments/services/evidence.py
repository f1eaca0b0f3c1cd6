"""Writes on evidence items: add, change, delete, with the specification's rules."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.models import Evidence, EvidenceSetting, Portfolio
from audit.services import audit_log
from people.models import Role, User
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem


def _check_evidence(
    *,
    portfolio: Portfolio,
    method: AssessmentMethod,
    activity_date: datetime.date,
    setting: str,
    criteria: list[Criterion],
    range_items: list[RangeItem],
    witness: dict[str, str],
) -> None:
    errors: dict[str, list[str]] = {}
    unit = portfolio.unit
    if not unit.methods.filter(pk=method.pk).exists():
        errors.setdefault("method", []).append(f"{method.name} is not an assessment method for this unit.")
    if activity_date > timezone.localdate():
        errors.setdefault("activity_date", []).append("The date of the activity cannot be in the future.")
    elif activity_date < portfolio.start_date:
        errors.setdefault("activity_date", []).append(
            f"The date of the activity is before this registration started ({portfolio.start_date:%d/%m/%Y})."
        )
    if any(c.outcome.unit_id != unit.pk for c in criteria):
        errors.setdefault("criteria", []).append("A criterion chosen is not from this unit.")
    if any(r.unit_id != unit.pk for r in range_items):
        errors.setdefault("range_items", []).append("A range item chosen is not from this unit.")
    if setting == EvidenceSetting.SIMULATION and not unit.simulation_allowed_for_performance:
        performance = [c for c in criteria if c.outcome.kind == LearningOutcome.Kind.PERFORMANCE]
        if performance:
            codes = ", ".join(c.code for c in performance)
            errors.setdefault("criteria", []).append(
                f"Simulation is not allowed for performance evidence in this unit, so it cannot cover {codes}."
            )
        if range_items:
            errors.setdefault("range_items", []).append(
                "Simulation is not allowed for performance evidence in this unit, so it cannot cover the range."
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


WITNESS_FIELDS = ("witness_name", "witness_job_title", "witness_relationship", "witness_email", "witness_statement")


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
    criteria: list[Criterion] | None = None,
    range_items: list[RangeItem] | None = None,
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
    _check_evidence(
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
        "description": description,
        **{f: witness.get(f, "").strip() for f in WITNESS_FIELDS},
    }
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
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="evidence.added" if created else "evidence.changed",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title} ({method.code})",
        data={
            "portfolio": portfolio.pk,
            "criteria": sorted(c.code for c in criteria),
            "range": sorted(r.letter for r in range_items),
            "setting": setting,
        },
    )
    return evidence


@transaction.atomic
def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    portfolio = Portfolio.objects.select_for_update().get(pk=evidence.portfolio_id)
    audit_log(
        actor=actor,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="evidence.deleted",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title} deleted",
        data={"portfolio": portfolio.pk, "number": evidence.number},
    )
    evidence.delete()
