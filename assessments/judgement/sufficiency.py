"""The sufficiency ledger: per criterion and range item, how many different customers and occasions the
accepted, confirmed evidence comes from, and over how many weeks; set against the centre's own thresholds.

Read in a fixed number of queries whatever the evidence: criteria, range items, the confirmed claims on accepted
items (with what the ledger reads of each item) and the centre's thresholds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from assessments.models import ClaimJudgement, Decision, Evidence, Portfolio, SufficiencyThresholds, Verdict
from portfolio.sql_once import SqlOnce
from units.models import Criterion, RangeItem


@dataclass
class LedgerRow:
    label: str
    text: str
    refs: list[str] = field(default_factory=list)
    customers: int = 0
    occasions: int = 0
    weeks: int | None = None  # None: nothing confirmed yet
    unmet: list[str] = field(default_factory=list)  # which thresholds it falls short of, in words
    checked: bool = False  # whether any threshold applies

    @property
    def met(self) -> bool | None:
        return None if not self.checked else not self.unmet


@dataclass
class Ledger:
    rows: list[LedgerRow]
    thresholds: SufficiencyThresholds | None

    @property
    def has_thresholds(self) -> bool:
        return bool(self.thresholds and self.thresholds.any_set)

    @property
    def unmet(self) -> list[LedgerRow]:
        return [row for row in self.rows if row.unmet]

    @property
    def rows_html(self) -> SafeString:
        """The table's rows as HTML, built here in one pass as the page's template wrote them: a template loop costs
        several nodes a cell, and each number there goes through the locale's formatting."""
        checked = self.has_thresholds
        return mark_safe("".join(f"\n  {_row_html(row, checked)}\n  " for row in self.rows))

    @property
    def thresholds_text(self) -> str:
        t = self.thresholds
        if not self.has_thresholds:
            return "Your centre has set no sufficiency thresholds."
        parts = []
        if t.min_customers is not None:
            parts.append(f"{t.min_customers} different customer{'s' if t.min_customers != 1 else ''}")
        if t.min_occasions is not None:
            parts.append(f"{t.min_occasions} different occasion{'s' if t.min_occasions != 1 else ''}")
        if t.min_weeks is not None:
            parts.append(f"{t.min_weeks} week{'s' if t.min_weeks != 1 else ''} between the first and last")
        return "The centre looks for at least " + ", ".join(parts) + " for each criterion."


def _number(value: int) -> str:
    # Below 1,000 a whole number reads the same in every locale's format; larger ones are formatted as the
    # template formats them.
    return str(value) if -1000 < value < 1000 else str(localize(value))


def _row_html(row: LedgerRow, checked: bool) -> str:
    weeks = "–" if row.weeks is None else _number(row.weeks)
    met = ""
    if checked:
        unmet = ", ".join(conditional_escape(u) for u in row.unmet)
        met = f'<td>Not met<span class="visually-hidden">: {unmet}</span></td>' if row.unmet else "<td>Met</td>"
    gap = ' class="gap"' if row.unmet else ""
    return (
        f'<tr{gap}><th scope="row"><span title="{conditional_escape(row.text)}">'
        f"{conditional_escape(row.label)}</span></th><td>{_number(row.customers)}</td>"
        f"<td>{_number(row.occasions)}</td><td>{weeks}</td>{met}</tr>"
    )


def _occasion(item: dict) -> tuple[str, object]:
    # An occasion reference tells apart two occasions on one date; without one, the date is the occasion.
    ref = item["occasion_ref"].strip().casefold()
    return ("ref", ref) if ref else ("date", item["activity_date"])


def _row(label: str, text: str, items: list[dict], thresholds: SufficiencyThresholds | None) -> LedgerRow:
    customers = {i["customer_ref"].strip().casefold() for i in items if i["customer_ref"].strip()}
    dates = [i["activity_date"] for i in items]
    row = LedgerRow(
        label=label,
        text=text,
        refs=[f"E{i['number']}" for i in sorted(items, key=lambda i: i["number"])],
        customers=len(customers),
        occasions=len({_occasion(i) for i in items}),
        weeks=(max(dates) - min(dates)).days // 7 if dates else None,
    )
    if thresholds and thresholds.any_set:
        row.checked = True
        if thresholds.min_customers is not None and row.customers < thresholds.min_customers:
            row.unmet.append("customers")
        if thresholds.min_occasions is not None and row.occasions < thresholds.min_occasions:
            row.unmet.append("occasions")
        if thresholds.min_weeks is not None and (row.weeks or 0) < thresholds.min_weeks:
            row.unmet.append("weeks")
    return row


def _counted(portfolio_id) -> Q:
    crossed = Evidence.cross_references.through.objects.filter(portfolio_id=portfolio_id).values("evidence_id")
    return Q(evidence__portfolio_id=portfolio_id) | Q(evidence_id__in=crossed)


# The confirmed claims on accepted evidence (its own items and those cross-referenced into it), each with what the
# ledger reads of its item, in one query whose SQL the ORM builds once per process (sql_once.py).
_CONFIRMED = SqlOnce(
    lambda portfolio: (
        ClaimJudgement.objects.filter(
            _counted(portfolio), verdict=Verdict.CONFIRMED, evidence__decision=Decision.ACCEPTED
        )
        .order_by()
        .values_list(
            "evidence_id",
            "evidence__number",
            "evidence__activity_date",
            "evidence__customer_ref",
            "evidence__occasion_ref",
            "criterion_id",
            "range_item_id",
        )
    ),
    "portfolio",
)
_THRESHOLDS = SqlOnce(
    lambda centre: SufficiencyThresholds.objects.filter(centre_id=centre).order_by("pk")[:1],
    "centre",
)


def sufficiency(portfolio: Portfolio, unit_code=None, *, criteria=None, range_items=None) -> Ledger:
    """The ledger for the portfolio's unit, from accepted evidence with confirmed claims (its own items and
    those cross-referenced into it); four queries, two when the page has read the unit's criteria (in outcome
    and number order, with their outcomes) and range items (in letter order) already and passes them."""
    unit = portfolio.unit
    if criteria is None:
        criteria = list(
            Criterion.objects.filter(outcome__unit=unit).select_related("outcome").order_by("outcome__number", "number")
        )
    if range_items is None:
        range_items = list(RangeItem.objects.filter(unit=unit).order_by("letter"))
    items: dict[int, dict] = {}
    by_criterion: dict[int, list[dict]] = defaultdict(list)
    by_range: dict[int, list[dict]] = defaultdict(list)
    for pk, number, activity_date, customer_ref, occasion_ref, criterion_id, range_item_id in _CONFIRMED.rows(
        portfolio=portfolio.pk
    ):
        item = items.get(pk)
        if item is None:
            item = items[pk] = {
                "pk": pk,
                "number": number,
                "activity_date": activity_date,
                "customer_ref": customer_ref,
                "occasion_ref": occasion_ref,
            }
        if criterion_id:
            by_criterion[criterion_id].append(item)
        elif range_item_id:
            by_range[range_item_id].append(item)
    thresholds = next(iter(_THRESHOLDS.objects(centre=portfolio.centre_id)), None)
    rows = [_row(c.label(unit_code), c.wording(unit_code), by_criterion[c.pk], thresholds) for c in criteria]
    rows += [_row(f"Range {r.letter}", r.text, by_range[r.pk], thresholds) for r in range_items]
    return Ledger(rows=rows, thresholds=thresholds)
