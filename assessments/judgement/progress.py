"""Progress a manager can act on: each unit's and each qualification's percentage and its red, amber or green
status against the planned end date. The rule is written here once; every dashboard, the registrations lists and
the note "how the colour is worked out" (RULE_IN_WORDS) read it from here.

The figures are worked out in bulk, for a page of registrations at a time, in a fixed number of queries whatever
the number of registrations or evidence items.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

from assessments.judgement.coverage import Progress, portfolios_progress
from assessments.models import LOCKED_STATUSES, Portfolio, PortfolioStatus, QualificationRegistration
from units.models import QualificationGroup, QualificationUnit, UnitCode

# How far, in percentage points, the work done may trail the share of the planned time gone before a
# registration is behind rather than at risk.
AT_RISK_MARGIN = 20
# An unsigned unit never shows 100%: 100% means its assessor has signed it.
UNSIGNED_MOST = 99

RULE_IN_WORDS = (
    "A unit's percentage is the share of its criteria and range items that have evidence (its own or "
    f"cross-referenced); it reaches 100% only when the assessor signs the unit, and stays at most {UNSIGNED_MOST}% "
    "until then. A qualification's percentage is the average over the units its rules of combination need: every "
    "mandatory unit, and the best of the registered units up to each group's minimum number of units or credits "
    "(where the specification states no rule for a group, the units registered in it), with a unit still to be "
    "registered counted as 0%; withdrawn units do not count. The status compares the percentage with the share of the "
    "time from the start date to the planned end date that has passed: on track (green) when the percentage is at "
    f"least that share; at risk (amber) when it is less, by up to {AT_RISK_MARGIN} percentage points; behind (red) "
    "when it is further back, or when the planned end date has passed and it is not 100%."
)


class Rag(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BEHIND = "behind", "Behind"


# Green, amber and red with their text in a colour of AA contrast; the words say it without the colour.
BADGES = {Rag.ON_TRACK: "text-bg-success", Rag.AT_RISK: "text-bg-warning", Rag.BEHIND: "text-bg-danger"}


def _css(value: Rag | None) -> str:
    if value is None:
        return "rag-none text-bg-secondary"
    return f"rag-{value.value.replace('_', '-')} {BADGES[value]}"


def elapsed_percent(*, start: datetime.date, end: datetime.date, today: datetime.date) -> int:
    """The share of the planned period gone by today, 0 to 100, rounded down: 0 on the start date (and before it),
    100 on the planned end date (and after it)."""
    if today <= start:
        return 0
    if today >= end:
        return 100
    return (today - start).days * 100 // (end - start).days


def rag(*, percent: int, start: datetime.date, end: datetime.date, today: datetime.date) -> Rag:
    """The colour, by RULE_IN_WORDS."""
    if percent >= 100:
        return Rag.ON_TRACK
    if today > end:
        return Rag.BEHIND
    elapsed = elapsed_percent(start=start, end=end, today=today)
    if percent >= elapsed:
        return Rag.ON_TRACK
    if percent >= elapsed - AT_RISK_MARGIN:
        return Rag.AT_RISK
    return Rag.BEHIND


@dataclass(frozen=True)
class Standing:
    """A registration's percentage and status; `rag` is None for a withdrawn unit, which is no longer measured."""

    percent: int
    rag: Rag | None

    @property
    def label(self) -> str:
        return self.rag.label if self.rag else "Withdrawn"

    @property
    def css(self) -> str:
        return _css(self.rag)


def unit_percent(progress: Progress, status: str) -> int:
    """A unit's percentage by RULE_IN_WORDS, from the coverage counts the unit's pages already show."""
    if status in LOCKED_STATUSES:
        return 100
    total = progress.criteria_total + progress.range_total
    if not total:
        return 0
    return min(UNSIGNED_MOST, (progress.criteria_covered + progress.range_covered) * 100 // total)


def unit_standing(portfolio: Portfolio, progress: Progress, today: datetime.date) -> Standing:
    percent = unit_percent(progress, portfolio.status)
    if portfolio.status == PortfolioStatus.WITHDRAWN:
        return Standing(percent, None)
    return Standing(
        percent, rag(percent=percent, start=portfolio.start_date, end=portfolio.planned_end_date, today=today)
    )


def units_standing(
    portfolios: list[Portfolio],
    *,
    progress: dict[int, Progress] | None = None,
    today: datetime.date | None = None,
) -> dict[int, Standing]:
    """Each portfolio's standing, keyed by its id; `progress` where the page already worked it out."""
    today = today or timezone.localdate()
    progress = progress if progress is not None else portfolios_progress(portfolios)
    return {p.pk: unit_standing(p, progress[p.pk], today) for p in portfolios}


@dataclass
class QualificationStanding:
    percent: int
    rag: Rag
    # The rules of combination not yet met by the units registered, in words; empty when they are.
    shortfalls: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.rag.label

    @property
    def css(self) -> str:
        return _css(self.rag)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _group_name(group: QualificationGroup) -> str:
    return f"group {group.number}" + (f" ({group.title})" if group.title else "")


def _group_slots(
    group: QualificationGroup, registered: dict[str, tuple[int, int | None]], units: list[QualificationUnit]
) -> tuple[list[int], list[str]]:
    """The percentages the group adds to its qualification's average, and what it still lacks in words.

    `registered` maps each of the group's unit numbers the learner is registered on to (percentage, credits)."""
    shortfalls: list[str] = []
    if group.kind == QualificationGroup.Kind.MANDATORY:
        slots = [registered[u.number][0] if u.number in registered else 0 for u in units]
        missing = [u.number for u in units if u.number not in registered]
        if missing:
            shortfalls.append(f"Mandatory unit{'s' if len(missing) > 1 else ''} {', '.join(missing)} not registered.")
        return slots, shortfalls
    best = sorted(registered.values(), key=lambda pc: -pc[0])
    slots = [percent for percent, _ in best]
    if group.minimum_units is None and group.minimum_credits is None:
        # The specification states no minimum for the group: the units chosen are what counts.
        return slots, shortfalls
    needed_units = 0
    if group.minimum_units is not None:
        needed_units = group.minimum_units
        if len(best) < group.minimum_units:
            shortfalls.append(
                f"{_plural(group.minimum_units - len(best), 'more unit')} needed in {_group_name(group)}."
            )
    if group.minimum_credits is not None:
        credits, taken = 0, 0
        for _, credit in best:
            if credits >= group.minimum_credits:
                break
            credits += credit or 0
            taken += 1
        if credits < group.minimum_credits:
            shortfalls.append(
                f"{_plural(group.minimum_credits - credits, 'more credit')} needed in {_group_name(group)}."
            )
            # The fewest further units of the group that would make up the credits, each counted at 0%.
            others = sorted((u.credit_value or 0 for u in units if u.number not in registered), reverse=True)
            for credit in others:
                if credits >= group.minimum_credits:
                    break
                credits += credit
                taken += 1
            if credits < group.minimum_credits:
                taken += 1  # credits not stated: at least one more unit
        needed_units = max(needed_units, taken)
    # The best units up to the minimum; what is missing counts as 0%.
    return (slots[:needed_units] + [0] * max(0, needed_units - len(slots))), shortfalls


def qualifications_standing(
    registrations: list[QualificationRegistration],
    *,
    progress: dict[int, Progress] | None = None,
    today: datetime.date | None = None,
) -> dict[int, QualificationStanding]:
    """Each qualification registration's standing against its qualification's rules of combination, keyed by its
    id; a fixed number of queries (twelve, or four given `progress` for every unit registered) whatever the
    number of registrations."""
    today = today or timezone.localdate()
    if not registrations:
        return {}
    qualification_ids = {r.qualification_id for r in registrations}
    groups: dict[int, list[QualificationGroup]] = defaultdict(list)
    for group in (
        QualificationGroup.objects.filter(qualification_id__in=qualification_ids)
        .prefetch_related("units")
        .order_by("number")
    ):
        groups[group.qualification_id].append(group)
    portfolios = list(
        Portfolio.objects.filter(qualification_registration__in=[r.pk for r in registrations])
        .exclude(status=PortfolioStatus.WITHDRAWN)
        .select_related("unit")
    )
    missing = [p for p in portfolios if progress is None or p.pk not in progress]
    if missing:
        progress = {**(progress or {}), **portfolios_progress(missing)}
    # Each unit's number under each awarding body, for the units registered: what the qualification lists.
    numbers = {
        (unit_id, body_id): code
        for unit_id, body_id, code in UnitCode.objects.filter(unit_id__in={p.unit_id for p in portfolios}).values_list(
            "unit_id", "awarding_body_id", "code"
        )
    }
    by_registration: dict[int, list[Portfolio]] = defaultdict(list)
    for portfolio in portfolios:
        by_registration[portfolio.qualification_registration_id].append(portfolio)
    result = {}
    for registration in registrations:
        body_id = registration.qualification.awarding_body_id
        registered: dict[str, tuple[int, int | None]] = {}
        for p in by_registration[registration.pk]:
            number = numbers.get((p.unit_id, body_id))
            if number is not None:
                registered[number] = (unit_percent(progress[p.pk], p.status), p.unit.credit_value)
        slots: list[int] = []
        shortfalls: list[str] = []
        placed: set[str] = set()
        for group in groups[registration.qualification_id]:
            units = list(group.units.all())
            # A unit listed in two groups counts in the first.
            mine = {u.number: registered[u.number] for u in units if u.number in registered and u.number not in placed}
            placed |= set(mine)
            group_slots, group_shortfalls = _group_slots(group, mine, units)
            slots += group_slots
            shortfalls += group_shortfalls
        total = registration.qualification.total_minimum_credits
        if total is not None:
            credits = sum(credit or 0 for _, credit in registered.values())
            if credits < total:
                shortfalls.append(f"{_plural(total - credits, 'more credit')} needed for the qualification.")
        percent = sum(slots) // len(slots) if slots else 0
        if shortfalls:
            percent = min(percent, UNSIGNED_MOST)
        result[registration.pk] = QualificationStanding(
            percent=percent,
            rag=rag(percent=percent, start=registration.start_date, end=registration.planned_end_date, today=today),
            shortfalls=shortfalls,
        )
    return result


def attach_qualifications(portfolios: list[Portfolio], *, progress: dict[int, Progress] | None = None) -> None:
    """Puts on each portfolio registered under a qualification that registration, with its standing on it, as
    `qualification_progress`: a caseload shows each unit's qualification beside it. Five queries, or thirteen where the
    qualifications' other units (another assessor's, say) are not in `progress`; none without qualifications."""
    ids = {p.qualification_registration_id for p in portfolios if p.qualification_registration_id}
    registrations = (
        list(QualificationRegistration.objects.filter(pk__in=ids).select_related("qualification")) if ids else []
    )
    standings = qualifications_standing(registrations, progress=progress)
    by_pk = {r.pk: r for r in registrations}
    for registration in registrations:
        registration.standing = standings[registration.pk]  # type: ignore[attr-defined]
    for portfolio in portfolios:
        portfolio.qualification_progress = by_pk.get(portfolio.qualification_registration_id)  # type: ignore[attr-defined]


def attach(objects: Iterable[object], standings: dict[int, object]) -> None:
    """Puts each object's standing on it as `standing`, for the templates."""
    for obj in objects:
        obj.standing = standings.get(obj.pk)  # type: ignore[attr-defined]
