"""What waits for someone's action: shown on their dashboard and, unless they switch it off, emailed.

A notification is opened by the service that creates the work and closed by the service that does it, both in
the transaction of the change, keyed by (user, kind, target) so the same work is never announced twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    centre = models.ForeignKey("people.Centre", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["user", "done_at"], name="notification_user_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "target_type", "target_id"],
                condition=Q(done_at__isnull=True),
                name="notification_one_open",
            ),
        ]

    def __str__(self) -> str:
        return self.title
