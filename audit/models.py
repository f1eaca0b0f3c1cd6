"""The audit trail: one row per change that matters, never edited or deleted.

Each row also carries the hash of the row before it at its centre (`audit.chain`), so a row deleted or
rewritten by someone who got past all of that still shows, from that row on.

Rows are protected three ways: the model refuses to save an existing row or
delete one, the queryset refuses bulk update and delete, and a database
trigger (see the migration) refuses UPDATE and DELETE from anything else.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.chain import Chained


class AuditImmutable(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise AuditImmutable("Audit rows cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable("Audit rows cannot be deleted.")


def event_time():
    # Looked up at each call, so a test that fixes the clock fixes the row's time too.
    return timezone.now()


class AuditEvent(Chained):
    CHAIN_NAME = "audit"

    # Set before the insert (not auto_now_add), because the chain hash covers it.
    at = models.DateTimeField(default=event_time, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The role the actor was acting in, kept as text: the role may be taken away later.
    actor_role = models.CharField(max_length=20, blank=True)
    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    # The portfolio the change concerns, when there is one: the trail is filtered by learner and unit through it.
    portfolio = models.ForeignKey(
        "assessments.Portfolio", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["centre", "-at"], name="audit_centre_at"),
            models.Index(fields=["portfolio", "-at"], name="audit_portfolio_at"),
            # The chain's head at a centre is its newest row by id: found at once, however quiet the centre.
            models.Index(fields=["centre", "-id"], name="audit_centre_chain"),
            # A subject-access export looks up the rows on a person's account and qualification registrations, and
            # what they did that names no registration: by actor alone SQLite would rather read every row naming no
            # registration, its statistics counting them as one value.
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor", "portfolio"], name="audit_actor_portfolio"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}: {self.summary}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise AuditImmutable("Audit rows cannot be changed.")
        self._chain_insert(lambda: super(AuditEvent, self).save(*args, **kwargs))  # type: ignore[arg-type]

    # The chain: one per centre, and one for events of no centre (key 0).
    def chain_key(self) -> int:
        return self.centre_id or 0

    @classmethod
    def chain_key_filter(cls, key: int) -> dict[str, Any]:
        return {"centre_id": key} if key else {"centre__isnull": True}

    @classmethod
    def chain_key_expression(cls) -> Any:
        return Coalesce("centre_id", 0)

    def chain_fields(self) -> dict[str, Any]:
        return audit_event_fields(self)

    def delete(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise AuditImmutable("Audit rows cannot be deleted.")


def audit_event_fields(event: Any) -> dict[str, Any]:
    """What an audit row's chain hash covers. Kept apart from the model so the migration that chained the rows
    already there hashes them the same way."""
    return {
        "at": event.at,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "centre": event.centre_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "portfolio": event.portfolio_id,
        "summary": event.summary,
        "data": event.data,
    }
