"""Quality's parts of assessments' pages (see assessments/page_parts.py): on the sign-off page the IV reports and
the EV's findings; on the dashboards the assessor's open action points, the IV's samples due and the EV's visits."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from assessments.page_parts import SIGNOFF, add_page_part, dashboard
from people.models import Role
from people.roles import ActiveRole
from quality.models import SampleItem
from quality.services.reports import open_action_points
from quality.services.visits import ev_visits_ahead
from quality.views.reports import signoff_reports
from quality.views.visits import signoff_findings

# The IV's dashboard lists this many samples due; the count covers them all.
SAMPLES_SHOWN = 20


def assessor_action_points(request: HttpRequest, role: ActiveRole) -> dict[str, Any]:
    return {"action_points": open_action_points(request.user, role.centre)}


def iv_samples_due(request: HttpRequest, role: ActiveRole) -> dict[str, Any]:
    # What the IV's plans say they will sample and they have not yet reported on, soonest due first.
    due = (
        SampleItem.objects.filter(plan__iv=request.user, plan__centre=role.centre)
        .annotate(reports_made=Count("reports"))
        .filter(reports_made=0)
        .select_related("plan", "portfolio__learner", "portfolio__unit", "learner", "assessor", "criterion__outcome")
        .order_by("planned_for", "pk")
    )
    return {"samples_due": list(due[:SAMPLES_SHOWN]), "samples_due_count": due.count()}


def ev_visits(request: HttpRequest, role: ActiveRole) -> dict[str, Any]:
    assert role.external_verifier is not None
    return {"visits": ev_visits_ahead(role.external_verifier)}


def register() -> None:
    add_page_part(SIGNOFF, signoff_reports)
    add_page_part(SIGNOFF, signoff_findings)
    add_page_part(dashboard(Role.ASSESSOR), assessor_action_points)
    add_page_part(dashboard(Role.IV), iv_samples_due)
    add_page_part(dashboard(Role.EV), ev_visits)
