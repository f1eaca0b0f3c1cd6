"""How far the assessment plan has got: which actions are done, which are overdue.

An action is done when the portfolio has evidence (its own, or cross-referenced to it from the learner's other
units) gathered by the action's method, covering at least one of the action's criteria or range items, and dated
on or after the day the plan was made. Worked out in a fixed number of queries whatever the number of actions.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min, Prefetch
from django.utils import timezone

from assessments.judgement.coverage import home_unit_code, in_portfolio, shown_reference
from assessments.models import AssessmentPlan, Evidence, PlanAction, Portfolio
from audit.models import AuditEvent
from units.models import Criterion, RangeItem, UnitCode


class ActionState:
    DONE = "done"
    OVERDUE = "overdue"
    OPEN = "open"


@dataclass
class ActionProgress:
    action: PlanAction
    # (label as the awarding body prints it, criterion), in the unit's order.
    criteria: list[tuple[str, Criterion]]
    range_items: list[RangeItem]
    # The references of the evidence that did it ("E3", "E2 (unit 998)").
    refs: list[str]
    overdue: bool

    @property
    def done(self) -> bool:
        return bool(self.refs)

    @property
    def state(self) -> str:
        if self.done:
            return ActionState.DONE
        return ActionState.OVERDUE if self.overdue else ActionState.OPEN


@dataclass
class PlanProgress:
    plan: AssessmentPlan | None
    # The day the plan was made (its first audited write), in Europe/London; evidence counts from then on.
    made_on: datetime.date | None
    actions: list[ActionProgress] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for a in self.actions if a.done)

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.actions if a.overdue)

    @property
    def agreed(self) -> bool:
        return bool(self.plan and self.plan.learner_agreed_at and self.plan.assessor_agreed_at)


def plan_made_on(plan: AssessmentPlan) -> datetime.date | None:
    """The day the plan was made: the first audit row about it (audit rows cannot be changed)."""
    first = AuditEvent.objects.filter(target_type=plan._meta.label_lower, target_id=str(plan.pk)).aggregate(
        first=Min("at")
    )["first"]
    return timezone.localdate(first) if first else None


def plan_progress(portfolio: Portfolio, unit_code: UnitCode | None = None) -> PlanProgress:
    """The plan's actions with their state, in eight queries whatever the number of actions and evidence.

    `unit_code` (the portfolio's `unit_code`, if the caller already has it) labels the criteria."""
    plan = AssessmentPlan.objects.filter(portfolio_id=portfolio.pk).first()
    if plan is None:
        return PlanProgress(plan=None, made_on=None)
    actions = list(
        plan.actions.select_related("method").prefetch_related(
            Prefetch(
                "criteria", queryset=Criterion.objects.select_related("outcome").order_by("outcome__number", "number")
            ),
            Prefetch("range_items", queryset=RangeItem.objects.order_by("letter")),
        )
    )
    made_on = plan_made_on(plan)
    candidates = Evidence.objects.filter(in_portfolio(portfolio), method_id__in={a.method_id for a in actions})
    if made_on is not None:
        candidates = candidates.filter(activity_date__gte=made_on)
    evidence = {
        e.pk: e
        for e in candidates.only("pk", "number", "portfolio_id", "method_id")
        .annotate(home_unit_code=home_unit_code())
        .order_by()
    }
    # What each candidate covers in this unit. Subqueries, not lists of ids, keep the count fixed.
    covers_criteria: dict[int, set[int]] = defaultdict(set)
    for evidence_id, criterion_id in Evidence.criteria.through.objects.filter(
        evidence__in=candidates.values("pk"), criterion__outcome__unit_id=portfolio.unit_id
    ).values_list("evidence_id", "criterion_id"):
        covers_criteria[evidence_id].add(criterion_id)
    covers_range: dict[int, set[int]] = defaultdict(set)
    for evidence_id, item_id in Evidence.range_items.through.objects.filter(
        evidence__in=candidates.values("pk"), rangeitem__unit_id=portfolio.unit_id
    ).values_list("evidence_id", "rangeitem_id"):
        covers_range[evidence_id].add(item_id)

    def order(e: Evidence) -> tuple[bool, str, int]:
        # Own items first, then those from other units, each in reference order (as the coverage grid does).
        return (e.portfolio_id != portfolio.pk, getattr(e, "home_unit_code", None) or "", e.number)

    today = timezone.localdate()
    rows = []
    for action in actions:
        criteria = list(action.criteria.all())
        range_items = list(action.range_items.all())
        wanted_c = {c.pk for c in criteria}
        wanted_r = {r.pk for r in range_items}
        matched = [
            e
            for e in evidence.values()
            if e.method_id == action.method_id
            and (covers_criteria.get(e.pk, set()) & wanted_c or covers_range.get(e.pk, set()) & wanted_r)
        ]
        refs = [shown_reference(e, portfolio) for e in sorted(matched, key=order)]
        rows.append(
            ActionProgress(
                action=action,
                criteria=[(c.label(unit_code), c) for c in criteria],
                range_items=range_items,
                refs=refs,
                overdue=not refs and action.due_date < today,
            )
        )
    return PlanProgress(plan=plan, made_on=made_on, actions=rows)
