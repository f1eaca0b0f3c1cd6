"""The audit trail: a centre admin reads their centre's; an EV allocated to a centre reads the rows about its
registrations with the EV's awarding body; an EV on a visit reads the rows about the visit's sample while the visit
is open. Each page has a CSV of exactly the rows it lists, and every CSV taken is itself audited.
"""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from assessments.decisions import enforce
from assessments.models import Portfolio
from audit.export import csv_lines
from audit.services import audit_log
from audit.trail import action_label, role_label, trail_base, trail_for
from people.access import active_role, available_roles, get_allocated_centre, require_role
from people.models import Centre, Role
from people.roles import ActiveRole
from quality.forms_audit import TrailFilterForm
from quality.models import EVVisit
from quality.policy import LINKED, switch_to, visit_may

PER_PAGE = 50


def _get_visit_for_user(request: HttpRequest, visit_id: int) -> tuple[EVVisit, ActiveRole]:
    """The visit, for its EV while it is open, or for an admin of its centre acting as admin.

    The visit's own EV is linked to it even when it is over, so they are told why (403); another EV, or an admin
    elsewhere, learns nothing of it (404); people at the centre in another role are linked but refused (403).
    """
    visit = get_object_or_404(EVVisit.objects.select_related("centre", "external_verifier"), pk=visit_id)
    enforce(visit_may(request.user.pk, audit_links(request, visit), "audit_trail", visit))
    role = active_role(request)
    assert role is not None  # allowed: they act as the visit's EV or an admin of its centre
    return visit, role


def audit_links(request: HttpRequest, visit: EVVisit) -> set[Role | str]:
    """The viewer's links to the visit's audit trail, for quality/policy.py: Role.ADMIN acting as an admin of its
    centre, Role.EV acting as its EV (`switch_to` when they are its EV acting in another role), LINKED for anyone
    else at the centre."""
    role = active_role(request)
    links: set[Role | str] = set()
    if role is not None and role.role == Role.ADMIN and role.centre is not None and role.centre.pk == visit.centre_id:
        links = {Role.ADMIN}
    elif visit.external_verifier.user_id == request.user.pk:
        acting = role is not None and role.external_verifier is not None
        acting = acting and role.external_verifier.pk == visit.external_verifier_id  # type: ignore[union-attr]
        links = {Role.EV} if acting else {switch_to("your external verifier role")}
    elif any(r.centre is not None and r.centre.pk == visit.centre_id for r in available_roles(request)):
        links = {LINKED}
    return links


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _trail_page(
    request: HttpRequest, *, centre: Centre, sample: QuerySet[Portfolio] | None, context: dict
) -> HttpResponse:
    base = trail_base(centre=centre, portfolios=sample)
    form = TrailFilterForm(request.GET or None, centre=centre, base=base, sample=sample)
    rows = trail_for(centre=centre, portfolios=sample, filters=form.filters())
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for event in page:
        event.action_label = action_label(event.action)
        event.role_label = role_label(event.actor_role) if event.actor_role else ""
    query = _query_without_page(request)
    return render(
        request,
        "audit/trail.html",
        {
            **context,
            "form": form,
            "page": page,
            "csv_url": f"{context['csv_url']}?{query}" if query else context["csv_url"],
        },
    )


def _trail_csv(
    request: HttpRequest,
    *,
    role: ActiveRole,
    centre: Centre,
    sample: QuerySet[Portfolio] | None,
    page_url: str,
    filename: str,
    visit: EVVisit | None = None,
) -> HttpResponse:
    base = trail_base(centre=centre, portfolios=sample)
    form = TrailFilterForm(request.GET or None, centre=centre, base=base, sample=sample)
    if form.is_bound and not form.is_valid():
        # A file with some filters quietly dropped would mislead: the page says what to put right.
        query = _query_without_page(request)
        return redirect(f"{page_url}?{query}")
    event = audit_log(
        actor=request.user,
        actor_role=role.role,
        centre=centre,
        action="audit.exported",
        target=visit,
        summary=f"Audit trail exported as CSV ({form.summary()})"[:500],
        data={"filters": form.describe(), **({"visit": visit.pk} if visit else {})},
    )
    # The file holds the trail as it stood when asked for, not the row recording this export.
    rows = trail_for(centre=centre, portfolios=sample, filters=form.filters()).filter(pk__lt=event.pk)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _filename(centre: Centre, *parts: str) -> str:
    number = re.sub(r"[^A-Za-z0-9-]+", "-", centre.number).strip("-") or "centre"
    return "-".join(["audit", number, *parts, timezone.localdate().isoformat()]) + ".csv"


@require_GET
def centre_audit(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    assert role.centre is not None
    return _trail_page(
        request,
        centre=role.centre,
        sample=None,
        context={
            "centre": role.centre,
            "heading": f"Audit trail at {role.centre.name}",
            "csv_url": reverse("centre_audit_csv"),
        },
    )


@require_GET
def centre_audit_csv(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    assert role.centre is not None
    return _trail_csv(
        request,
        role=role,
        centre=role.centre,
        sample=None,
        page_url=reverse("centre_audit"),
        filename=_filename(role.centre),
    )


@require_GET
def visit_audit(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit, _ = _get_visit_for_user(request, visit_id)
    return _trail_page(
        request,
        centre=visit.centre,
        sample=visit.sample.all(),
        context={
            "centre": visit.centre,
            "visit": visit,
            "heading": f"Audit trail of the sample for the visit to {visit.centre.name}",
            "csv_url": reverse("visit_audit_csv", args=[visit.pk]),
        },
    )


@require_GET
def visit_audit_csv(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit, role = _get_visit_for_user(request, visit_id)
    return _trail_csv(
        request,
        role=role,
        centre=visit.centre,
        sample=visit.sample.all(),
        page_url=reverse("visit_audit", args=[visit.pk]),
        filename=_filename(visit.centre, f"visit-{visit.pk}"),
        visit=visit,
    )


def _allocated_sample(centre: Centre, ev) -> QuerySet[Portfolio]:
    return Portfolio.objects.filter(centre=centre, awarding_body=ev.awarding_body)


@require_GET
def ev_centre_audit(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre, ev = get_allocated_centre(request, centre_id)
    return _trail_page(
        request,
        centre=centre,
        sample=_allocated_sample(centre, ev),
        context={
            "centre": centre,
            "heading": f"Audit trail at {centre.name}: {ev.awarding_body.name} registrations",
            "scope_note": (
                f"The changes to the centre's registrations with {ev.awarding_body.name}, newest first. "
                "Rows are never changed or deleted."
            ),
            "csv_url": reverse("ev_centre_audit_csv", args=[centre.pk]),
        },
    )


@require_GET
def ev_centre_audit_csv(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre, ev = get_allocated_centre(request, centre_id)
    return _trail_csv(
        request,
        role=active_role(request),  # type: ignore[arg-type]
        centre=centre,
        sample=_allocated_sample(centre, ev),
        page_url=reverse("ev_centre_audit", args=[centre.pk]),
        filename=_filename(centre, "ev"),
    )
