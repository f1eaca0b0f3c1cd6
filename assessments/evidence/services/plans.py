"""Writes on the assessment plan: what is to be gathered, by which method, by when.

The learner's assessor adds, changes and deletes the plan's actions; the learner and the assessor each record
their agreement. Any change to the actions clears both agreements, because what was agreed is no longer the plan.
Each write locks the portfolio row first, so it is put in order with the sign-off chain, and leaves one audit row
whose target is the plan (the first of them says when the plan was made).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.evidence.policy import (
    PLAN_LOCKED,
    PLAN_WITHDRAWN,
    agreed_field,
    links_of,
    plan_agreement,
    plan_now,
    plan_who,
)
from assessments.models import AssessmentPlan, PlanAction, Portfolio
from assessments.notices import plan_agreement_due
from audit.services import audit_log
from notifications.services import notifications_done
from people.models import Role, User
from units.models import AssessmentMethod, Criterion, RangeItem

CLOSED_MESSAGE = PLAN_LOCKED
WITHDRAWN_MESSAGE = PLAN_WITHDRAWN


def _lock(portfolio: Portfolio) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("unit", "centre", "learner", "assessor")
        .get(pk=portfolio.pk)
    )


def _check_open(portfolio: Portfolio) -> None:
    if not (now := plan_now(portfolio)):
        raise ValidationError(now.reason)


def _check_assessor(actor: User, portfolio: Portfolio) -> None:
    if not (who := plan_who(links_of(actor.pk, portfolio), "plan_change")):
        raise PermissionDenied(who.reason)


def _check_action(
    *,
    portfolio: Portfolio,
    description: str,
    method: AssessmentMethod,
    criteria: list[Criterion],
    range_items: list[RangeItem],
    due_date: datetime.date,
    old_due_date: datetime.date | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Say what is to be gathered or done."]
    if not portfolio.unit.methods.filter(pk=method.pk).exists():
        errors["method"] = [f"{method.name} is not an assessment method for this unit."]
    if any(c.outcome.unit_id != portfolio.unit_id for c in criteria):
        errors["criteria"] = ["A criterion chosen is not from this unit."]
    if any(r.unit_id != portfolio.unit_id for r in range_items):
        errors["range_items"] = ["A range item chosen is not from this unit."]
    if not criteria and not range_items and "criteria" not in errors:
        errors["criteria"] = ["Choose at least one criterion or range item the action is to cover."]
    # A due date already on the plan may stay when the rest of the action changes; a new one may not be past.
    if due_date < timezone.localdate() and due_date != old_due_date:
        errors["due_date"] = ["The due date cannot be in the past."]
    if errors:
        raise ValidationError(errors)


def _summary(action: PlanAction, criteria: Iterable[Criterion], range_items: Iterable[RangeItem]) -> dict:
    return {
        "action": action.pk,
        "description": action.description,
        "method": action.method.code,
        "criteria": sorted(c.code for c in criteria),
        "range": sorted(r.letter for r in range_items),
        "due_date": action.due_date.isoformat(),
    }


def _clear_agreements(plan: AssessmentPlan, portfolio: Portfolio) -> dict[str, str | None]:
    """Clear both agreements and ask the learner to agree again; returns what they were, for the audit row."""
    before = {
        "learner_agreed_at": plan.learner_agreed_at.isoformat() if plan.learner_agreed_at else None,
        "assessor_agreed_at": plan.assessor_agreed_at.isoformat() if plan.assessor_agreed_at else None,
    }
    plan.learner_agreed_at = None
    plan.assessor_agreed_at = None
    plan.save(update_fields=["learner_agreed_at", "assessor_agreed_at", "updated_at"])
    plan_agreement_due(plan, portfolio)
    return before


def _log(*, actor: User, role: str, portfolio: Portfolio, plan: AssessmentPlan, action: str, summary: str, **data):
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action=action,
        target=plan,
        summary=summary,
        data={"portfolio": portfolio.pk, **data},
    )


@transaction.atomic
def plan_action_add(
    *,
    actor: User,
    portfolio: Portfolio,
    description: str,
    method: AssessmentMethod,
    criteria: Iterable[Criterion] = (),
    range_items: Iterable[RangeItem] = (),
    due_date: datetime.date,
) -> PlanAction:
    """Add an action to the learner's plan (making the plan if it is the first)."""
    portfolio = _lock(portfolio)
    _check_assessor(actor, portfolio)
    _check_open(portfolio)
    criteria, range_items = list(criteria), list(range_items)
    _check_action(
        portfolio=portfolio,
        description=description,
        method=method,
        criteria=criteria,
        range_items=range_items,
        due_date=due_date,
    )
    plan, made = AssessmentPlan.objects.get_or_create(portfolio=portfolio)
    action = PlanAction.objects.create(plan=plan, description=description.strip(), method=method, due_date=due_date)
    action.criteria.set(criteria)
    action.range_items.set(range_items)
    agreements = _clear_agreements(plan, portfolio)
    _log(
        actor=actor,
        role=Role.ASSESSOR,
        portfolio=portfolio,
        plan=plan,
        action="plan.made" if made else "plan.action_added",
        summary=f"Plan action added: {action.description[:80]} ({method.code}, due {due_date:%d/%m/%Y})",
        after=_summary(action, criteria, range_items),
        agreements_cleared=agreements,
    )
    return action


@transaction.atomic
def plan_action_change(
    *,
    actor: User,
    action: PlanAction,
    description: str,
    method: AssessmentMethod,
    criteria: Iterable[Criterion] = (),
    range_items: Iterable[RangeItem] = (),
    due_date: datetime.date,
) -> PlanAction:
    portfolio = _lock(action.plan.portfolio)
    action = PlanAction.objects.select_related("plan", "method").get(pk=action.pk)
    _check_assessor(actor, portfolio)
    _check_open(portfolio)
    criteria, range_items = list(criteria), list(range_items)
    _check_action(
        portfolio=portfolio,
        description=description,
        method=method,
        criteria=criteria,
        range_items=range_items,
        due_date=due_date,
        old_due_date=action.due_date,
    )
    before = _summary(action, action.criteria.select_related("outcome"), action.range_items.all())
    action.description = description.strip()
    action.method = method
    action.due_date = due_date
    action.save()
    action.criteria.set(criteria)
    action.range_items.set(range_items)
    agreements = _clear_agreements(action.plan, portfolio)
    _log(
        actor=actor,
        role=Role.ASSESSOR,
        portfolio=portfolio,
        plan=action.plan,
        action="plan.action_changed",
        summary=f"Plan action changed: {action.description[:80]}",
        before=before,
        after=_summary(action, criteria, range_items),
        agreements_cleared=agreements,
    )
    return action


@transaction.atomic
def plan_action_delete(*, actor: User, action: PlanAction) -> None:
    portfolio = _lock(action.plan.portfolio)
    action = PlanAction.objects.select_related("plan", "method").get(pk=action.pk)
    _check_assessor(actor, portfolio)
    _check_open(portfolio)
    before = _summary(action, action.criteria.select_related("outcome"), action.range_items.all())
    plan = action.plan
    action.delete()
    agreements = _clear_agreements(plan, portfolio)
    _log(
        actor=actor,
        role=Role.ASSESSOR,
        portfolio=portfolio,
        plan=plan,
        action="plan.action_deleted",
        summary=f"Plan action deleted: {before['description'][:80]}",
        before=before,
        agreements_cleared=agreements,
    )


@transaction.atomic
def plan_agree(*, actor: User, portfolio: Portfolio) -> AssessmentPlan:
    """The learner or their assessor records that they agree to the plan as it stands now."""
    portfolio = _lock(portfolio)
    links = links_of(actor.pk, portfolio)
    if not (who := plan_who(links, "plan_agree")):
        raise PermissionDenied(who.reason)
    role, field = (Role.LEARNER if Role.LEARNER in links else Role.ASSESSOR), agreed_field(links)
    _check_open(portfolio)
    plan = AssessmentPlan.objects.filter(portfolio=portfolio).first()
    if not (due := plan_agreement(links, plan)):
        raise ValidationError(due.reason)
    assert plan is not None
    setattr(plan, field, timezone.now())
    plan.save(update_fields=[field, "updated_at"])
    notifications_done(target=plan, kind="plan_agree", user=actor)
    _log(
        actor=actor,
        role=role,
        portfolio=portfolio,
        plan=plan,
        action="plan.agreed",
        summary=f"{actor.full_name} agreed to the assessment plan as the {role.label.lower()}",
        actions=list(plan.actions.order_by("pk").values_list("pk", flat=True)),
    )
    return plan
