"""The "Needs your action" panel at the top of every dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Window

from notifications.models import Notification

PANEL_SHOWN = 20


@dataclass
class Task:
    """Something the person can do now that their records show rather than a notification announces (a unit
    ready to submit): it cannot be dismissed, and goes when it is done."""

    kind: str
    title: str
    url: str
    body: str = ""


@dataclass
class Panel:
    items: list[Notification] = field(default_factory=list)
    total: int = 0
    shown: int = PANEL_SHOWN
    # Set by the role's dashboard, listed before the notifications.
    tasks: list[Task] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)

    @property
    def count(self) -> int:
        """Everything that needs the person's action: tasks and notifications."""
        return len(self.tasks) + self.total


def notification_panel(user: Any, role: Any) -> Panel:
    """The user's open notifications for the role they act in now, newest first, with how many there are in all.

    One query whatever the number: the total rides on each row as a window count. A centre role sees its centre's
    (and any that belong to no centre); an EV, who works across centres, sees all of theirs.
    """
    open_ = Notification.objects.filter(user=user, done_at__isnull=True)
    if role is not None and role.centre is not None:
        open_ = open_.filter(Q(centre=role.centre) | Q(centre__isnull=True))
    items = list(open_.annotate(total=Window(Count("pk"))).order_by("-created_at", "-pk")[:PANEL_SHOWN])
    return Panel(items=items, total=items[0].total if items else 0)
