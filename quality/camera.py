"""What one sampling plan covers of the IV's population, in the CAMERA dimensions verifiers use: Candidates,
Assessors, Methods, Elements (the units' learning outcomes), Records (assessed unit records) and Assessment
locations. Each dimension is covered/total with what is still unsampled, so the IV sees where to add to the
plan. Worked out in a fixed number of queries whatever the centre's size; nothing of it is stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from assessments.models import Evidence, EvidenceSetting
from people.models import User
from quality.models import SampleItem, SampleScope, SampleStage, SamplingPlan
from quality.sampling import (
    ITEM_FIELDS,
    AssessorSampling,
    ItemRow,
    PopulationUnit,
    Reach,
    assessor_rows,
    criterion_claims,
    policy_for,
    population,
    population_units,
)
from units.models import AssessmentMethod, Criterion, Unit


@dataclass
class Dimension:
    key: str
    name: str
    # Keys of everything in the population, and of what the plan covers; labels for the keys, in display order.
    total_keys: list
    covered_keys: set
    labels: dict

    @property
    def total(self) -> int:
        return len(self.total_keys)

    @property
    def covered(self) -> int:
        return sum(1 for key in self.total_keys if key in self.covered_keys)

    @property
    def unsampled(self) -> list[tuple[object, str]]:
        return [(key, self.labels[key]) for key in self.total_keys if key not in self.covered_keys]


@dataclass
class PlanTarget:
    """An assessor's target for the period against the units this plan samples of theirs."""

    row: AssessorSampling
    in_plan: int = 0

    @property
    def still_to_plan(self) -> int:
        return max(0, self.row.target - self.in_plan)


@dataclass
class PlanCoverage:
    dimensions: list[Dimension]
    targets: list[PlanTarget]
    units: dict[int, PopulationUnit]
    covered_units: set[int]
    people: dict[int, User]
    unit_titles: dict[int, str]
    criteria: list[Criterion]
    # The plan's items, each with the unit, learner, assessor or criterion it names and its report_count.
    items: list[SampleItem]
    assessors: list[User] = field(default_factory=list)

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)


def _used(iv: User, plan: SamplingPlan) -> dict[int, set[tuple[str, str]]]:
    """The (method code, setting) pairs of each population unit's own evidence."""
    used: dict[int, set[tuple[str, str]]] = defaultdict(set)
    rows = (
        Evidence.objects.filter(portfolio__in=population(iv, plan.centre).values("pk"))
        .order_by()
        .values_list("portfolio_id", "method__code", "setting")
        .distinct()
    )
    for portfolio_id, code, setting in rows:
        used[portfolio_id].add((code, setting))
    return used


def plan_coverage(plan: SamplingPlan) -> PlanCoverage:
    iv, centre = plan.iv, plan.centre
    units = population_units(iv, centre)
    used = _used(iv, plan)
    listed = list(
        SampleItem.objects.filter(plan=plan)
        .select_related("portfolio__learner", "portfolio__unit", "learner", "assessor", "criterion__outcome")
        .annotate(report_count=Count("reports"))
    )
    items = [ItemRow(*(getattr(i, f) for f in ITEM_FIELDS)) for i in listed]
    claims = criterion_claims(iv, centre, {i.criterion_id for i in items if i.scope == SampleScope.CRITERION})
    unit_ids = {u.unit_id for u in units.values()}
    criteria = list(
        Criterion.objects.filter(outcome__unit_id__in=unit_ids)
        .select_related("outcome")
        .order_by("outcome__unit__title", "outcome__number", "number")
    )
    unit_titles = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "title"))
    # In the methods' own order (O, Q, PE, WT, PD, RA, RPL), as the unit's key lists them.
    method_names = dict(AssessmentMethod.objects.order_by("order", "code").values_list("code", "name"))
    person_ids = {u.learner_id for u in units.values()} | {u.assessor_id for u in units.values() if u.assessor_id}
    people = {p.pk: p for p in User.objects.filter(pk__in=person_ids).order_by().only("pk", "full_name", "email")}

    covered: set[int] = set()
    summative: set[int] = set()
    methods: set[str] = set()
    settings: set[str] = set()
    outcomes: set[int] = set()
    assessors: set[int] = set()
    outcome_of = {c.pk: c.outcome_id for c in criteria}
    outcomes_of_unit: dict[int, list[int]] = defaultdict(list)
    for c in criteria:
        if c.outcome_id not in outcomes_of_unit[c.outcome.unit_id]:
            outcomes_of_unit[c.outcome.unit_id].append(c.outcome_id)
    # Units sampled whole (on their own or with the learner's other units). A criterion sample looks at one decision
    # in each unit it reaches: it counts for the candidates, methods, elements and locations it shows the IV, not as
    # a unit or a record sampled towards an assessor's target.
    whole: set[int] = set()
    reach = Reach(units, claims)
    for item in items:
        reached = reach(item)
        covered.update(reached)
        if item.scope != SampleScope.CRITERION:
            whole.update(reached)
            if item.stage == SampleStage.SUMMATIVE:
                summative.update(reached)
        if item.scope == SampleScope.CRITERION:
            assessors.add(item.assessor_id)  # type: ignore[arg-type]
            if item.criterion_id in outcome_of:
                outcomes.add(outcome_of[item.criterion_id])
            for pk in reached:
                for code, setting in claims[(pk, item.criterion_id)]:  # type: ignore[index]
                    methods.add(code)
                    settings.add(setting)
        else:
            for pk in reached:
                outcomes.update(outcomes_of_unit[units[pk].unit_id])
                for code, setting in used[pk]:
                    methods.add(code)
                    settings.add(setting)
    assessors.update(units[pk].assessor_id for pk in covered if units[pk].assessor_id)  # type: ignore[misc]

    by_name = sorted(units.values(), key=lambda u: (people[u.learner_id].full_name, unit_titles[u.unit_id], u.pk))
    learners = list(dict.fromkeys(u.learner_id for u in by_name))
    assessor_ids = sorted({u.assessor_id for u in by_name if u.assessor_id}, key=lambda pk: people[pk].full_name)
    used_methods = {code for pairs in used.values() for code, _ in pairs}
    used_settings = {setting for pairs in used.values() for _, setting in pairs}
    all_methods = [code for code in method_names if code in used_methods]
    all_settings = [s for s in EvidenceSetting.values if s in used_settings]
    many_units = len(unit_ids) > 1
    outcome_labels = {
        c.outcome_id: (f"{unit_titles[c.outcome.unit_id]}: " if many_units else "")
        + f"{c.outcome.number} {c.outcome.title}"
        for c in criteria
    }
    records = [u.pk for u in by_name if u.signed]

    def unit_label(pk: int) -> str:
        return f"{people[units[pk].learner_id].full_name}, {unit_titles[units[pk].unit_id]}"

    dimensions = [
        Dimension(
            "candidates",
            "Candidates",
            learners,
            {units[pk].learner_id for pk in covered},
            {pk: people[pk].full_name for pk in learners},
        ),
        Dimension("assessors", "Assessors", assessor_ids, assessors, {pk: people[pk].full_name for pk in assessor_ids}),
        Dimension("methods", "Methods", all_methods, methods, {c: f"{c} {method_names[c]}" for c in all_methods}),
        Dimension("elements", "Elements", list(outcome_labels), outcomes, outcome_labels),
        Dimension("records", "Records", records, summative, {pk: unit_label(pk) for pk in records}),
        Dimension(
            "locations",
            "Assessment locations",
            all_settings,
            settings,
            {s: EvidenceSetting(s).label for s in all_settings},
        ),
    ]
    rows = assessor_rows(centre, units, policy_for(centre), people)
    targets = {pk: PlanTarget(row) for pk, row in rows.items()}
    for pk in whole:
        if units[pk].assessor_id in targets:
            targets[units[pk].assessor_id].in_plan += 1  # type: ignore[index]
    return PlanCoverage(
        dimensions=dimensions,
        targets=sorted(targets.values(), key=lambda t: (t.row.assessor.full_name, t.row.assessor.pk)),
        units=units,
        covered_units=covered,
        people=people,
        unit_titles=unit_titles,
        criteria=criteria,
        items=listed,
        assessors=[people[pk] for pk in assessor_ids],
    )
