"""The evidence list's page of rows: a portfolio's own items and those cross-referenced to it from the learner's
other units, filtered and sorted, 25 at a time, each row with what it shows worked out here once (its reference,
what it covers in this unit, the units it also counts towards, its links and the actions the evidence policy
allows the viewer), in the same queries whatever the number of items."""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import Case, F, QuerySet, Value, When, sql
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from assessments.access import links_reach_sibling
from assessments.evidence.policy import evidence_may
from assessments.judgement.coverage import home_unit_code, in_portfolio, shown_reference, unit_criteria
from assessments.models import Evidence, EvidenceFile, Portfolio
from assessments.templatetags.badges import decision_badge, witness_badge
from people.models import Role
from portfolio.sql_once import SqlOnce
from units.models import AssessmentMethod

SORTS = {"ref": "number", "-ref": "-number", "date": "activity_date", "-date": "-activity_date"}
PER_PAGE = 25


def _url_for_each(name: str) -> Callable[[int], str]:
    """The URL of `name` for any object's id, reversed once: a page of rows would otherwise resolve the same pattern
    for each row and link."""
    marker = 918273645
    before, after = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


# The page's rows are read by their ids: a page holds PER_PAGE, and a shorter page repeats its last id, so each
# query below has one SQL for every page, built by the ORM once per process (assessments/judgement/sql_once.py).
# Building them (joins, subqueries, and a filter for each row's related objects) cost more than running them.
_IDS = tuple(f"e{n}" for n in range(PER_PAGE))


def _in_ids(ids: dict) -> list:
    return list(ids.values())


_ITEMS = SqlOnce(
    lambda **ids: (
        Evidence.objects.filter(pk__in=_in_ids(ids)).select_related("method").defer("description", "witness_statement")
    ),
    *_IDS,
)
_FILES = SqlOnce(lambda **ids: EvidenceFile.objects.filter(evidence_id__in=_in_ids(ids)).order_by("pk"), *_IDS)
# The units each item also counts towards: the row names them, and the evidence policy reads their status for the
# lock. Only the columns those read, not the portfolio's and its unit's every field.
_ALSO = SqlOnce(
    lambda **ids: (
        Portfolio.objects.filter(cross_referenced_evidence__in=_in_ids(ids))
        .select_related("unit")
        .only("status", "unit__title")
        .annotate(code=home_unit_code(via=""), item=F("cross_referenced_evidence"))
        .order_by("unit__title", "pk")
    ),
    *_IDS,
)
# What each item covers in this unit only (a cross-referenced item covers other units' criteria too).
_COVERS = SqlOnce(
    lambda unit, **ids: Evidence.criteria.through.objects.filter(
        evidence_id__in=_in_ids(ids), criterion__outcome__unit_id=unit
    ).values_list("evidence_id", "criterion_id"),
    "unit",
    *_IDS,
)
_LETTERS = SqlOnce(
    lambda unit, **ids: (
        Evidence.range_items.through.objects.filter(evidence_id__in=_in_ids(ids), rangeitem__unit_id=unit)
        .order_by("rangeitem__letter")
        .values_list("evidence_id", "rangeitem__letter")
    ),
    "unit",
    *_IDS,
)
# The learner's portfolios (a few), for the items cross-referenced from their other units: read whether or not the
# page shows any, so that the page runs the same queries.
_HOMES = SqlOnce(
    lambda learner: (
        Portfolio.objects.filter(learner_id=learner).select_related("unit").annotate(code=home_unit_code(via=""))
    ),
    "learner",
)
_METHODS = SqlOnce(lambda unit: AssessmentMethod.objects.filter(units=unit).order_by("order"), "unit")


class _ReadAlready(QuerySet):
    """Rows read with the page, handed out as they are. Anything built on them (`.filter()`, `.all()` on the
    queryset, `.count()` through a new query) would need the relation's own query, which this has not got: it
    refuses rather than answering from nothing."""

    def _chain(self):
        raise TypeError("these rows were read with the evidence list's page: iterate them, do not query them")


@functools.cache
def _empty_query(model) -> sql.Query:
    return sql.Query(model)


def _prefetched(evidence: Evidence, name: str, model, objects: list) -> None:
    """Leave `objects` where `evidence.<name>.all()` finds them, as prefetch_related would: the evidence policy
    reads an item's cross-references so, and without them there it would read them again for each row."""
    # One empty query for them all: nothing is built on these rows (see _ReadAlready), so none is changed.
    queryset = _ReadAlready(model=model, query=_empty_query(model))
    queryset._result_cache = objects
    queryset._prefetch_done = True
    evidence._prefetched_objects_cache = {**getattr(evidence, "_prefetched_objects_cache", {}), name: queryset}


_SUFFIX = Truncator("xx").chars(1)  # what truncating adds, as the active language words it ("…")


def _short(text: str, length: int = 50) -> str:
    """Truncator(text).chars(length), without its walk over every character when no character combines with
    another (it counts characters, not combining marks, in the text's composed form)."""
    if not (text.isascii() or (unicodedata.is_normalized("NFC", text) and not any(map(unicodedata.combining, text)))):
        return Truncator(text).chars(length)
    return text if len(text) <= length else text[: length - len(_SUFFIX)] + _SUFFIX


def _row_html(e: Evidence, is_learner: bool, is_assessor: bool, url: dict[str, Callable[[int], str]]) -> SafeString:
    """The item's row of the table, written in one pass as the page's template wrote it: a template loop cost some
    forty nodes a row (each value escaped, each date and size formatted as the template formats them)."""
    esc = conditional_escape
    if e.is_home:  # type: ignore[attr-defined]
        ref = f'<a href="{esc(e.detail_url)}">{esc(e.reference)}</a>'  # type: ignore[attr-defined]
    else:
        shown, title = esc(e.shown_reference), esc(e.portfolio.unit.title)  # type: ignore[attr-defined]
        if e.home_link:  # type: ignore[attr-defined]
            shown = f'<a href="{esc(e.detail_url)}">{shown}</a>'  # type: ignore[attr-defined]
            title = f'<a href="{esc(url["portfolio_detail"](e.portfolio_id))}">{title}</a>'
        ref = f'<span class="text-nowrap">{shown}</span><br><span class="small">cross-referenced from {title}</span>'
    files = ""
    if e.file_list:  # type: ignore[attr-defined]
        listed = []
        for f in e.file_list:  # type: ignore[attr-defined]
            if f.thumbnail:
                shown_file = (
                    f'<img src="{esc(url["file_thumbnail"](f.pk))}" alt="{esc(f.original_name)}" width="96" '
                    'height="72" loading="lazy" class="thumb">'
                )
                about = ""
            else:
                shown_file = f'<span class="file-name">{esc(f.original_name)}</span>'
                about = (
                    f' <span class="small text-body-secondary">({esc(str(f.get_kind_display()).lower())}, '
                    f"{esc(filesizeformat(f.size))})</span>"
                )
            listed.append(f'\n      <li><a href="{esc(url["file_download"](f.pk))}">{shown_file}</a>{about}</li>\n    ')
        files = f'<ul class="list-unstyled file-thumbs mb-0 mt-1">{"".join(listed)}</ul>'
    simulation = ' <span class="badge text-bg-warning">simulation</span>' if e.setting == "simulation" else ""
    witness = f" {witness_badge(e)}" if e.witness_status else ""
    also = "".join(
        f'<br><span class="small text-body-secondary">Also counts towards {esc(words)}</span>'
        for words in e.also  # type: ignore[attr-defined]
    )
    hidden = f'<span class="visually-hidden"> {esc(e.reference)}</span>'

    def actions(pairs: list[tuple[str, str]], between: str) -> str:
        links = between.join(f'<a href="{esc(link)}">{esc(words)}{hidden}</a>' for link, words in pairs)
        return f'<td class="text-nowrap cell-actions">{links}</td>'

    assessor = actions(e.assessor_actions, "") if is_assessor else ""  # type: ignore[attr-defined]
    learner = actions(e.learner_actions, " · ") if is_learner else ""  # type: ignore[attr-defined]
    return mark_safe(
        f"\n  <tr><td>{ref}<br>{decision_badge(e)}</td><td>{esc(e.title)}{simulation}\n    {files}</td>"
        f'<td data-label="Method">{esc(e.method.code)}{witness}</td>'
        f'<td data-label="Date">{esc(localize(e.activity_date))}</td>\n'
        f'    <td data-label="Covers">{esc(e.covers_text)}{also}</td>\n'  # type: ignore[attr-defined]
        f"    {assessor}\n    {learner}</tr>\n  "
    )


def evidence_page(request: HttpRequest, portfolio: Portfolio) -> dict:
    """The list page's context for `portfolio` (read through the viewer's access, with their links on it), from the
    request's filter, sort and page number."""
    # Its own items and those cross-referenced to it from the learner's other units, filtered and sorted as ids
    # alone; only the page's 25 are then read in full. Sorting whole rows (with their unit's long texts) made
    # the page cost grow with the portfolio.
    ids = Evidence.objects.filter(in_portfolio(portfolio)).annotate(
        elsewhere=Case(When(portfolio_id=portfolio.pk, then=Value(0)), default=Value(1))
    )
    method = request.GET.get("method", "")
    criterion = request.GET.get("criterion", "")
    sort = request.GET.get("sort", "-ref")
    if method:
        ids = ids.filter(method__code=method)
    if criterion.isdigit():
        ids = ids.filter(criteria__pk=int(criterion))
    order = SORTS.get(sort, "-number")
    # By reference: own items first, then the other units' (whose numbers are their own); by date: all together.
    ids = ids.order_by(*(("elsewhere", order, "portfolio_id") if "number" in order else (order, "elsewhere")))
    page = Paginator(ids.values_list("pk", flat=True), PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    unit_code = portfolio.unit_code
    criteria = unit_criteria(portfolio.unit_id)
    place = {c.pk: n for n, c in enumerate(criteria)}
    covers: dict[int, list[int]] = defaultdict(list)
    letters: dict[int, list[str]] = defaultdict(list)
    items: dict[int, Evidence] = {}
    also: dict[int, list[Portfolio]] = defaultdict(list)
    if shown:
        padded = dict(zip(_IDS, shown + shown[-1:] * (PER_PAGE - len(shown)), strict=True))
        items = {e.pk: e for e in _ITEMS.objects(**padded)}
        files: dict[int, list[EvidenceFile]] = defaultdict(list)
        for f in _FILES.objects(**padded):
            files[f.evidence_id].append(f)
        for p in _ALSO.objects(**padded):
            also[p.item].append(p)  # type: ignore[attr-defined]
        for e in items.values():
            e.file_list = files[e.pk]  # type: ignore[attr-defined]
            _prefetched(e, "cross_references", Portfolio, also[e.pk])
        # As ids looked up in the unit's criteria already read for the filter: no instance per claim.
        for evidence_id, criterion_id in _COVERS.rows(unit=portfolio.unit_id, **padded):
            covers[evidence_id].append(place[criterion_id])
        for evidence_id, letter in _LETTERS.rows(unit=portfolio.unit_id, **padded):
            letters[evidence_id].append(letter)
    page.object_list = [items[pk] for pk in shown if pk in items]
    homes = {p.pk: p for p in _HOMES.objects(learner=portfolio.learner_id)}
    if others := {e.portfolio_id for e in page if e.portfolio_id != portfolio.pk} - homes.keys():
        # Cross-referenced from a unit of someone else's, which the services do not allow: read it all the same.
        homes.update(
            Portfolio.objects.filter(pk__in=others)
            .select_related("unit")
            .annotate(code=home_unit_code(via=""))
            .in_bulk()
        )
    is_learner, is_assessor = Role.LEARNER in portfolio.links, Role.ASSESSOR in portfolio.links
    user_id = request.user.pk
    names = ("evidence_detail", "assessor_record_edit", "evidence_review", "evidence_edit", "evidence_delete_confirm")
    detail_url, record_url, review_url, edit_url, delete_url = (_url_for_each(name) for name in names)

    def links(e: Evidence) -> set:
        return getattr(e.portfolio, "links", set())  # a cross-referenced item's own portfolio: none of the viewer's

    for e in page:
        e.is_home = e.portfolio_id == portfolio.pk  # type: ignore[attr-defined]
        if e.is_home:  # type: ignore[attr-defined]
            # The page's own portfolio, with the viewer's links on it, for the evidence policy asked of each row.
            e.portfolio = portfolio
        else:
            e.portfolio = homes[e.portfolio_id]
            e.home_unit_code = e.portfolio.code  # type: ignore[attr-defined]
        e.shown_reference = shown_reference(e, portfolio)  # type: ignore[attr-defined]
        e.home_link = not e.is_home and links_reach_sibling(request, portfolio, e.portfolio)  # type: ignore[attr-defined]
        e.also = (  # type: ignore[attr-defined]
            [f"unit {p.code} {p.unit.title}" if p.code else p.unit.title for p in also[e.pk]]
            if e.is_home
            else []
        )
        # One string a row rather than a loop of template nodes over each criterion and range item.
        covered = ", ".join(criteria[n].code for n in sorted(covers[e.pk]))
        e.covers_text = covered + (f"; range {''.join(letters[e.pk])}" if letters[e.pk] else "")  # type: ignore[attr-defined]
        e.detail_url = detail_url(e.pk)  # type: ignore[attr-defined]
        # The row's actions as the evidence policy answers the viewer, asked here once an action rather than by a
        # template tag: (link, words) pairs, the words followed on the page by the item's reference.
        e.assessor_actions = (  # type: ignore[attr-defined]
            [(record_url(e.pk), "Change")]
            if is_assessor and evidence_may(user_id, links(e), "record_edit", e)
            else [(review_url(e.pk), "Review")]
            if is_assessor and evidence_may(user_id, links(e), "review", e)
            else []
        )
        e.learner_actions = (  # type: ignore[attr-defined]
            [
                (url(e.pk), words)
                for action, url, words in (("edit", edit_url, "Edit"), ("delete", delete_url, "Delete"))
                if evidence_may(user_id, links(e), action, e)
            ]
            if is_learner
            else []
        )
    urls = {name: _url_for_each(name) for name in ("portfolio_detail", "file_download", "file_thumbnail")}
    for e in page:
        e.row_html = _row_html(e, is_learner, is_assessor, urls)  # type: ignore[attr-defined]
    # The filter's options as words worked out here, not a filter chain for each of the unit's criteria.
    options = [(str(c.pk), f"{c.label(unit_code)} {_short(c.wording(unit_code))}") for c in criteria]
    return {
        "page": page,
        "methods": _METHODS.objects(unit=portfolio.unit_id),
        "criteria": [(c.label(unit_code), c) for c in criteria],
        "criterion_options": options,
        "method": method,
        "criterion": criterion,
        "sort": sort,
        "is_learner": is_learner,
        "is_assessor": is_assessor,
    }
