"""EV visits: the centre's admins prepare, change and cancel them (other staff there 403, the outsider 404 on a visit
of the home centre). A visit's page opens for its EV while it is open and for the centre's admins; others at the
centre get 403, everyone else 404. The allocated EV browses the centre's registrations of their body; the EV linked
to a unit records findings on it. The visit here is world.ev's, open today, sampling world.portfolio. Special cases
(a visit that ended or has not begun, an EV on a visit only) are in quality/tests/test_visit_views.py and at the end
of tests/test_access_matrix.py."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS


def open_visit(world, *, starts_in: int = 0, ends_in: int = 2):
    from django.utils import timezone

    from quality.models import EVVisit

    today = timezone.localdate()
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=world.ev.ev_roles.get(),
        starts_on=today + datetime.timedelta(days=starts_in),
        ends_on=today + datetime.timedelta(days=ends_in),
        purpose="Annual visit",
        created_by=world.admin,
    )
    visit.sample.add(world.portfolio)
    return visit


STAFF_PAGE = {"admin": 200, "outsider": 200, "learner": 403, "assessor": 403, "iv": 403, "ev": 403}
CENTRE_OBJECT = {"admin": 200, "outsider": 404, "learner": 403, "assessor": 403, "iv": 403, "ev": 403}
VISIT_PAGE = {**dict.fromkeys(PERSONAS, 403), "ev": 200, "admin": 200, "outsider": 404}
EV_ONLY = {**CENTRE_OBJECT, "admin": 403, "ev": 200}

MORE_URLS: dict[str, Callable[[Any], str]] = {
    "ev_visit_new_post": lambda w: reverse("ev_visit_new"),
    "ev_visit_edit": lambda w: reverse("ev_visit_edit", args=[open_visit(w).pk]),
    "ev_visit_cancel": lambda w: reverse("ev_visit_cancel", args=[open_visit(w).pk]),
    "ev_visit_detail": lambda w: reverse("ev_visit_detail", args=[open_visit(w).pk]),
    "ev_centre": lambda w: reverse("ev_centre", args=[w.centre.pk]),
    "ev_findings": lambda w: reverse("ev_findings", args=[w.portfolio.pk]),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("ev_visit_list", "get", STAFF_PAGE),
    ("ev_visit_new", "get", STAFF_PAGE),
    # An empty form comes back with what is missing.
    ("ev_visit_new_post", "post", STAFF_PAGE),
    ("ev_visit_edit", "get", CENTRE_OBJECT),
    ("ev_visit_edit", "post", CENTRE_OBJECT),
    ("ev_visit_cancel", "post", {**CENTRE_OBJECT, "admin": 302}),
    ("ev_visit_detail", "get", VISIT_PAGE),
    ("ev_centre", "get", EV_ONLY),
    ("ev_findings", "get", EV_ONLY),
    ("ev_findings", "post", EV_ONLY),
]
