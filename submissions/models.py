"""The one-time form tokens already used. A row is written in the same transaction as what the form saved, so
the unique constraint decides which of two identical submissions counts; rows older than a day are pruned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class UsedFormToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The SHA-256 of the form's token and the address it was sent to (see once.py).
    token = models.CharField(max_length=64)
    # Where the submission that used it was sent next, so a repeat is sent to the same place.
    location = models.CharField(max_length=2000)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_token_used_once")]

    def __str__(self) -> str:
        return f"{self.token} ({self.used_at:%d/%m/%Y %H:%M})"
