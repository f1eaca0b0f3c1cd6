"""What a portfolio's evidence covers: the workbook's "what you must cover / do /
know" grids, worked out in a fixed number of queries whatever the evidence."""

from __future__ import annotations

import datetime
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Aggregate, Case, CharField, Count, F, IntegerField, Max, OuterRef, Q, Subquery, When
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from assessments.models import Evidence, Portfolio
from portfolio.sql_once import SqlOnce
from units.models import Criterion, LearningOutcome, RangeItem, UnitCode


@dataclass
class CriterionRow:
    criterion: Criterion
    label: str
    refs: list[str]
    one_date_only: bool = False
    text: str = ""  # the criterion in the learner's awarding body's words, worked out once here

    @property
    def refs_text(self) -> str:
        # One string for the page: a loop over a thousand references costs a template node each.
        return ", ".join(self.refs)


# A cell of a grid with no evidence yet.
_NONE = '<span class="gap-text">none</span>'


def _refs_cell(row) -> str:
    return conditional_escape(row.refs_text) if row.refs else _NONE


@dataclass
class OutcomeBlock:
    outcome: LearningOutcome
    rows: list[CriterionRow]

    @property
    def covered(self) -> int:
        return sum(1 for row in self.rows if row.refs)

    @property
    def rows_html(self) -> SafeString:
        """The outcome's table rows as HTML, written in one pass as the page's template wrote them, rather than a
        template loop of several nodes a row."""
        return mark_safe(
            "".join(
                f'\n  <tr class="{"" if row.refs else "gap"}"><th scope="row"><span class="ref">'
                f"{conditional_escape(row.label)}</span> {conditional_escape(row.text)}</th>\n"
                f'    <td data-label="Evidence">{_refs_cell(row)}</td></tr>\n  '
                for row in self.rows
            )
        )


@dataclass
class RangeRow:
    item: RangeItem
    refs: list[str]

    @property
    def refs_text(self) -> str:
        return ", ".join(self.refs)


@dataclass
class Coverage:
    outcomes: list[OutcomeBlock]
    range_rows: list[RangeRow]
    # (criterion label, criterion, [refs for each range item, in range order])
    matrix: list[tuple[str, Criterion, list[list[str]]]] = field(default_factory=list)
    # The unit's criteria (with their outcomes) and range items as read here, for the page's other parts (the
    # sufficiency ledger) to use rather than read again.
    criteria: list[Criterion] = field(default_factory=list)
    range_items: list[RangeItem] = field(default_factory=list)

    @property
    def matrix_text(self) -> list[tuple[str, list[str]]]:
        """The matrix as the page shows it: each cell's references as one string, escaped once rather than
        once a reference."""
        return [(label, [", ".join(refs) for refs in cells]) for label, _, cells in self.matrix]

    @property
    def matrix_html(self) -> SafeString:
        """The matrix's rows as HTML, built here in one pass: a template loop costs several nodes a cell, and a
        unit has a few hundred cells."""
        gap = '<td class="gap">–</td>'
        return mark_safe(
            "\n".join(
                f'<tr><th scope="row">{escape(label)}</th>'
                + "".join(f"<td>{escape(refs)}</td>" if refs else gap for refs in cells)
                + "</tr>"
                for label, cells in self.matrix_text
            )
        )

    @property
    def range_rows_html(self) -> SafeString:
        """The range table's rows as HTML, as the page's template wrote them."""
        return mark_safe(
            "".join(
                f'\n  <tr class="{"" if row.refs else "gap"}"><th scope="row">{conditional_escape(row.item.letter)} '
                f"{conditional_escape(row.item.text)}</th>"
                f'<td data-label="Evidence">{_refs_cell(row)}</td></tr>\n  '
                for row in self.range_rows
            )
        )

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


def in_portfolio(portfolio: Portfolio) -> Q:
    """The evidence that counts in a portfolio: its own items and the items of the learner's other
    portfolios that are cross-referenced to it."""
    crossed = Evidence.cross_references.through.objects.filter(portfolio_id=portfolio.pk).values("evidence_id")
    return Q(portfolio_id=portfolio.pk) | Q(pk__in=crossed)


def home_unit_code(via: str = "portfolio__") -> Subquery:
    """An annotation: the number of an item's home unit under its home portfolio's awarding body ("220");
    with `via=""`, a portfolio's own unit number."""
    return Subquery(
        UnitCode.objects.filter(
            unit_id=OuterRef(f"{via}unit_id"), awarding_body_id=OuterRef(f"{via}awarding_body_id")
        ).values("code")[:1]
    )


def shown_reference(evidence: Evidence, portfolio: Portfolio) -> str:
    """How an item is named in `portfolio`: "E3" for its own items, "E3 (unit 220)" for one cross-referenced
    from another unit, which needs the `home_unit_code` annotation."""
    own = evidence.portfolio_id == portfolio.pk
    return reference_text(evidence.number, own, None if own else getattr(evidence, "home_unit_code", None))


def reference_text(number: int, own: bool, home_unit_code: str | None) -> str:
    """shown_reference from the bare columns, for pages that list thousands of items without loading them."""
    if own:
        return f"E{number}"
    return f"E{number} (unit {home_unit_code})" if home_unit_code else f"E{number} (another unit)"


def claims_in(portfolio: Portfolio) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The evidence claimed for each of the portfolio's criteria and range items (ids to evidence ids), counting
    items cross-referenced from the learner's other units; two queries."""
    # Walked from the items' ids, with the unit compared here rather than in SQL: a filter on the unit lets
    # SQLite start from the unit's criteria and probe every item for each (or read every learner's claims).
    counted = Q(evidence__in=Evidence.objects.filter(in_portfolio(portfolio)).values("pk"))
    unit_id = portfolio.unit_id
    by_criterion: dict[int, list[int]] = defaultdict(list)
    for evidence_id, criterion_id, criterion_unit in Evidence.criteria.through.objects.filter(counted).values_list(
        "evidence_id", "criterion_id", "criterion__outcome__unit_id"
    ):
        if criterion_unit == unit_id:
            by_criterion[criterion_id].append(evidence_id)
    by_range: dict[int, list[int]] = defaultdict(list)
    for evidence_id, item_id, item_unit in Evidence.range_items.through.objects.filter(counted).values_list(
        "evidence_id", "rangeitem_id", "rangeitem__unit_id"
    ):
        if item_unit == unit_id:
            by_range[item_id].append(evidence_id)
    return by_criterion, by_range


class _Joined(Aggregate):
    """A group's values as one comma-separated string: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(CAST(%(expressions)s AS text), ',')"
        )


# "E1", "E2", ...: an own item's reference by its number, each string made once per process rather than once per
# claim on every page (a thousand items make five thousand).
_REFERENCES = ["E0"]
_REFERENCES_GROWING = threading.Lock()


def _own_references(numbers: list[int]) -> list[str]:
    if numbers and numbers[-1] >= len(_REFERENCES):
        with _REFERENCES_GROWING:
            _REFERENCES.extend(f"E{n}" for n in range(len(_REFERENCES), max(numbers) + 1))
    return [_REFERENCES[n] for n in numbers]


def _tokens(joined: str | None) -> list[int]:
    return list(map(int, joined.split(","))) if joined else []


def _token(portfolio_id) -> Case:
    """How a claim names its item in the joined strings below: an item of the portfolio's own by its number (its
    reference is "E" and the number, and the numbers give the order), one cross-referenced from another unit by its
    id made negative (looked up among those items, which are few)."""
    return Case(
        When(evidence__portfolio_id=portfolio_id, then=F("evidence__number")),
        default=F("evidence_id") * -1,
        output_field=IntegerField(),
    )


def _counted(portfolio_id) -> Q:
    crossed = Evidence.cross_references.through.objects.filter(portfolio_id=portfolio_id).values("evidence_id")
    return Q(evidence__in=Evidence.objects.filter(Q(portfolio_id=portfolio_id) | Q(pk__in=crossed)).values("pk"))


# The grids' queries, built by the ORM once per process (sql_once.py): building them cost more CPU than running
# them. Each criterion and range item with its items joined into one string (a row for each claim would be
# thousands of tuples for the database driver to build), and each criterion's number of different dates.
_CRITERIA = SqlOnce(
    lambda unit: (
        Criterion.objects.filter(outcome__unit_id=unit).select_related("outcome").order_by("outcome__number", "number")
    ),
    "unit",
)
_RANGE_ITEMS = SqlOnce(lambda unit: RangeItem.objects.filter(unit_id=unit).order_by("letter"), "unit")
_CRITERION_CLAIMS = SqlOnce(
    lambda portfolio: (
        Evidence.criteria.through.objects.filter(_counted(portfolio))
        .order_by()
        .values("criterion_id")
        .annotate(tokens=_Joined(_token(portfolio)), dates=Count("evidence__activity_date", distinct=True))
        .values_list("criterion_id", "tokens", "dates")
    ),
    "portfolio",
)
_RANGE_CLAIMS = SqlOnce(
    lambda portfolio: (
        Evidence.range_items.through.objects.filter(_counted(portfolio))
        .order_by()
        .values("rangeitem_id")
        .annotate(tokens=_Joined(_token(portfolio)))
        .values_list("rangeitem_id", "tokens")
    ),
    "portfolio",
)
# The items cross-referenced into the portfolio from the learner's other units, with their home unit's number.
_CROSSED = SqlOnce(
    lambda portfolio: (
        Evidence.objects.filter(cross_references=portfolio)
        .annotate(home_unit_code=home_unit_code())
        .order_by()
        .values_list("pk", "number", "home_unit_code")
    ),
    "portfolio",
)


def unit_criteria(unit_id: int) -> list[Criterion]:
    """The unit's criteria with their outcomes, in outcome and number order."""
    return _CRITERIA.objects(unit=unit_id)


def portfolio_coverage(portfolio: Portfolio) -> Coverage:
    """The portfolio's grids, in time linear in its evidence and in a fixed number of queries: the claims come
    grouped by criterion and range item, each naming its items by the number that orders them, and every cell is
    made from those."""
    unit_code = portfolio.unit_code
    criteria = _CRITERIA.objects(unit=portfolio.unit_id)
    range_items = _RANGE_ITEMS.objects(unit=portfolio.unit_id)
    criterion_ids, range_ids = {c.pk for c in criteria}, [r.pk for r in range_items]
    # Not the other units' criteria and range items that a cross-referenced item also claims.
    by_criterion: dict[int, list[int]] = {}
    dates: dict[int, int] = {}
    for criterion_id, joined, different_dates in _CRITERION_CLAIMS.rows(portfolio=portfolio.pk):
        if criterion_id in criterion_ids:
            by_criterion[criterion_id] = _tokens(joined)
            dates[criterion_id] = different_dates
    by_range = {item_id: _tokens(joined) for item_id, joined in _RANGE_CLAIMS.rows(portfolio=portfolio.pk)}
    # Cross-referenced items after the portfolio's own, by their home unit's number and then their own.
    crossed = {
        -pk: ((code or "", number, pk), reference_text(number, False, code))
        for pk, number, code in _CROSSED.rows(portfolio=portfolio.pk)
    }

    def in_order(tokens: list[int]) -> tuple[list[int], list[str]]:
        ordered = sorted(tokens)
        first_own = bisect_left(ordered, 1)  # the other units' items (negative) sort before the own numbers
        own = ordered[first_own:]
        others = sorted((t for t in ordered[:first_own] if t in crossed), key=lambda t: crossed[t][0])
        return [*own, *others], _own_references(own) + [crossed[t][1] for t in others]

    # The range matrix in one pass over the range claims: each item's situations, in letter order, so a cell is a
    # lookup rather than a set built for every item of every criterion.
    situations: dict[int, list[int]] = defaultdict(list)
    for item_id in range_ids:
        for token in by_range.get(item_id, ()):
            situations[token].append(item_id)
    blocks: dict[int, OutcomeBlock] = {}
    matrix = []
    for criterion in criteria:
        tokens, refs = in_order(by_criterion.get(criterion.pk, []))
        performance = criterion.outcome.is_performance
        row = CriterionRow(
            criterion=criterion,
            label=criterion.label(unit_code),
            refs=refs,
            one_date_only=performance and dates.get(criterion.pk) == 1,
            text=criterion.wording(unit_code),
        )
        blocks.setdefault(criterion.outcome.pk, OutcomeBlock(criterion.outcome, [])).rows.append(row)
        if performance:
            # One pass over the criterion's items, in its order, dealing each into its situations' cells.
            cells: dict[int, list[str]] = {item_id: [] for item_id in range_ids}
            for token, ref in zip(tokens, refs, strict=True):
                for item_id in situations.get(token, ()):
                    cells[item_id].append(ref)
            matrix.append((row.label, criterion, list(cells.values())))
    return Coverage(
        outcomes=list(blocks.values()),
        range_rows=[RangeRow(item, in_order(by_range.get(item.pk, []))[1]) for item in range_items],
        matrix=matrix,
        criteria=criteria,
        range_items=range_items,
    )


@dataclass
class Progress:
    """A portfolio's progress for the learner's dashboard, cross-referenced evidence included."""

    criteria_covered: int = 0
    criteria_total: int = 0
    range_covered: int = 0
    range_total: int = 0
    evidence: int = 0
    cross_referenced: int = 0
    latest: datetime.date | None = None


def portfolios_progress(portfolios: list[Portfolio]) -> dict[int, Progress]:
    """Progress for many portfolios at once, in eight queries whatever the number of portfolios and evidence."""
    ids = [p.pk for p in portfolios]
    unit_ids = {p.unit_id for p in portfolios}
    criteria_totals = dict(
        Criterion.objects.filter(outcome__unit_id__in=unit_ids)
        .order_by()
        .values("outcome__unit_id")
        .annotate(n=Count("pk"))
        .values_list("outcome__unit_id", "n")
    )
    range_totals = dict(
        RangeItem.objects.filter(unit_id__in=unit_ids)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    # Distinct (portfolio, criterion or range item) pairs with evidence of the portfolio's own unit,
    # from its own items and from items cross-referenced to it.
    criteria = Evidence.criteria.through.objects
    ranges = Evidence.range_items.through.objects
    covered_criteria = {
        *criteria.filter(evidence__portfolio_id__in=ids, criterion__outcome__unit_id=F("evidence__portfolio__unit_id"))
        .values_list("evidence__portfolio_id", "criterion_id")
        .distinct(),
        *criteria.filter(
            evidence__cross_references__in=ids,
            criterion__outcome__unit_id=F("evidence__cross_references__unit_id"),
        )
        .values_list("evidence__cross_references", "criterion_id")
        .distinct(),
    }
    covered_range = {
        *ranges.filter(evidence__portfolio_id__in=ids, rangeitem__unit_id=F("evidence__portfolio__unit_id"))
        .values_list("evidence__portfolio_id", "rangeitem_id")
        .distinct(),
        *ranges.filter(evidence__cross_references__in=ids, rangeitem__unit_id=F("evidence__cross_references__unit_id"))
        .values_list("evidence__cross_references", "rangeitem_id")
        .distinct(),
    }
    own = (
        Evidence.objects.filter(portfolio_id__in=ids)
        .order_by()
        .values("portfolio_id")
        .annotate(n=Count("pk"), latest=Max("activity_date"))
    )
    crossed = (
        Evidence.cross_references.through.objects.filter(portfolio_id__in=ids)
        .order_by()
        .values("portfolio_id")
        .annotate(n=Count("evidence_id"), latest=Max("evidence__activity_date"))
    )
    progress = {
        p.pk: Progress(criteria_total=criteria_totals.get(p.unit_id, 0), range_total=range_totals.get(p.unit_id, 0))
        for p in portfolios
    }
    for portfolio_id, _ in covered_criteria:
        progress[portfolio_id].criteria_covered += 1
    for portfolio_id, _ in covered_range:
        progress[portfolio_id].range_covered += 1
    for row, is_crossed in [*((r, False) for r in own), *((r, True) for r in crossed)]:
        each = progress[row["portfolio_id"]]
        each.evidence += row["n"]
        if is_crossed:
            each.cross_referenced = row["n"]
        if row["latest"] and (each.latest is None or row["latest"] > each.latest):
            each.latest = row["latest"]
    return progress
