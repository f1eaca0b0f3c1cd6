"""The audit trail: one row per change that matters, never edited or deleted.

Rows are protected three ways: the model refuses to save an existing row or
delete one, the queryset refuses bulk update and delete, and a database
trigger (see the migration) refuses UPDATE and DELETE from anything else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise AuditImmutable("Audit rows cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable("Audit rows cannot be deleted.")


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
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
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}: {self.summary}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise AuditImmutable("Audit rows cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise AuditImmutable("Audit rows cannot be deleted.")
