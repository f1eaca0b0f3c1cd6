"""Each role's landing page: what needs the person's action first, then what they work on. Each runs a fixed
number of queries whatever the size of the caseload, the centre or the list of notifications."""

from __future__ import annotations

from itertools import groupby

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from assessments.dashboards.caseload import WAITING_SHOWN, assessor_caseload, learner_tasks
from assessments.judgement.coverage import portfolios_progress
from assessments.models import Portfolio, PortfolioStatus
from assessments.page_parts import dashboard, page_parts
from notifications.panel import notification_panel
from people.access import active_role
from people.models import Centre, EVAllocation, Membership, Role
from people.roles import ActiveRole
from units.models import UnitCode


def home(request: HttpRequest) -> HttpResponse:
    role = active_role(request)
    if role is None:
        return render(request, "assessments/dashboard_no_role.html")
    # Every role's dashboard opens with what needs the person's action: one query, kept on the request so each
    # role's template includes it without each role's view having to pass it on.
    request.notification_panel = notification_panel(request.user, role)  # type: ignore[attr-defined]
    return _DASHBOARDS[role.role](request, role)


def _learner(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    portfolios = list(
        Portfolio.objects.filter(learner=request.user, centre=role.centre)
        .with_people()
        .prefetch_related(Prefetch("unit__codes", queryset=UnitCode.objects.select_related("awarding_body")))
    )
    # Worked out for all the learner's units at once, in the same few queries however many there are.
    progress = portfolios_progress(portfolios)
    for portfolio in portfolios:
        portfolio.progress = progress[portfolio.pk]  # type: ignore[attr-defined]
    request.notification_panel.tasks = learner_tasks(portfolios)  # type: ignore[attr-defined]
    return render(request, "assessments/dashboard_learner.html", {"role": role, "portfolios": portfolios})


def _assessor(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    assert role.centre is not None
    # Progress and what waits, for the whole caseload at once, in the same few queries however large it is.
    caseload = assessor_caseload(request.user, role.centre)  # type: ignore[arg-type]
    return render(
        request,
        "assessments/dashboard_assessor.html",
        {
            "role": role,
            "portfolios": caseload.portfolios,
            "caseload": caseload,
            "shown": WAITING_SHOWN,
            "today": timezone.localdate(),
            **page_parts(dashboard(role.role), request, role),
        },
    )


def _iv(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    portfolios = (
        Portfolio.objects.filter(iv=request.user, centre=role.centre)
        .current()
        .with_people()
        .order_by("assessor__full_name", "learner__full_name")
    )
    by_assessor = [(assessor, list(items)) for assessor, items in groupby(portfolios, key=lambda p: p.assessor)]
    return render(
        request,
        "assessments/dashboard_iv.html",
        {
            "role": role,
            "by_assessor": by_assessor,
            "today": timezone.localdate(),
            **page_parts(dashboard(role.role), request, role),
        },
    )


def _admin(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    centre = role.centre
    people = Membership.objects.filter(centre=centre, is_active=True).values("role").annotate(n=Count("id"))
    counts = {row["role"]: row["n"] for row in people}
    portfolios = Portfolio.objects.filter(centre=centre)
    totals = portfolios.aggregate(
        current=Count("id", filter=~Q(status=PortfolioStatus.WITHDRAWN)),
        complete=Count("id", filter=Q(status=PortfolioStatus.COMPLETE)),
        unassigned=Count(
            "id", filter=~Q(status=PortfolioStatus.WITHDRAWN) & (Q(assessor__isnull=True) | Q(iv__isnull=True))
        ),
    )
    return render(
        request,
        "assessments/dashboard_admin.html",
        {
            "role": role,
            "centre": centre,
            "people_counts": [(r, counts.get(r.value, 0)) for r in (Role.LEARNER, Role.ASSESSOR, Role.IV, Role.ADMIN)],
            "totals": totals,
        },
    )


def _ev(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    ev = role.external_verifier
    assert ev is not None
    allocated = EVAllocation.objects.filter(external_verifier=ev, is_active=True).values("centre")
    centres = (
        Centre.objects.filter(pk__in=allocated)
        .annotate(
            learners=Count(
                "portfolios",
                filter=Q(portfolios__awarding_body=ev.awarding_body) & ~Q(portfolios__status=PortfolioStatus.WITHDRAWN),
            )
        )
        .order_by("name")
    )
    return render(
        request,
        "assessments/dashboard_ev.html",
        {"role": role, "centres": centres, **page_parts(dashboard(role.role), request, role)},
    )


_DASHBOARDS = {
    Role.LEARNER: _learner,
    Role.ASSESSOR: _assessor,
    Role.IV: _iv,
    Role.ADMIN: _admin,
    Role.EV: _ev,
}
