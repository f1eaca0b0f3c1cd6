"""A learner's registration on a qualification at a centre. The qualification's units are then each registered as
their own portfolio, which names this registration and keeps the unit version it started on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class QualificationRegistration(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualification_registrations"
    )
    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="qualification_registrations")
    # The version the learner starts on; a later version of the qualification is another registration's.
    qualification = models.ForeignKey("units.Qualification", on_delete=models.PROTECT, related_name="registrations")
    learner_number = models.CharField(max_length=30)
    start_date = models.DateField()
    planned_end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            # The centre admin's list, newest first, a page at a time (as the unit registrations).
            models.Index(fields=["centre", "-id"], name="qualreg_centre_newest"),
            # The admin's dashboard: the registrations whose planned end comes soonest.
            models.Index(fields=["centre", "planned_end_date"], name="qualreg_centre_end"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["learner", "centre", "qualification"], name="qualreg_one_per_learner"),
            models.CheckConstraint(condition=Q(planned_end_date__gte=F("start_date")), name="qualreg_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} – {self.qualification}"
