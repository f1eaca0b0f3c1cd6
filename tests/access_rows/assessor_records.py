"""The assessor's own records: the learner acknowledges an observation of them from their own account (only the
learner; the others linked 403, the outsider 404), and the assessor's changes to a record (an empty post gets the
form back with what is missing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS


def _observation(world):
    from tests.assessor_records import observe

    return observe(world, criteria=("1.1",))


LEARNER_ONLY_POST = {**dict.fromkeys(PERSONAS, 403), "learner": 302, "outsider": 404}
ASSESSOR_ONLY = {**dict.fromkeys(PERSONAS, 403), "assessor": 200, "outsider": 404}

MORE_URLS: dict[str, Callable[[Any], str]] = {
    "observation_acknowledge": lambda w: reverse("observation_acknowledge", args=[_observation(w).pk]),
    "assessor_record_edit_post": lambda w: reverse("assessor_record_edit", args=[_observation(w).pk]),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("observation_acknowledge", "post", LEARNER_ONLY_POST),
    ("assessor_record_edit_post", "post", ASSESSOR_ONLY),
]
