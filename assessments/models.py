"""A learner's portfolio: their registration on one unit at one centre.

Evidence, judgements and the sign-off chain hang off the portfolio.
"""

from __future__ import annotations

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
