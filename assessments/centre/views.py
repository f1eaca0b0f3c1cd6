"""Centre admin: registering learners on units and assigning their assessor and IV."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from assessments import services
from assessments.centre.forms import AssignForm, RegisterForm, people_with_role
from assessments.centre.imports import MAX_BYTES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, MalformedFile, learners_import
from assessments.centre.thresholds import FIELDS as THRESHOLD_FIELDS
from assessments.centre.thresholds import ThresholdsForm, thresholds_save
from assessments.judgement.progress import RULE_IN_WORDS, attach, units_standing
from assessments.models import Portfolio, PortfolioStatus, SufficiencyThresholds
from people.access import require_centre_admin, require_role
from people.forms import ImportForm
from people.models import Role, User
from people.roles import ActiveRole
from people.search import PEOPLE, name_or_email
from portfolio.forms import apply_validation_error
from portfolio.text_search import TextSearch
from submissions.once import once_per_token


def _get_portfolio_for_admin(request: HttpRequest, portfolio_id: int) -> tuple[ActiveRole, Portfolio]:
    portfolio = get_object_or_404(Portfolio.objects.with_people(), pk=portfolio_id)
    return require_centre_admin(request, {portfolio.centre_id}), portfolio


PER_PAGE = 50
ASSESSORS_FOUND = 20  # an assessor search names one person or a few; more is a search too broad to help
LEARNERS_FOUND = 500  # beyond this many people a learner search is broad, and matched row by row (_learner_matches)


@dataclass
class Page:
    """One page of a list that is never counted: a centre may hold 100,000 registrations, and counting them all
    on every view costs more than the page. Whether there is a next page is one row more than the page."""

    rows: list
    number: int
    has_next: bool

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    # What the shared pagination (templates/includes/pagination.html) asks of a page.
    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PER_PAGE + len(self.rows)


def _page_of(portfolios: QuerySet, number: str | None) -> Page:
    page = int(number) if number and number.isdigit() and 0 < int(number) < 100_000 else 1
    start = (page - 1) * PER_PAGE
    rows = list(portfolios[start : start + PER_PAGE + 1])
    return Page(rows[:PER_PAGE], page, len(rows) > PER_PAGE)


# Its SQLite index is migration 0024; PostgreSQL's is a trigram index of exactly this `icontains` (0018).
LEARNER_NUMBERS = TextSearch(table="assessments_portfolio_search", fields=("learner_number",))


def _learner_matches(query: str) -> Q:
    """Registrations whose learner's name or email, or whose learner number, contains the text. The people are
    found first (off indexes on names and emails, people/search.py), so a search for one learner reads their
    registrations off the learner index and the learner numbers off their own index, rather than comparing the text
    with every registration of the centre. A text that many people match (more than LEARNERS_FOUND) is matched row
    by row instead: so many rows match that a page of them comes early."""
    found = list(
        User.objects.filter(name_or_email(query)).order_by().values_list("pk", flat=True)[: LEARNERS_FOUND + 1]
    )
    if len(found) > LEARNERS_FOUND:
        return PEOPLE.row_by_row(query, through="learner") | LEARNER_NUMBERS.row_by_row(query)
    return Q(learner_id__in=found) | LEARNER_NUMBERS.matches(query)


def portfolio_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    # Newest first, read off an index on (centre, id): sorting a large centre by learner name would read every row.
    portfolios = (
        Portfolio.objects.filter(centre=role.centre)
        .with_people()
        .select_related("qualification_registration__qualification")
        .order_by("-pk")
    )
    status = request.GET.get("status", "")
    assessor = request.GET.get("assessor", "").strip()
    query = request.GET.get("q", "").strip()
    if status == "unassigned":
        # Needing an assessor or an IV, written as "not both" so that SQLite reads these rows off an index of them
        # alone (assessments 0022, whose condition is this one as Django writes it) rather than looking up the empty
        # assessors and IVs by indexes whose statistics count every empty one as one value.
        portfolios = portfolios.current().filter(~Q(assessor__isnull=False, iv__isnull=False))
    elif status in PortfolioStatus.values:
        portfolios = portfolios.filter(status=status)
    if assessor.isdigit():  # links made before the filter searched by name
        portfolios = portfolios.filter(assessor_id=int(assessor))
    elif assessor:
        # A search rather than a list of every assessor at the centre (there may be thousands). The assessors are
        # found first, among the centre's few thousand staff, so the registrations are then read off the assessor's
        # index instead of matching a name against every registration at the centre.
        found = (
            people_with_role(role.centre, Role.ASSESSOR)
            .filter(name_or_email(assessor))
            .values_list("pk", flat=True)[:ASSESSORS_FOUND]
        )
        portfolios = portfolios.filter(assessor_id__in=list(found))
    if query:
        portfolios = portfolios.filter(_learner_matches(query))
    page = _page_of(portfolios, request.GET.get("page"))
    # The page's rows only, in bulk: the same queries for a page of one registration or of fifty.
    attach(page.rows, units_standing(page.rows))
    return render(
        request,
        "assessments/portfolio_list.html",
        {
            "page": page,
            "rule": RULE_IN_WORDS,
            "statuses": PortfolioStatus.choices,
            "status": status,
            "assessor": assessor,
            "query": query,
            "centre": role.centre,
        },
    )


@once_per_token
def portfolio_register(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    initial = {"learner": request.GET.get("learner")} if request.GET.get("learner") else None
    form = RegisterForm(request.POST or None, centre=role.centre, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            portfolio = services.portfolio_register(actor=request.user, centre=role.centre, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{portfolio.learner.full_name} is registered on {portfolio.unit.title}.")
            return redirect("centre_portfolios")
    return render(request, "assessments/portfolio_register.html", {"form": form, "centre": role.centre})


def portfolio_assign(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    role, portfolio = _get_portfolio_for_admin(request, portfolio_id)
    form = AssignForm(
        request.POST or None, centre=role.centre, initial={"assessor": portfolio.assessor, "iv": portfolio.iv}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.portfolio_assign(actor=request.user, portfolio=portfolio, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved the assessor and IV for {portfolio.learner.full_name}.")
            return redirect("centre_portfolios")
    return render(request, "assessments/portfolio_assign.html", {"form": form, "portfolio": portfolio})


def learner_import(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = learners_import(
                actor=request.user, centre=role.centre, data=form.cleaned_data["file"].read(MAX_BYTES + 1)
            )
        except MalformedFile as exc:
            form.add_error("file", f"Nothing was imported. {exc}")
    return render(
        request,
        "assessments/learner_import.html",
        {
            "form": form,
            "report": report,
            "columns": REQUIRED_COLUMNS + OPTIONAL_COLUMNS,
            "centre": role.centre,
        },
    )


def sufficiency_thresholds(request: HttpRequest) -> HttpResponse:
    """The centre's own sufficiency thresholds; the specification gives no number, so none is preset."""
    role = require_role(request, Role.ADMIN)
    saved = SufficiencyThresholds.objects.filter(centre=role.centre).first()
    initial = {name: getattr(saved, name) for name in THRESHOLD_FIELDS} if saved else None
    form = ThresholdsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        thresholds_save(actor=request.user, centre=role.centre, **form.cleaned_data)
        messages.success(request, "Saved the sufficiency thresholds.")
        return redirect("centre_sufficiency")
    return render(request, "assessments/centre_sufficiency.html", {"form": form, "centre": role.centre})
