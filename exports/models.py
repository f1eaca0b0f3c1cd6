"""Exports for centre admins (and a learner's own portable portfolio), built in the background.

An export is asked for in a web request and built by the task worker; the
page polls its progress. Finished files are kept for EXPORT_KEEP_HOURS, then
removed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ExportKind(models.TextChoices):
    LEARNER = "learner", "One learner's records, merged into one PDF"
    PORTABLE = "portable", "Portable portfolio (ZIP with manifest)"
    COHORT = "cohort", "Cohort (ZIP of records with a CSV summary)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being built"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Removed after its keeping time"


E = ExportStatus
# The only moves an export makes; services.py refuses any other.
TRANSITIONS: dict[str, set[str]] = {
    E.QUEUED: {E.RUNNING, E.FAILED},
    E.RUNNING: {E.DONE, E.FAILED},
    E.FAILED: {E.QUEUED},
    E.DONE: {E.EXPIRED},
    E.EXPIRED: set(),
}


def export_file_name(instance: Export, filename: str) -> str:
    return f"exports/{uuid.uuid4().hex}"


class Export(models.Model):
    # A random id: export URLs reveal nothing and cannot be counted through.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="exports")
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_role = models.CharField(max_length=20)
    # The learner a learner or portable export is of; empty for a cohort.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    portfolios = models.ManyToManyField("assessments.Portfolio", related_name="+")
    include_files = models.BooleanField(default=False)
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=1)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to=export_file_name, max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["centre", "-created_at"], name="export_centre_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        if self.status == E.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in (E.QUEUED, E.RUNNING)

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.filename.endswith(".pdf") else "application/zip"
