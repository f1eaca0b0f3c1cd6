"""Each role's landing page: what needs the person's action first, then what they work on. Each runs a fixed
number of queries whatever the size of the caseload, the centre or the list of notifications."""

from __future__ import annotations

import datetime
from itertools import groupby

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from assessments.centre.tallies import registration_totals
from assessments.dashboards.caseload import WAITING_SHOWN, assessor_caseload, learner_tasks
from assessments.judgement.coverage import portfolios_progress
from assessments.judgement.progress import (
    RULE_IN_WORDS,
    attach,
    attach_qualifications,
    qualifications_standing,
    units_standing,
)
from assessments.models import Portfolio, PortfolioStatus, QualificationRegistration
from assessments.page_parts import dashboard, page_parts
from notifications.panel import notification_panel
from people.access import active_role
from people.models import Centre, EVAllocation, MembershipTally, Role
from people.roles import ActiveRole
from units.models import UnitCode

# The admin's dashboard lists this many qualification registrations, those whose planned end comes soonest, from
# those that ended up to this many days ago.
ENDING_SHOWN = 10
ENDED_SHOWN_DAYS = 90


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
    standings = units_standing(portfolios, progress=progress)
    for portfolio in portfolios:
        portfolio.progress = progress[portfolio.pk]  # type: ignore[attr-defined]
        portfolio.standing = standings[portfolio.pk]  # type: ignore[attr-defined]
    qualifications = list(
        QualificationRegistration.objects.filter(learner=request.user, centre=role.centre)
        .select_related("qualification__awarding_body")
        .order_by("start_date", "pk")
    )
    attach(qualifications, qualifications_standing(qualifications, progress=progress))
    request.notification_panel.tasks = learner_tasks(portfolios)  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/dashboard_learner.html",
        {"role": role, "portfolios": portfolios, "qualifications": qualifications, "rule": RULE_IN_WORDS},
    )


def _assessor(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    assert role.centre is not None
    # Progress and what waits, for the whole caseload at once, in the same few queries however large it is.
    caseload = assessor_caseload(request.user, role.centre)  # type: ignore[arg-type]
    progress = {p.pk: p.progress for p in caseload.portfolios}  # type: ignore[attr-defined]
    attach(caseload.portfolios, units_standing(caseload.portfolios, progress=progress))
    attach_qualifications(caseload.portfolios, progress=progress)
    return render(
        request,
        "assessments/dashboard_assessor.html",
        {
            "role": role,
            "portfolios": caseload.portfolios,
            "caseload": caseload,
            "shown": WAITING_SHOWN,
            "today": timezone.localdate(),
            "rule": RULE_IN_WORDS,
            **page_parts(dashboard(role.role), request, role),
        },
    )


def _iv(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    portfolios = list(
        Portfolio.objects.filter(iv=request.user, centre=role.centre)
        .current()
        .with_people()
        .order_by("assessor__full_name", "learner__full_name")
    )
    progress = portfolios_progress(portfolios)
    attach(portfolios, units_standing(portfolios, progress=progress))
    attach_qualifications(portfolios, progress=progress)
    by_assessor = [(assessor, list(items)) for assessor, items in groupby(portfolios, key=lambda p: p.assessor)]
    return render(
        request,
        "assessments/dashboard_iv.html",
        {
            "role": role,
            "by_assessor": by_assessor,
            "today": timezone.localdate(),
            "rule": RULE_IN_WORDS,
            **page_parts(dashboard(role.role), request, role),
        },
    )


def _admin(request: HttpRequest, role: ActiveRole) -> HttpResponse:
    centre = role.centre
    assert centre is not None
    # The totals the database keeps as the rows change (people 0006, assessments 0020): a few rows read, whatever
    # the size of the centre, where counting 100,000 registrations took longer than the rest of the page.
    counts = dict(MembershipTally.objects.filter(centre=centre).values_list("role", "active"))
    totals = registration_totals(centre.pk)
    # The qualification registrations whose planned end comes soonest (those ended in the last quarter too, which
    # may be behind): a fixed number, read off an index, whatever the size of the centre.
    ending = list(
        QualificationRegistration.objects.filter(
            centre=centre, planned_end_date__gte=timezone.localdate() - datetime.timedelta(days=ENDED_SHOWN_DAYS)
        )
        .select_related("learner", "qualification__awarding_body")
        .order_by("planned_end_date", "pk")[:ENDING_SHOWN]
    )
    attach(ending, qualifications_standing(ending))
    return render(
        request,
        "assessments/dashboard_admin.html",
        {
            "role": role,
            "centre": centre,
            "ending": ending,
            "ending_shown": ENDING_SHOWN,
            "rule": RULE_IN_WORDS,
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
