"""Writes on sampling: the IV's plans and what they sample, and the centre's sampling policy.

Each write runs in one transaction: check who acts, validate (naming the field at fault), save, and leave one
audit row. An IV samples only from their own population at the plan's centre, and never their own decisions.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from assessments.policy import (
    OWN_DECISIONS,
    made_assessment_decisions,
)
from audit.services import audit_log
from people.models import Centre, Membership, Role, User
from quality.models import SampleItem, SampleScope, SampleStage, SamplingPlan, SamplingPolicy
from quality.sampling import population, stage_name
from units.models import Criterion

POLICY_FIELDS = ("qualifying_rate", "new_rate", "disagreed_rate", "experienced_rate", "new_for_months")


def _check_iv(actor: User, centre: Centre) -> None:
    if not Membership.objects.filter(user=actor, centre=centre, role=Role.IV, is_active=True).exists():
        raise PermissionDenied("Only an internal verifier at the centre can plan sampling there.")


def _check_plan_owner(actor: User, plan: SamplingPlan) -> None:
    if actor.pk != plan.iv_id:
        raise PermissionDenied("Only the IV whose plan it is can change it.")


@transaction.atomic
def sampling_plan_create(
    *, actor: User, centre: Centre, title: str, starts_on: datetime.date, ends_on: datetime.date
) -> SamplingPlan:
    _check_iv(actor, centre)
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = ["Give the plan a title, such as the period it covers."]
    if ends_on < starts_on:
        errors["ends_on"] = ["The plan must end on or after the day it starts."]
    if errors:
        raise ValidationError(errors)
    plan = SamplingPlan.objects.create(centre=centre, iv=actor, title=title, starts_on=starts_on, ends_on=ends_on)
    audit_log(
        actor=actor,
        actor_role=Role.IV,
        centre=centre,
        action="sampling_plan.create",
        target=plan,
        summary=f"Sampling plan “{title}” made, {starts_on:%d/%m/%Y} to {ends_on:%d/%m/%Y}",
        data={"title": title, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return plan


def _what(scope: str, **named: object) -> dict[str, object]:
    """The fields an item of `scope` names; the others stay empty (the database insists on it)."""
    wanted = {
        SampleScope.UNIT: ("portfolio",),
        SampleScope.LEARNER: ("learner",),
        SampleScope.CRITERION: ("assessor", "criterion"),
    }[SampleScope(scope)]
    return {name: named[name] for name in wanted}


def _check_target(plan: SamplingPlan, scope: str, what: dict[str, object]) -> dict[str, list[str]]:
    """Why the item's target is not in the IV's population, by field; empty when it is."""
    mine = population(plan.iv, plan.centre)
    if scope == SampleScope.UNIT:
        portfolio = what["portfolio"]
        if portfolio is None:
            return {"portfolio": ["Choose a unit to sample."]}
        if made_assessment_decisions(plan.iv_id, portfolio):  # type: ignore[arg-type]
            return {"portfolio": [OWN_DECISIONS]}
        if not mine.filter(pk=portfolio.pk).exists():  # type: ignore[attr-defined]
            return {"portfolio": ["That unit is not one you verify at this centre."]}
    elif scope == SampleScope.LEARNER:
        learner = what["learner"]
        if learner is None:
            return {"learner": ["Choose a learner to sample."]}
        if not mine.filter(learner=learner).exists():
            return {"learner": ["That learner has no units you verify at this centre."]}
    else:
        assessor, criterion = what["assessor"], what["criterion"]
        errors: dict[str, list[str]] = {}
        if assessor is None:
            errors["assessor"] = ["Choose the assessor whose decisions you will sample."]
        elif assessor.pk == plan.iv_id:  # type: ignore[attr-defined]
            errors["assessor"] = [OWN_DECISIONS]
        elif not mine.filter(assessor=assessor).exists():
            errors["assessor"] = ["That person assesses none of the units you verify at this centre."]
        if criterion is None:
            errors["criterion"] = ["Choose a criterion."]
        elif not errors:
            units = mine.filter(assessor=assessor).values("unit_id")
            if not Criterion.objects.filter(pk=criterion.pk, outcome__unit_id__in=units).exists():  # type: ignore[attr-defined]
                errors["criterion"] = ["That criterion is not of a unit this assessor assesses for you."]
        return errors
    return {}


def _describe(item: SampleItem) -> str:
    if item.scope == SampleScope.UNIT:
        return f"{item.portfolio.learner.full_name}, {item.portfolio.unit.title}"  # type: ignore[union-attr]
    if item.scope == SampleScope.LEARNER:
        return f"all units of {item.learner.full_name}"  # type: ignore[union-attr]
    return f"{item.assessor.full_name}'s decisions on {item.criterion.code}"  # type: ignore[union-attr]


@transaction.atomic
def sample_item_add(
    *,
    actor: User,
    plan: SamplingPlan,
    scope: str,
    stage: str,
    planned_for: datetime.date | None,
    portfolio=None,
    learner: User | None = None,
    assessor: User | None = None,
    criterion: Criterion | None = None,
) -> SampleItem:
    """Add one thing to the plan's sample: a unit, a learner's units, or an assessor's decisions on a criterion.

    Either stage may be planned for any unit of the population: an interim sample looks at work in progress,
    a summative one at the assessor's decision once they sign; the plan's dates bound when it is taken.
    """
    _check_plan_owner(actor, plan)
    if scope not in SampleScope.values:
        raise ValidationError({"scope": ["Choose what to sample: a unit, a learner or a criterion."]})
    what = _what(scope, portfolio=portfolio, learner=learner, assessor=assessor, criterion=criterion)
    errors = _check_target(plan, scope, what)
    if stage not in SampleStage.values:
        errors["stage"] = ["Choose interim or summative."]
    if planned_for is None:
        errors["planned_for"] = ["Enter the date you will sample it by."]
    elif not plan.starts_on <= planned_for <= plan.ends_on:
        errors["planned_for"] = [
            f"The date must be within the plan, {plan.starts_on:%d/%m/%Y} to {plan.ends_on:%d/%m/%Y}."
        ]
    if not errors and SampleItem.objects.filter(plan=plan, scope=scope, stage=stage, **what).exists():
        errors["__all__"] = [f"That is already in this plan's {stage_name(stage)} sample."]
    if errors:
        raise ValidationError(errors)
    item = SampleItem.objects.create(
        plan=plan, scope=scope, stage=stage, planned_for=planned_for, created_by=actor, **what
    )
    audit_log(
        actor=actor,
        actor_role=Role.IV,
        centre=plan.centre,
        action="sample_item.add",
        target=item,
        summary=f"Added to the {stage} sample of “{plan.title}”: {_describe(item)}",
        data={"plan": plan.pk, "scope": scope, "stage": stage, "planned_for": planned_for.isoformat()},  # type: ignore[union-attr]
    )
    return item


@transaction.atomic
def sample_item_remove(*, actor: User, item: SampleItem) -> None:
    """Take an item out of the plan, unless the IV has already reported on it: the report stands by its sample."""
    item = SampleItem.objects.select_for_update(of=("self",)).select_related("plan__centre").get(pk=item.pk)
    _check_plan_owner(actor, item.plan)
    if item.reports.exists():
        raise ValidationError("You have reported on this sample, so it stays in the plan.")
    summary = f"Taken out of the {item.stage} sample of “{item.plan.title}”: {_describe(item)}"
    data = {"plan": item.plan_id, "scope": item.scope, "stage": item.stage, "item": item.pk}
    # Logged first, while the item still exists: the audit row names it and the unit it concerns.
    audit_log(
        actor=actor,
        actor_role=Role.IV,
        centre=item.plan.centre,
        action="sample_item.remove",
        target=item,
        summary=summary,
        data=data,
    )
    item.delete()


@transaction.atomic
def sampling_policy_update(*, actor: User, centre: Centre, **rates: int) -> SamplingPolicy:
    """Set the centre's target rates (per cent of each assessor's units) and how long an assessor counts as new."""
    if not Membership.objects.filter(user=actor, centre=centre, role=Role.ADMIN, is_active=True).exists():
        raise PermissionDenied("Only a centre admin can change the centre's sampling policy.")
    unknown = set(rates) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"Not fields of the policy: {', '.join(sorted(unknown))}")
    policy = SamplingPolicy.objects.select_for_update().filter(centre=centre).first() or SamplingPolicy(centre=centre)
    before = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name, value in rates.items():
        setattr(policy, name, value)
    policy.updated_by = actor
    policy.full_clean(exclude=["centre", "updated_by"])
    policy.save()
    after = {name: getattr(policy, name) for name in POLICY_FIELDS}
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="sampling_policy.update",
        target=policy,
        summary=(
            "Sampling policy: still qualifying {qualifying_rate}%, new {new_rate}%, disagreed {disagreed_rate}%, "
            "experienced {experienced_rate}%; new for {new_for_months} months"
        ).format(**after),
        data={"before": before, "after": after},
    )
    return policy
