"""The learner's portfolio: coverage grid, evidence list, and adding, changing
and deleting evidence. Assessor, IV, EV and centre admin see the same pages
read-only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessments import services
from assessments.access import get_evidence_for_user, get_portfolio_for_user
from assessments.coverage import portfolio_coverage
from assessments.forms import EvidenceForm
from assessments.models import Evidence
from people.models import Role
from portfolio.forms import apply_validation_error

LEARNER_ONLY = {Role.LEARNER}
SORTS = {"ref": "number", "-ref": "-number", "date": "activity_date", "-date": "-activity_date"}


def portfolio_detail(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    return render(
        request,
        "assessments/portfolio_detail.html",
        {
            "portfolio": portfolio,
            "coverage": portfolio_coverage(portfolio),
            "is_learner": Role.LEARNER in portfolio.links,
        },
    )


def evidence_list(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    items = (
        Evidence.objects.filter(portfolio=portfolio)
        .select_related("method")
        .prefetch_related("criteria__outcome", "range_items")
    )
    method = request.GET.get("method", "")
    criterion = request.GET.get("criterion", "")
    sort = request.GET.get("sort", "-ref")
    if method:
        items = items.filter(method__code=method)
    if criterion.isdigit():
        items = items.filter(criteria__pk=int(criterion))
    items = items.order_by(SORTS.get(sort, "-number"))
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    form = EvidenceForm(portfolio=portfolio)
    return render(
        request,
        "assessments/evidence_list.html",
        {
            "portfolio": portfolio,
            "page": page,
            "methods": form.fields["method"].queryset,
            "criteria": [(c.label(form.unit_code), c) for c in form.fields["criteria"].queryset],
            "method": method,
            "criterion": criterion,
            "sort": sort,
            "is_learner": Role.LEARNER in portfolio.links,
        },
    )


def _save(request: HttpRequest, form: EvidenceForm, portfolio, evidence: Evidence | None) -> Evidence | None:
    if not form.is_valid():
        return None
    try:
        return services.evidence_save(actor=request.user, portfolio=portfolio, evidence=evidence, **form.cleaned_data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


def evidence_add(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id, LEARNER_ONLY)
    form = EvidenceForm(request.POST or None, portfolio=portfolio)
    if request.method == "POST" and (evidence := _save(request, form, portfolio, None)):
        messages.success(request, f"Added {evidence.reference} {evidence.title}.")
        return redirect("portfolio_detail", portfolio_id=portfolio.pk)
    return render(request, "assessments/evidence_form.html", {"form": form, "portfolio": portfolio})


def evidence_edit(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_evidence_for_user(request, evidence_id, LEARNER_ONLY)
    portfolio = evidence.portfolio
    initial = {
        "title": evidence.title,
        "method": evidence.method,
        "activity_date": evidence.activity_date,
        "setting": evidence.setting,
        "description": evidence.description,
        "criteria": list(evidence.criteria.all()),
        "range_items": list(evidence.range_items.all()),
        **{name: getattr(evidence, name) for name in services.WITNESS_FIELDS},
    }
    form = EvidenceForm(request.POST or None, portfolio=portfolio, initial=initial)
    if request.method == "POST" and _save(request, form, portfolio, evidence):
        messages.success(request, f"Saved {evidence.reference}.")
        return redirect("portfolio_detail", portfolio_id=portfolio.pk)
    return render(
        request, "assessments/evidence_form.html", {"form": form, "portfolio": portfolio, "evidence": evidence}
    )


def evidence_delete_confirm(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_evidence_for_user(request, evidence_id, LEARNER_ONLY)
    return render(request, "assessments/evidence_delete.html", {"evidence": evidence})


@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_evidence_for_user(request, evidence_id, LEARNER_ONLY)
    portfolio_id = evidence.portfolio_id
    reference = evidence.reference
    services.evidence_delete(actor=request.user, evidence=evidence)
    messages.success(request, f"Deleted {reference}. Its reference will not be used again.")
    return redirect("portfolio_detail", portfolio_id=portfolio_id)
