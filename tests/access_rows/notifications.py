"""Notifications: each person's own. The list and the settings page open for everyone signed in (each sees only
their own); a notification is dismissed only by its person, and anyone else is not told it exists (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS


def _learner_notification(world: Any) -> str:
    from notifications.services import notify

    notification = notify(
        user=world.learner,
        kind="unit_referred",
        target=world.portfolio,
        title="Your unit was referred back: range c needs real evidence",
        url=reverse("signoff", args=[world.portfolio.pk]),
        centre=world.centre,
    )
    return reverse("notification_dismiss", args=[notification.pk])


MORE_URLS: dict[str, Callable[[Any], str]] = {
    "notification_dismiss": _learner_notification,
    "notification_settings_save": lambda w: reverse("notification_settings"),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("notification_list", "get", dict.fromkeys(PERSONAS, 200)),
    ("notification_settings", "get", dict.fromkeys(PERSONAS, 200)),
    ("notification_settings_save", "post", dict.fromkeys(PERSONAS, 302)),
    ("notification_dismiss", "post", {**dict.fromkeys(PERSONAS, 404), "learner": 302}),
]
