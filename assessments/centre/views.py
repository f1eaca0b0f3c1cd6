"""Centre admin: registering learners on units and assigning their assessor and IV."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from assessments import services
from assessments.centre.forms import AssignForm, RegisterForm, people_with_role
from assessments.centre.imports import MAX_BYTES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, MalformedFile, learners_import
from assessments.models import Portfolio, PortfolioStatus
from people.access import require_centre_admin, require_role
from people.forms import ImportForm
from people.models import Role
from people.roles import ActiveRole
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token


def _get_portfolio_for_admin(request: HttpRequest, portfolio_id: int) -> tuple[ActiveRole, Portfolio]:
    portfolio = get_object_or_404(Portfolio.objects.with_people(), pk=portfolio_id)
    return require_centre_admin(request, {portfolio.centre_id}), portfolio


def portfolio_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    portfolios = Portfolio.objects.filter(centre=role.centre).with_people()
    status = request.GET.get("status", "")
    assessor = request.GET.get("assessor", "")
    query = request.GET.get("q", "").strip()
    if status == "unassigned":
        portfolios = portfolios.current().filter(Q(assessor__isnull=True) | Q(iv__isnull=True))
    elif status in PortfolioStatus.values:
        portfolios = portfolios.filter(status=status)
    if assessor.isdigit():
        portfolios = portfolios.filter(assessor_id=int(assessor))
    if query:
        portfolios = portfolios.filter(
            Q(learner__full_name__icontains=query)
            | Q(learner__email__icontains=query)
            | Q(learner_number__icontains=query)
        )
    page = Paginator(portfolios, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/portfolio_list.html",
        {
            "page": page,
            "statuses": PortfolioStatus.choices,
            "assessors": people_with_role(role.centre, Role.ASSESSOR),
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
