"""What a portfolio's evidence covers: the workbook's "what you must cover / do /
know" grids, worked out in a fixed number of queries whatever the evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from assessments.models import Evidence, Portfolio
from units.models import Criterion, LearningOutcome, RangeItem


@dataclass
class CriterionRow:
    criterion: Criterion
    label: str
    refs: list[str]
    one_date_only: bool = False


@dataclass
class OutcomeBlock:
    outcome: LearningOutcome
    rows: list[CriterionRow]

    @property
    def covered(self) -> int:
        return sum(1 for row in self.rows if row.refs)


@dataclass
class RangeRow:
    item: RangeItem
    refs: list[str]


@dataclass
class Coverage:
    outcomes: list[OutcomeBlock]
    range_rows: list[RangeRow]
    # (criterion label, criterion, [refs for each range item, in range order])
    matrix: list[tuple[str, Criterion, list[list[str]]]] = field(default_factory=list)

    @property
    def criteria_total(self) -> int:
        return sum(len(block.rows) for block in self.outcomes)

    @property
    def criteria_covered(self) -> int:
        return sum(block.covered for block in self.outcomes)

    @property
    def range_total(self) -> int:
        return len(self.range_rows)

    @property
    def range_covered(self) -> int:
        return sum(1 for row in self.range_rows if row.refs)

    @property
    def range_gaps(self) -> list[RangeItem]:
        return [row.item for row in self.range_rows if not row.refs]

    @property
    def one_date_only(self) -> list[CriterionRow]:
        return [row for block in self.outcomes for row in block.rows if row.one_date_only]


def portfolio_coverage(portfolio: Portfolio) -> Coverage:
    unit_code = portfolio.unit_code
    criteria = list(
        Criterion.objects.filter(outcome__unit_id=portfolio.unit_id)
        .select_related("outcome")
        .order_by("outcome__number", "number")
    )
    range_items = list(RangeItem.objects.filter(unit_id=portfolio.unit_id).order_by("letter"))
    evidence = {e.pk: e for e in Evidence.objects.filter(portfolio=portfolio).only("pk", "number", "activity_date")}
    by_criterion: dict[int, list[int]] = defaultdict(list)
    for evidence_id, criterion_id in Evidence.criteria.through.objects.filter(
        evidence__portfolio=portfolio
    ).values_list("evidence_id", "criterion_id"):
        by_criterion[criterion_id].append(evidence_id)
    by_range: dict[int, list[int]] = defaultdict(list)
    for evidence_id, item_id in Evidence.range_items.through.objects.filter(evidence__portfolio=portfolio).values_list(
        "evidence_id", "rangeitem_id"
    ):
        by_range[item_id].append(evidence_id)

    def refs(ids: list[int]) -> list[str]:
        return [evidence[i].reference for i in sorted(ids, key=lambda i: evidence[i].number)]

    blocks: dict[int, OutcomeBlock] = {}
    matrix = []
    for criterion in criteria:
        ids = by_criterion.get(criterion.pk, [])
        performance = criterion.outcome.is_performance
        dates = {evidence[i].activity_date for i in ids}
        row = CriterionRow(
            criterion=criterion,
            label=criterion.label(unit_code),
            refs=refs(ids),
            one_date_only=performance and len(dates) == 1,
        )
        blocks.setdefault(criterion.outcome.pk, OutcomeBlock(criterion.outcome, [])).rows.append(row)
        if performance:
            cells = [refs([i for i in ids if i in set(by_range.get(item.pk, []))]) for item in range_items]
            matrix.append((row.label, criterion, cells))
    return Coverage(
        outcomes=list(blocks.values()),
        range_rows=[RangeRow(item, refs(by_range.get(item.pk, []))) for item in range_items],
        matrix=matrix,
    )
