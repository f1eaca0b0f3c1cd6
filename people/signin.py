"""Sign-in throttling sees the email the way sign-in does."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from people.models import normalise_email


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The email that failures are counted against, for django-axes (AXES_USERNAME_CALLABLE).

    Sign-in ignores case and surrounding spaces, so "Learner@Demo.example " is the same person as
    "learner@demo.example", and must not get five fresh tries of its own."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        typed = credentials.get(field)
    else:
        typed = getattr(request, "data", request.POST).get(field) if request is not None else None
    return normalise_email(typed) if isinstance(typed, str) else None
