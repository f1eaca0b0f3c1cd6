"""The assessment plan: everyone linked to the portfolio reads it; the learner's assessor adds, changes and deletes
its actions; the learner and the assessor each agree to it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments import services
from assessments.access import get_portfolio_for_user
from assessments.decisions import enforce
from assessments.evidence.forms import PlanActionForm
from assessments.evidence.plans import plan_progress
from assessments.evidence.policy import plan_may, plan_now, plan_who
from assessments.models import PlanAction, Portfolio
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token


def _portfolio(request: HttpRequest, portfolio_id: int, action: str) -> Portfolio:
    """The portfolio, if the plan policy lets the person `action` its plan, whatever the lock (404 with no link,
    403 otherwise): the service refuses a closed plan with its reason as a message."""
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(plan_who(portfolio.links, action))  # type: ignore[attr-defined]
    return portfolio


def plan_detail(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _portfolio(request, portfolio_id, "plan_read")
    progress = plan_progress(portfolio, portfolio.unit_code)
    plan = progress.plan
    is_open = bool(plan_now(portfolio))
    may_agree = bool(plan_may(request.user.pk, portfolio.links, "plan_agree", portfolio))  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/plan_detail.html",
        {
            "portfolio": portfolio,
            "progress": progress,
            "plan": plan,
            "may_agree": may_agree,
            "is_open": is_open,
        },
    )


def _action_for_user(request: HttpRequest, action_id: int) -> tuple[PlanAction, Portfolio]:
    action = get_object_or_404(PlanAction.objects.select_related("plan", "method"), pk=action_id)
    portfolio = _portfolio(request, action.plan.portfolio_id, "plan_change")
    return action, portfolio


def _save(request: HttpRequest, form: PlanActionForm, write: Callable[..., object]) -> bool:
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return False
    return True


@once_per_token
def plan_action_add(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _portfolio(request, portfolio_id, "plan_change")
    form = PlanActionForm(request.POST if request.method == "POST" else None, portfolio=portfolio)
    if _save(request, form, lambda **data: services.plan_action_add(portfolio=portfolio, **data)):
        messages.success(request, "Added the action to the plan. The learner and you need to agree to it again.")
        return redirect("plan_detail", portfolio_id=portfolio.pk)
    return render(request, "assessments/plan_action_form.html", {"form": form, "portfolio": portfolio})


def plan_action_edit(request: HttpRequest, action_id: int) -> HttpResponse:
    action, portfolio = _action_for_user(request, action_id)
    initial = {
        "description": action.description,
        "method": action.method,
        "criteria": list(action.criteria.all()),
        "range_items": list(action.range_items.all()),
        "due_date": action.due_date,
    }
    form = PlanActionForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if _save(request, form, lambda **data: services.plan_action_change(action=action, **data)):
        messages.success(request, "Saved the action. The learner and you need to agree to the plan again.")
        return redirect("plan_detail", portfolio_id=portfolio.pk)
    return render(
        request, "assessments/plan_action_form.html", {"form": form, "portfolio": portfolio, "action": action}
    )


def plan_action_delete_confirm(request: HttpRequest, action_id: int) -> HttpResponse:
    action, portfolio = _action_for_user(request, action_id)
    return render(request, "assessments/plan_action_delete.html", {"action": action, "portfolio": portfolio})


@require_POST
def plan_action_delete(request: HttpRequest, action_id: int) -> HttpResponse:
    action, portfolio = _action_for_user(request, action_id)
    try:
        services.plan_action_delete(actor=request.user, action=action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Deleted the action. The learner and you need to agree to the plan again.")
    return redirect("plan_detail", portfolio_id=portfolio.pk)


@require_POST
def plan_agree(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _portfolio(request, portfolio_id, "plan_agree")
    try:
        services.plan_agree(actor=request.user, portfolio=portfolio)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "You have agreed to this assessment plan.")
    return redirect("plan_detail", portfolio_id=portfolio.pk)
