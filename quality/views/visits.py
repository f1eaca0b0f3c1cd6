"""EV visits: the centre admin prepares, changes and cancels them; the EV opens the visit while it is open, browses
the centres they are allocated to, and records findings on a unit before signing it."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments.access import get_portfolio_for_user
from assessments.centre.forms import people_with_role
from assessments.decisions import enforce
from assessments.models import Portfolio
from assessments.signoff.services import EV_SIGNS_FROM
from notifications.services import notifications_done
from people.access import (
    active_role,
    available_roles,
    get_allocated_centre,
    require_centre_admin,
    require_role,
)
from people.models import Centre, Role
from people.roles import ActiveRole
from portfolio.forms import apply_validation_error
from quality import visits
from quality.forms_visits import FindingsForm, VisitForm, current_registrations
from quality.models import EVFinding, EVVisit, IVReport
from quality.policy import LINKED, findings_may, switch_to, visit_may
from quality.services import visits as services
from submissions.once import once_per_token

ENDED_SHOWN = 25


def _visits():
    return EVVisit.objects.select_related("centre", "external_verifier__user", "external_verifier__awarding_body")


def _get_visit_for_admin(request: HttpRequest, visit_id: int) -> tuple[ActiveRole, EVVisit]:
    visit = get_object_or_404(_visits(), pk=visit_id)
    return require_centre_admin(request, {visit.centre_id}), visit


def _state(visit: EVVisit) -> str:
    today = visits.today()
    if visit.cancelled_at is not None:
        return "cancelled"
    if today < visit.starts_on:
        return "upcoming"
    return "ended" if visit.ends_on < today else "open"


def visit_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    today = visits.today()
    centre_visits = _visits().filter(centre=role.centre).annotate(sampled=Count("sample"))
    live = centre_visits.filter(cancelled_at__isnull=True)
    return render(
        request,
        "quality/visit_list.html",
        {
            "centre": role.centre,
            "open": live.filter(starts_on__lte=today, ends_on__gte=today).order_by("ends_on", "pk"),
            "upcoming": live.filter(starts_on__gt=today).order_by("starts_on", "pk"),
            "ended": live.filter(ends_on__lt=today).order_by("-ends_on", "-pk")[:ENDED_SHOWN],
            "cancelled": centre_visits.filter(cancelled_at__isnull=False).order_by("-cancelled_at")[:ENDED_SHOWN],
            "shown": ENDED_SHOWN,
        },
    )


def _render_form(request: HttpRequest, form: VisitForm, centre: Centre, visit: EVVisit | None) -> HttpResponse:
    selected = form.selected_ids()
    registrations = current_registrations(centre)
    assessor = request.GET.get("assessor", "")
    if assessor.isdigit():
        # Ticked registrations stay listed, so filtering never drops them from the sample on saving.
        registrations = registrations.filter(Q(assessor_id=int(assessor)) | Q(pk__in=selected))
    return render(
        request,
        "quality/visit_form.html",
        {
            "form": form,
            "visit": visit,
            "centre": centre,
            "registrations": registrations,
            "selected": selected,
            "assessors": people_with_role(centre, Role.ASSESSOR),
            "assessor": assessor,
        },
    )


@once_per_token
def visit_new(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    form = VisitForm(request.POST if request.method == "POST" else None, centre=role.centre)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.ev_visit_create(
                actor=request.user,
                centre=role.centre,
                external_verifier=data["external_verifier"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                purpose=data["purpose"],
                sample=list(data["sample"]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Visit prepared. {visit.external_verifier.user.full_name} has been told.")
            return redirect("ev_visit_detail", visit_id=visit.pk)
    return _render_form(request, form, role.centre, None)


def visit_edit(request: HttpRequest, visit_id: int) -> HttpResponse:
    role, visit = _get_visit_for_admin(request, visit_id)
    if _state(visit) in ("cancelled", "ended"):
        messages.error(request, "This visit is over or cancelled: it can no longer change.")
        return redirect("ev_visit_detail", visit_id=visit.pk)
    initial = {
        "starts_on": visit.starts_on,
        "ends_on": visit.ends_on,
        "purpose": visit.purpose,
        "sample": list(visit.sample.all()),
    }
    form = VisitForm(
        request.POST if request.method == "POST" else None, centre=role.centre, with_ev=False, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.ev_visit_update(
                actor=request.user,
                visit=visit,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                purpose=data["purpose"],
                sample=list(data["sample"]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Visit saved.")
            return redirect("ev_visit_detail", visit_id=visit.pk)
    return _render_form(request, form, role.centre, visit)


@require_POST
def visit_cancel(request: HttpRequest, visit_id: int) -> HttpResponse:
    _, visit = _get_visit_for_admin(request, visit_id)
    try:
        services.ev_visit_cancel(actor=request.user, visit=visit)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Visit cancelled. The EV's access through it has ended.")
    return redirect("ev_visit_list")


def visit_links(request: HttpRequest, visit: EVVisit) -> set[Role | str]:
    """The viewer's links to the visit, for quality/policy.py: Role.EV acting as its EV, Role.ADMIN acting as an
    admin of its centre, `switch_to` the role they hold of those two but do not act in now, LINKED for a member of
    the centre in another role (linked to its objects, as for any object of the centre). Another EV: none."""
    role = active_role(request)
    ev = role.external_verifier if role is not None else None
    if ev is not None and ev.pk == visit.external_verifier_id:
        return {Role.EV}
    if role is not None and role.role == Role.ADMIN and role.centre is not None and role.centre.pk == visit.centre_id:
        return {Role.ADMIN}
    for other in available_roles(request):
        if (other.external_verifier is not None and other.external_verifier.pk == visit.external_verifier_id) or (
            other.role == Role.ADMIN and other.centre is not None and other.centre.pk == visit.centre_id
        ):
            return {switch_to(other.in_sentence)}
    if any(r.centre is not None and r.centre.pk == visit.centre_id for r in available_roles(request)):
        return {LINKED}
    return set()


def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_object_or_404(_visits(), pk=visit_id)
    links = visit_links(request, visit)
    viewer = "ev" if Role.EV in links else "admin"
    if viewer == "ev":
        request.audit_centre = visit.centre  # type: ignore[attr-defined]
    enforce(visit_may(request.user.pk, links, "open", visit))
    if viewer == "ev":
        # The EV has the visit in front of them: the notice about it is done.
        notifications_done(target=visit, kind="ev_visit", user=request.user)
    sample = list(visit.sample.with_people().order_by("learner__full_name", "unit__title", "pk"))
    reports = defaultdict(list)
    for report in IVReport.objects.filter(portfolio__in=sample).select_related("iv").order_by("-created_at", "-pk"):
        reports[report.portfolio_id].append(report)
    for portfolio in sample:
        portfolio.reports = reports[portfolio.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "quality/visit_detail.html",
        {
            "visit": visit,
            "state": _state(visit),
            "viewer": viewer,
            "sample": sample,
            "findings": EVFinding.objects.filter(visit=visit).select_related(
                "ev", "portfolio__learner", "portfolio__unit"
            ),
        },
    )


def ev_centre(request: HttpRequest, centre_id: int) -> HttpResponse:
    """An allocated EV's read-only list of the centre's current registrations with their awarding body."""
    centre, ev = get_allocated_centre(request, centre_id)
    portfolios = (
        Portfolio.objects.filter(centre=centre, awarding_body=ev.awarding_body)
        .current()
        .with_people()
        .order_by("learner__full_name", "unit__title", "pk")
    )
    page = Paginator(portfolios, 50).get_page(request.GET.get("page"))
    return render(request, "quality/visit_centre.html", {"centre": centre, "page": page, "ev": ev})


@once_per_token
def ev_findings(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(findings_may(request.user.pk, portfolio.links, portfolio, now=False))  # type: ignore[attr-defined]
    form = FindingsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ev_findings_record(actor=request.user, portfolio=portfolio, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _findings_next_step(form.cleaned_data["agreement"], portfolio))
            return redirect("signoff", portfolio_id=portfolio.pk)
    return render(
        request,
        "quality/finding_form.html",
        {
            "form": form,
            "portfolio": portfolio,
            "previous": EVFinding.objects.filter(portfolio=portfolio).select_related("ev", "visit"),
        },
    )


def _findings_next_step(agreement: str, portfolio: Portfolio) -> str:
    if agreement != "agree":
        return "Your findings are recorded. Refer the unit back with your reasons."
    portfolio.refresh_from_db(fields=["status"])
    if portfolio.status in EV_SIGNS_FROM:
        return "Your findings are recorded. Sign the unit below."
    return (
        "Your findings are recorded. The unit waits for your signature: you will be told when the internal "
        "verifier has signed or released it."
    )


def signoff_findings(request: HttpRequest, portfolio: Portfolio) -> dict[str, object]:
    """What the sign-off page shows of the EV's findings: to everyone linked but the learner alone, and to the EV
    a link to record theirs and whether their signature still waits for agreeing findings."""
    links = portfolio.links  # type: ignore[attr-defined]
    if not links - {Role.LEARNER}:
        return {}
    findings = list(EVFinding.objects.filter(portfolio=portfolio).select_related("ev", "visit"))
    mine = [f for f in findings if f.ev_id == request.user.pk and f.round == portfolio.round]
    live = EVVisit.objects.filter(sample=portfolio, cancelled_at__isnull=True, ends_on__gte=visits.today())
    return {
        "ev_visits": live.select_related("external_verifier__user").order_by("starts_on", "pk"),
        "ev_findings": findings,
        "may_record_findings": bool(findings_may(request.user.pk, links, portfolio)),
        "ev_findings_agree": bool(mine) and mine[0].agreement == "agree",
    }
