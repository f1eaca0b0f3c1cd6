"""A centre's sufficiency thresholds: how many customers, occasions and weeks it looks for per criterion."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SufficiencyThresholds(models.Model):
    """The centre's own numbers. The specification asks for evidence from different customers, on different
    occasions, over a sufficient period but gives no number, so each is empty (no threshold) until the centre
    sets it: no default pretends to be the awarding body's."""

    centre = models.OneToOneField("people.Centre", on_delete=models.CASCADE, related_name="sufficiency_thresholds")
    min_customers = models.PositiveSmallIntegerField("different customers", null=True, blank=True)
    min_occasions = models.PositiveSmallIntegerField("different occasions", null=True, blank=True)
    min_weeks = models.PositiveSmallIntegerField("weeks between the first and last", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sufficiency thresholds"

    def __str__(self) -> str:
        return f"Sufficiency thresholds for centre {self.centre_id}"

    @property
    def any_set(self) -> bool:
        return any(v is not None for v in (self.min_customers, self.min_occasions, self.min_weeks))
