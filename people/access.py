"""Who may do what. Every view asks here before it shows or changes anything.

The rule across the project: someone with no link to an object gets 404 (we
do not even confirm it exists); someone linked to it in the wrong role gets
403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from people import roles
from people.models import Role
from people.roles import ActiveRole


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
