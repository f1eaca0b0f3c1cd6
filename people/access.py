"""Who may do what. Every view asks here before it shows or changes anything.

The rule across the project: someone with no link to an object gets 404 (we
do not even confirm it exists); someone linked to it in the wrong role gets
403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from people import roles
from people.models import Centre, EVAllocation, ExternalVerifier, Role
from people.roles import ActiveRole
from people.visit_links import visited_centre_ids


def active_role(request: HttpRequest) -> ActiveRole | None:
    # Resolved once per request and kept on it: the navbar, the view and the
    # access checks all ask.
    if not hasattr(request, "_active_role"):
        request._active_role, request._available_roles = roles.resolve(request)  # type: ignore[attr-defined]
    return request._active_role  # type: ignore[attr-defined]


def available_roles(request: HttpRequest) -> list[ActiveRole]:
    active_role(request)
    return request._available_roles  # type: ignore[attr-defined]


def require_role(request: HttpRequest, *allowed: Role) -> ActiveRole:
    """The active role, if it is one of `allowed`; otherwise 403."""
    role = active_role(request)
    if role is None or role.role not in allowed:
        raise PermissionDenied("This page is for another role. Switch role from the menu if you hold it.")
    return role


def linked_centre_ids(request: HttpRequest) -> set[int]:
    """Centres the person is linked to in any active role: a member there, or its allocated EV."""
    if not hasattr(request, "_linked_centre_ids"):
        ids: set[int] = set()
        for role in available_roles(request):
            if role.centre is not None:
                ids.add(role.centre.pk)
        ev_ids = [r.external_verifier.pk for r in available_roles(request) if r.external_verifier is not None]
        if ev_ids:
            ids.update(
                EVAllocation.objects.filter(external_verifier_id__in=ev_ids, is_active=True).values_list(
                    "centre_id", flat=True
                )
            )
            # An EV on an open visit is linked to the centre for its dates (their pages there say 403, not 404).
            ids.update(visited_centre_ids(external_verifier_ids=ev_ids))
        request._linked_centre_ids = ids  # type: ignore[attr-defined]
    return request._linked_centre_ids  # type: ignore[attr-defined]


def require_centre_admin(request: HttpRequest, centre_ids: set[int]) -> ActiveRole:
    """Admin access to an object that belongs to any of `centre_ids`.

    404 when the person has no link to those centres; 403 when they are linked
    but are not acting as admin of one of them.
    """
    linked = linked_centre_ids(request) & centre_ids
    if not linked:
        raise Http404
    role = require_role(request, Role.ADMIN)
    assert role.centre is not None
    if role.centre.pk not in centre_ids:
        raise PermissionDenied("Switch to your centre admin role at that centre.")
    return role


def get_allocated_centre(request: HttpRequest, centre_id: int) -> tuple[Centre, ExternalVerifier]:
    """A centre, for the EV allocated to it, acting as that EV: 404 when not linked to the centre at all; 403 when
    linked in another role, or only through a visit (which reaches its sample, not the whole centre)."""
    centre = Centre.objects.filter(pk=centre_id).first()
    if centre is None or centre.pk not in linked_centre_ids(request):
        raise Http404("No such centre.")
    role = require_role(request, Role.EV)
    ev = role.external_verifier
    assert ev is not None
    # Pages the EV opens here are logged against the centre.
    request.audit_centre = centre  # type: ignore[attr-defined]
    if not EVAllocation.objects.filter(external_verifier=ev, centre=centre, is_active=True).exists():
        raise PermissionDenied("You are not allocated to this centre: your visit's page lists the units you may open.")
    return centre, ev
