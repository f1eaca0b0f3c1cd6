"""A learner's portfolio: their registration on one unit at one centre.

Evidence, judgements and the sign-off chain hang off the portfolio.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class PortfolioStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted by the learner"
    ASSESSOR_SIGNED = "assessor_signed", "Signed by the assessor"
    ASSESSOR_COUNTERSIGNED = "assessor_countersigned", "Assessor's decision countersigned"
    IV_SIGNED = "iv_signed", "Signed by the IV"
    IV_COUNTERSIGNED = "iv_countersigned", "IV's decision countersigned"
    EV_SIGNED = "ev_signed", "Signed by the EV"
    COMPLETE = "complete", "Complete"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PortfolioQuerySet(models.QuerySet["Portfolio"]):
    def current(self) -> PortfolioQuerySet:
        return self.exclude(status=PortfolioStatus.WITHDRAWN)

    def with_people(self) -> PortfolioQuerySet:
        return self.select_related("learner", "assessor", "iv", "unit", "centre", "awarding_body")


class Portfolio(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portfolios")
    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="portfolios")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="portfolios")
    # The body the learner is registered with; it decides how criteria are numbered for them.
    awarding_body = models.ForeignKey("units.AwardingBody", on_delete=models.PROTECT, related_name="portfolios")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assessed_portfolios"
    )
    iv = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_portfolios",
        verbose_name="internal verifier",
    )
    learner_number = models.CharField(max_length=30)
    start_date = models.DateField()
    planned_end_date = models.DateField()
    status = models.CharField(max_length=30, choices=PortfolioStatus.choices, default=PortfolioStatus.IN_PROGRESS)
    # The last evidence number handed out: references are never reused, even after a deletion.
    evidence_counter = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        ordering = ["learner__full_name", "unit__title"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "centre", "unit"], name="portfolio_one_per_unit"),
            models.CheckConstraint(
                condition=Q(planned_end_date__gte=F("start_date")), name="portfolio_end_after_start"
            ),
            # Nobody assesses or verifies their own work, and an IV never verifies their own decisions.
            models.CheckConstraint(condition=~Q(assessor=F("learner")), name="portfolio_assessor_not_learner"),
            models.CheckConstraint(condition=~Q(iv=F("learner")), name="portfolio_iv_not_learner"),
            models.CheckConstraint(condition=~Q(iv=F("assessor")), name="portfolio_iv_not_assessor"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} – {self.unit}"

    @property
    def unit_code(self):  # -> UnitCode | None
        """The unit's number under the learner's awarding body ("220" for City & Guilds)."""
        for code in self.unit.codes.all():
            if code.awarding_body_id == self.awarding_body_id:
                return code
        return None


class EvidenceSetting(models.TextChoices):
    REAL_WORK = "real_work", "Real work"
    REALISTIC = "realistic", "A realistic working environment"
    SIMULATION = "simulation", "Simulation"


class WitnessStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Not yet confirmed by the witness"
    CONFIRMED = "confirmed", "Confirmed by the witness"
    CORRECTED = "corrected", "Corrected and confirmed by the witness"


class Evidence(models.Model):
    """One item of evidence in a learner's portfolio: the workbook's evidence reference table row."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="evidence")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    method = models.ForeignKey("units.AssessmentMethod", on_delete=models.PROTECT, related_name="+")
    activity_date = models.DateField("date of the activity")
    setting = models.CharField("where it happened", max_length=20, choices=EvidenceSetting.choices)
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
