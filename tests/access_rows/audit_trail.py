"""The audit trail: a centre admin reads their own centre's (so the outsider, an admin elsewhere, gets a page too,
of their own centre); a visit's trail is for the visiting EV while the visit is open and for the centre's admins.
People at the centre in other roles are linked to the visit and refused; an admin elsewhere learns nothing of it.
The visit's EV after the visit has ended is refused, with the date (see audit/tests/test_views.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import timezone

STAFF_PAGE = {"admin": 200, "outsider": 200, "learner": 403, "assessor": 403, "iv": 403, "ev": 403}
VISIT_OPEN = {"admin": 200, "ev": 200, "outsider": 404, "learner": 403, "assessor": 403, "iv": 403}
VISIT_ENDED = {**VISIT_OPEN, "ev": 403}


def _visit(world, *, ended: bool = False):
    """A visit by world.ev with world.portfolio in its sample: open today, or over three days ago."""
    from people.models import ExternalVerifier
    from quality.models import EVVisit

    today = timezone.localdate()
    first, last = (today - datetime.timedelta(days=5), today - datetime.timedelta(days=3)) if ended else (today, today)
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=ExternalVerifier.objects.get(user=world.ev),
        starts_on=first,
        ends_on=last,
        created_by=world.admin,
    )
    visit.sample.set([world.portfolio])
    return visit


MORE_URLS: dict[str, Callable[[Any], str]] = {
    "visit_audit": lambda w: reverse("visit_audit", args=[_visit(w).pk]),
    "visit_audit_csv": lambda w: reverse("visit_audit_csv", args=[_visit(w).pk]),
    "visit_audit_ended": lambda w: reverse("visit_audit", args=[_visit(w, ended=True).pk]),
    "visit_audit_csv_ended": lambda w: reverse("visit_audit_csv", args=[_visit(w, ended=True).pk]),
    "ev_centre_audit": lambda w: reverse("ev_centre_audit", args=[w.centre.pk]),
    "ev_centre_audit_csv": lambda w: reverse("ev_centre_audit_csv", args=[w.centre.pk]),
}
# The allocated EV reads the centre's trail about their body's registrations; the centre's people in other roles
# are refused; the outsider learns nothing.
ALLOCATED_EV = {**VISIT_OPEN, "admin": 403}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("centre_audit", "get", STAFF_PAGE),
    ("centre_audit_csv", "get", STAFF_PAGE),
    ("visit_audit", "get", VISIT_OPEN),
    ("visit_audit_csv", "get", VISIT_OPEN),
    ("visit_audit_ended", "get", VISIT_ENDED),
    ("visit_audit_csv_ended", "get", VISIT_ENDED),
    ("ev_centre_audit", "get", ALLOCATED_EV),
    ("ev_centre_audit_csv", "get", ALLOCATED_EV),
]
