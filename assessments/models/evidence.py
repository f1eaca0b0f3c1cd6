"""Evidence items, their files and their witnesses."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from assessments.models.portfolio import Portfolio


class EvidenceSetting(models.TextChoices):
    REAL_WORK = "real_work", "Real work"
    REALISTIC = "realistic", "A realistic working environment"
    SIMULATION = "simulation", "Simulation"


class WitnessStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Not yet confirmed by the witness"
    CONFIRMED = "confirmed", "Confirmed by the witness"
    CORRECTED = "corrected", "Corrected and confirmed by the witness"


class Decision(models.TextChoices):
    PENDING = "pending", "Waiting for the assessor"
    ACCEPTED = "accepted", "Accepted by the assessor"
    SENT_BACK = "sent_back", "Sent back to the learner"


class Author(models.TextChoices):
    LEARNER = "learner", "Learner"
    ASSESSOR = "assessor", "Assessor"


class Evidence(models.Model):
    """One item of evidence in a learner's portfolio: the workbook's evidence reference table row."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="evidence")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    method = models.ForeignKey("units.AssessmentMethod", on_delete=models.PROTECT, related_name="+")
    activity_date = models.DateField("date of the activity")
    setting = models.CharField("where it happened", max_length=20, choices=EvidenceSetting.choices)
    # Sufficiency (evidence from different customers, occasions and over a period): short references the
    # learner chooses, never the customer's personal details; items without them count by activity date only.
    customer_ref = models.CharField("customer reference", max_length=60, blank=True)
    occasion_ref = models.CharField("occasion reference", max_length=60, blank=True)
    description = models.TextField("description or written account", blank=True)
    criteria = models.ManyToManyField("units.Criterion", blank=True, related_name="evidence")
    range_items = models.ManyToManyField("units.RangeItem", blank=True, related_name="evidence")
    # Witness testimony (method WT): who saw the learner at work, and what they say.
    witness_name = models.CharField(max_length=150, blank=True)
    witness_job_title = models.CharField(max_length=150, blank=True)
    witness_relationship = models.CharField("relationship to the learner", max_length=150, blank=True)
    witness_email = models.EmailField(blank=True)
    witness_statement = models.TextField(blank=True)
    # Empty unless the method is WT. Once the witness has confirmed, the learner cannot alter the statement.
    witness_status = models.CharField(max_length=20, choices=WitnessStatus.choices, blank=True)
    witness_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The learner's other portfolios this item also counts in (the workbook's cross-references to other
    # units): the criteria and range items it covers there are in `criteria` and `range_items` too.
    cross_references = models.ManyToManyField(
        Portfolio, blank=True, related_name="cross_referenced_evidence", verbose_name="also counts towards"
    )
    # Who made the record: the learner, or the assessor (an observation, questioning or discussion record).
    author = models.CharField(max_length=20, choices=Author.choices, default=Author.LEARNER)
    place = models.CharField("where it was observed", max_length=200, blank=True)
    questions = models.TextField("questions asked and the learner's answers", blank=True)
    # The assessor's judgement of the item as a whole. A learner's change puts it back to pending.
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portfolio", "number"]
        verbose_name_plural = "evidence"
        constraints = [models.UniqueConstraint(fields=["portfolio", "number"], name="evidence_number_unique")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"E{self.number}"


class FileKind(models.TextChoices):
    DOCUMENT = "document", "Document"
    IMAGE = "image", "Image"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"


def evidence_file_name(instance: EvidenceFile, filename: str) -> str:
    # Opaque on purpose: the learner's own file name never reaches the disk or a path.
    return f"evidence/{uuid.uuid4().hex}"


def evidence_thumbnail_name(instance: EvidenceFile, filename: str) -> str:
    return f"thumbnails/{uuid.uuid4().hex}.jpg"


class EvidenceFile(models.Model):
    """A file attached to an evidence item, kept through the storage API under an opaque name."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=evidence_file_name, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    # Worked out from the content, never taken from the browser's claim or the name.
    content_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=FileKind.choices)
    sha256 = models.CharField("SHA-256", max_length=64)
    thumbnail = models.FileField(upload_to=evidence_thumbnail_name, max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evidence", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def shows_inline(self) -> bool:
        """Only types a browser shows without running anything: raster images and PDF."""
        return self.content_type in {"image/jpeg", "image/png", "application/pdf"}


class WitnessRequest(models.Model):
    """An emailed, single-use link asking a witness to confirm or correct their statement.

    Only the token's SHA-256 is stored, so the database alone cannot be used to answer for a witness.
    """

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CORRECTED = "corrected", "Corrected"

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="witness_requests")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer request replaces this one, or the statement changes: the link then no longer works.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Witness request for {self.evidence}"
