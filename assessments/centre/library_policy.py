"""Who may load units and qualifications into the library, now: the library's pages and the unit list ask this
(units/ itself sits below the roles this rule needs),
with the same Decision as every other policy (assessments/decisions.py).

The library is shared by every centre and is public to everyone signed in (it is the published specification).
Loading a file into it is a centre admin's job, acting as admin, or the site's staff's. A load never changes a unit
that portfolios use (units/library/importing.py), so one centre's load cannot alter another centre's learners' work.
"""

from __future__ import annotations

from django.http import HttpRequest

from assessments.decisions import YES, Decision, refuse
from people.access import active_role
from people.models import Role

STAFF = "staff"  # the site's own staff (Django's is_staff), who look after the library for every centre
ACTIONS = frozenset({"import"})
ADMINS_ONLY = (
    "Loading units and qualifications into the library is for centre admins. "
    "Switch to your centre admin role from the menu if you hold it."
)


def library_links(request: HttpRequest) -> set[Role | str]:
    """The viewer's links to the library: the role they act in now, and whether they are the site's staff."""
    links: set[Role | str] = set()
    role = active_role(request)
    if role is not None:
        links.add(role.role)
    if request.user.is_authenticated and request.user.is_staff:
        links.add(STAFF)
    return links


def library_may(user_id: int | None, links: set[Role | str], action: str) -> Decision:
    """May the person load (check, preview and import) a unit or qualification file into the library, now?"""
    if action not in ACTIONS:
        raise ValueError(f"No such library action: {action}")
    if Role.ADMIN in links or STAFF in links:
        return YES
    return refuse(ADMINS_ONLY)
