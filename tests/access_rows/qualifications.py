"""Qualification registrations: the centre admin's pages. The qualification is library data, the same for every
centre, so an admin of any centre opens it (for their own centre); nobody else does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS

STAFF_PAGE = {**dict.fromkeys(PERSONAS, 403), "admin": 200, "outsider": 200}


def _register(world: Any) -> str:
    from units.models import Qualification

    return reverse("centre_qualification_register", args=[Qualification.objects.order_by("pk").first().pk])


MORE_URLS: dict[str, Callable[[Any], str]] = {"centre_qualification_register": _register}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("centre_qualification_registrations", "get", STAFF_PAGE),
    ("centre_qualification_register", "get", STAFF_PAGE),
    # A post with nothing ticked is refused on the page itself (200), never saved.
    ("centre_qualification_register", "post", STAFF_PAGE),
]
