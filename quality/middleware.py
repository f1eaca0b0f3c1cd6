"""Every page an external verifier opens goes into the audit trail.

The awarding body's EV reads a centre's learners' work; the centre must be able to show exactly what they read,
when, and what they were refused. So each request made in the EV role leaves a row, after the view has answered,
with the portfolio the view opened (`request.audit_portfolio`, set by the portfolio access checks) and the centre.
This is an audit requirement: the row is written in the request, and a failure to write it is not hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit.services import audit_log
from people.access import active_role
from people.models import Role
from quality.visits import open_visits

SKIPPED_PATHS = ("/favicon.ico", "/robots.txt")


def _is_asset(path: str) -> bool:
    static = settings.STATIC_URL or ""
    prefix = static if static.startswith(("/", "http")) else "/" + static
    return path in SKIPPED_PATHS or (prefix.startswith("/") and path.startswith(prefix))


def _centre(request: HttpRequest, portfolio, external_verifier):
    if portfolio is not None:
        return portfolio.centre
    centre = getattr(request, "audit_centre", None)
    if centre is not None:
        return centre
    # A page of no one centre (the dashboard, a unit): the centre of the visit the EV is on, if they are on one.
    visits = list(open_visits().filter(external_verifier=external_verifier).select_related("centre")[:2])
    return visits[0].centre if len(visits) == 1 else None


class EVPageLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_asset(request.path) or not request.user.is_authenticated:
            return response
        role = active_role(request)
        if role is None or role.role != Role.EV or role.external_verifier is None:
            return response
        portfolio = getattr(request, "audit_portfolio", None)
        data = {"path": request.path, "method": request.method, "status": response.status_code}
        if request.META.get("QUERY_STRING"):
            data["query"] = request.META["QUERY_STRING"][:500]
        audit_log(
            actor=request.user,
            actor_role=Role.EV,
            centre=_centre(request, portfolio, role.external_verifier),
            action="ev.page_viewed",
            summary=f"{request.user.full_name} opened {request.path} ({response.status_code})",
            data=data,
            portfolio=portfolio,
        )
        return response
