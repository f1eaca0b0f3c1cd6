"""What an IV samples from: their population of units at one centre, each assessor's risk band and target, and
which units their plans already cover. Worked out in a fixed number of queries whatever the centre's size: rows
are read with values() and aggregates, and everything per unit or per assessor is put together here in Python.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from assessments.models import LOCKED_STATUSES, Evidence, Portfolio
from assessments.policy import decided_by
from people.models import Centre, Membership, Qualification, Role, User
from quality.models import Agreement, AssessorRisk, IVReport, SampleItem, SampleScope, SampleStage, SamplingPolicy

# From the assessor's signature on, a unit is an assessed record: the summative sample is taken from these.
SIGNED_OR_LATER = LOCKED_STATUSES
DISAGREEMENT_WINDOW = datetime.timedelta(days=365)


def stage_name(stage: str) -> str:
    """ "interim" or "summative", for the middle of a sentence."""
    return SampleStage(stage).label.split(" (")[0].lower()


def population(iv: User, centre: Centre) -> QuerySet[Portfolio]:
    """The units the IV verifies at the centre: never one in which they made an assessment decision, even if an
    admin has since made them its IV (assessments/policy.py)."""
    return Portfolio.objects.filter(iv=iv, centre=centre).current().exclude(decided_by(iv.pk))


def policy_for(centre: Centre) -> SamplingPolicy:
    """The centre's policy, or the default rates when it has none yet; never saved here, so a page read writes
    nothing."""
    return SamplingPolicy.objects.filter(centre=centre).select_related("updated_by").first() or SamplingPolicy(
        centre=centre
    )


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` calendar months earlier, on the month's last day when it is shorter."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - datetime.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def target_for(rate: int, units: int) -> int:
    """ceil(rate% of units), in whole numbers so 10% of 10 units is exactly 1."""
    return (rate * units + 99) // 100


def risk_bands(
    centre: Centre, assessor_ids: set[int], policy: SamplingPolicy, *, now: datetime.datetime | None = None
) -> dict[int, AssessorRisk]:
    """Each assessor's band, in two queries. The first band that applies wins: still qualifying, then new to the
    centre, then disagreed with in the last year, else experienced."""
    now = now or timezone.now()
    memberships = {
        m["user_id"]: m
        for m in Membership.objects.filter(centre=centre, role=Role.ASSESSOR, user_id__in=assessor_ids)
        .order_by()
        .values("user_id", "qualification", "created_at")
    }
    disagreed = set(
        IVReport.objects.filter(
            centre=centre,
            agreement=Agreement.DISAGREE,
            assessor_id__in=assessor_ids,
            created_at__gte=now - DISAGREEMENT_WINDOW,
        )
        .order_by()
        .values_list("assessor_id", flat=True)
        .distinct()
    )
    new_since = months_before(now, policy.new_for_months)
    bands: dict[int, AssessorRisk] = {}
    for assessor_id in assessor_ids:
        membership = memberships.get(assessor_id)
        if membership and membership["qualification"] == Qualification.QUALIFYING:
            bands[assessor_id] = AssessorRisk.QUALIFYING
        elif membership and membership["created_at"] >= new_since:
            bands[assessor_id] = AssessorRisk.NEW
        elif assessor_id in disagreed:
            bands[assessor_id] = AssessorRisk.DISAGREED
        else:
            bands[assessor_id] = AssessorRisk.EXPERIENCED
    return bands


@dataclass(frozen=True)
class PopulationUnit:
    pk: int
    learner_id: int
    assessor_id: int | None
    unit_id: int
    status: str

    @property
    def signed(self) -> bool:
        return self.status in SIGNED_OR_LATER


def population_units(iv: User, centre: Centre) -> dict[int, PopulationUnit]:
    rows = population(iv, centre).order_by().values_list("pk", "learner_id", "assessor_id", "unit_id", "status")
    return {row[0]: PopulationUnit(*row) for row in rows}


def method_counts(iv: User, centre: Centre) -> dict[int, Counter[str]]:
    """Evidence items of each unit of the population by assessment method code."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    rows = (
        Evidence.objects.filter(portfolio__in=population(iv, centre).values("pk"))
        .order_by()
        .values_list("portfolio_id", "method__code")
        .annotate(n=Count("pk"))
    )
    for portfolio_id, code, n in rows:
        counts[portfolio_id][code] = n
    return counts


def criterion_claims(
    iv: User, centre: Centre, criterion_ids: set[int], *, detail: bool = True
) -> dict[tuple[int, int], set[tuple[str, str]]]:
    """For each (unit, criterion) of the population where evidence claims one of `criterion_ids`: the (method code,
    setting) of that evidence, or with `detail` False just that it is claimed (an empty set), which is lighter.
    A criterion sample covers exactly these units, methods and locations."""
    claims: dict[tuple[int, int], set[tuple[str, str]]] = defaultdict(set)
    if not criterion_ids:
        return claims
    fields = ["evidence__portfolio_id", "criterion_id"]
    if detail:
        fields += ["evidence__method__code", "evidence__setting"]
    rows = (
        Evidence.criteria.through.objects.filter(
            evidence__portfolio__in=population(iv, centre).values("pk"), criterion_id__in=criterion_ids
        )
        .order_by()
        .values_list(*fields)
        .distinct()
    )
    for portfolio_id, criterion_id, *how in rows:
        found = claims[(portfolio_id, criterion_id)]
        if how:
            found.add(tuple(how))  # type: ignore[arg-type]
    return claims


@dataclass(frozen=True)
class ItemRow:
    """What a sample item names, as plain ids."""

    pk: int
    plan_id: int
    scope: str
    stage: str
    portfolio_id: int | None
    learner_id: int | None
    assessor_id: int | None
    criterion_id: int | None


ITEM_FIELDS = ("pk", "plan_id", "scope", "stage", "portfolio_id", "learner_id", "assessor_id", "criterion_id")


def item_rows(items: QuerySet[SampleItem]) -> list[ItemRow]:
    return [ItemRow(*row) for row in items.order_by().values_list(*ITEM_FIELDS)]


class Reach:
    """Which of the population's units an item samples: its unit, every unit of its learner, or the units of its
    assessor whose evidence claims its criterion. Indexed once, so a plan of any size is one pass."""

    def __init__(self, units: dict[int, PopulationUnit], claims: dict[tuple[int, int], set[tuple[str, str]]]) -> None:
        self.units = units
        self.by_learner: dict[int, list[int]] = defaultdict(list)
        for unit in units.values():
            self.by_learner[unit.learner_id].append(unit.pk)
        self.by_claim: dict[tuple[int | None, int], list[int]] = defaultdict(list)
        for portfolio_id, criterion_id in claims:
            if portfolio_id in units:
                self.by_claim[(units[portfolio_id].assessor_id, criterion_id)].append(portfolio_id)

    def __call__(self, item: ItemRow) -> list[int]:
        if item.scope == SampleScope.UNIT:
            return [item.portfolio_id] if item.portfolio_id in self.units else []
        if item.scope == SampleScope.LEARNER:
            return self.by_learner.get(item.learner_id, [])  # type: ignore[arg-type]
        return self.by_claim.get((item.assessor_id, item.criterion_id), [])  # type: ignore[arg-type]


def stages_by_unit(items: list[ItemRow], reach: Reach) -> dict[int, set[str]]:
    stages: dict[int, set[str]] = defaultdict(set)
    for item in items:
        for pk in reach(item):
            stages[pk].add(item.stage)
    return stages


def reported_units(iv: User, centre: Centre) -> set[int]:
    """Units of the population with an IV report on them."""
    return set(
        IVReport.objects.filter(portfolio__in=population(iv, centre).values("pk"))
        .order_by()
        .values_list("portfolio_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class SampleState:
    stages: frozenset[str] = frozenset()
    reported: bool = False

    @property
    def sampled(self) -> bool:
        return self.reported or bool(self.stages)

    @property
    def label(self) -> str:
        if self.reported:
            return "Reported"
        if not self.stages:
            return "Not sampled"
        names = [stage_name(s) for s in SampleStage if s in self.stages]
        return "Planned " + " and ".join(names)


@dataclass
class AssessorSampling:
    assessor: User
    band: AssessorRisk
    rate: int
    units: int = 0
    signed: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    planned: int = 0
    reported: int = 0

    @property
    def target(self) -> int:
        return target_for(self.rate, self.units)

    @property
    def sampled(self) -> int:
        return self.planned + self.reported

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.sampled)

    @property
    def method_list(self) -> list[tuple[str, int]]:
        return sorted(self.methods.items())


@dataclass
class Overview:
    policy: SamplingPolicy
    units: dict[int, PopulationUnit]
    states: dict[int, SampleState]
    methods: dict[int, Counter[str]]
    assessors: list[AssessorSampling]

    def sampled_ids(self) -> list[int]:
        return [pk for pk, state in self.states.items() if state.sampled]


def assessor_rows(
    centre: Centre,
    units: dict[int, PopulationUnit],
    policy: SamplingPolicy,
    people: dict[int, User] | None = None,
) -> dict[int, AssessorSampling]:
    """A row for each assessor of the population with their band, rate and units; two queries, three without
    `people` (the assessors, by id)."""
    assessor_ids = {u.assessor_id for u in units.values() if u.assessor_id is not None}
    bands = risk_bands(centre, assessor_ids, policy)
    if people is None:
        people = {p.pk: p for p in User.objects.filter(pk__in=assessor_ids).order_by().only("pk", "full_name", "email")}
    rows = {
        pk: AssessorSampling(people[pk], bands[pk], policy.rate_for(bands[pk])) for pk in assessor_ids if pk in people
    }
    for unit in units.values():
        if unit.assessor_id in rows:
            rows[unit.assessor_id].units += 1
            rows[unit.assessor_id].signed += unit.signed
    return rows


def overview_for(iv: User, centre: Centre) -> Overview:
    """Everything the overview page shows but the page of units; ten queries at most, whatever the centre's size."""
    policy = policy_for(centre)
    units = population_units(iv, centre)
    methods = method_counts(iv, centre)
    items = item_rows(SampleItem.objects.filter(plan__iv=iv, plan__centre=centre))
    # Targets are of units sampled whole: a criterion sample across learners is not a sample of each unit it touches.
    whole = [i for i in items if i.scope != SampleScope.CRITERION]
    stages = stages_by_unit(whole, Reach(units, {}))
    reported = reported_units(iv, centre)
    states = {pk: SampleState(frozenset(stages.get(pk, ())), pk in reported) for pk in units}
    rows = assessor_rows(centre, units, policy)
    for unit in units.values():
        row = rows.get(unit.assessor_id)  # type: ignore[arg-type]
        if row is None:
            continue
        row.methods.update(methods.get(unit.pk, {}))
        state = states[unit.pk]
        if state.reported:
            row.reported += 1
        elif state.stages:
            row.planned += 1
    assessors = sorted(rows.values(), key=lambda r: (r.assessor.full_name, r.assessor.pk))
    return Overview(policy=policy, units=units, states=states, methods=methods, assessors=assessors)


def filter_units(queryset: QuerySet[Portfolio], overview: Overview, *, assessor: str, sampled: str) -> QuerySet:
    """The overview's list of units, narrowed by assessor and by whether they are sampled."""
    if assessor.isdigit():
        queryset = queryset.filter(assessor_id=int(assessor))
    if sampled == "yes":
        queryset = queryset.filter(pk__in=overview.sampled_ids())
    elif sampled == "no":
        queryset = queryset.exclude(Q(pk__in=overview.sampled_ids()))
    return queryset
