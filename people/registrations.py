"""The registrations a person takes part in at a centre (as learner, assessor or IV), listed on the centre admin's
person page. Registrations are assessments' (`Portfolio`), and people may not import assessments (README,
"Architecture"), so assessments hands in the query when it starts (`AssessmentsConfig.ready`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from people.models import Centre, User

_involving: Callable[..., QuerySet[Any]] | None = None


def provide(involving: Callable[..., QuerySet[Any]]) -> None:
    global _involving
    _involving = involving


def registrations_involving(*, centre: Centre, person: User) -> QuerySet[Any]:
    if _involving is None:
        raise RuntimeError("No app provides registrations: the assessments app must be installed.")
    return _involving(centre=centre, person=person)
