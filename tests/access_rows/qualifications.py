"""Qualification registrations: the centre admin's pages. The qualification is library data, the same for every
centre, so an admin of any centre opens it (for their own centre); nobody else does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS

STAFF_PAGE = {**dict.fromkeys(PERSONAS, 403), "admin": 200, "outsider": 200}
# A registration of the home centre: the outsider (admin elsewhere) has no link to it.
CENTRE_OBJECT = {**dict.fromkeys(PERSONAS, 403), "admin": 200, "outsider": 404}


def _register(world: Any) -> str:
    from units.models import Qualification

    return reverse("centre_qualification_register", args=[Qualification.objects.order_by("pk").first().pk])


def _units_add(world: Any) -> str:
    from assessments.models import QualificationRegistration
    from units.models import Qualification

    registration = QualificationRegistration.objects.create(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.order_by("pk").first(),
        learner_number="CG-0001",
        start_date=world.portfolio.start_date,
        planned_end_date=world.portfolio.planned_end_date,
    )
    return reverse("centre_qualification_units_add", args=[registration.pk])


MORE_URLS: dict[str, Callable[[Any], str]] = {
    "centre_qualification_register": _register,
    "centre_qualification_units_add": _units_add,
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("centre_qualification_registrations", "get", STAFF_PAGE),
    ("centre_qualification_register", "get", STAFF_PAGE),
    # A post with nothing ticked is refused on the page itself (200), never saved.
    ("centre_qualification_register", "post", STAFF_PAGE),
    ("centre_qualification_units_add", "get", CENTRE_OBJECT),
    # Nothing ticked: refused on the page itself (200).
    ("centre_qualification_units_add", "post", CENTRE_OBJECT),
]
