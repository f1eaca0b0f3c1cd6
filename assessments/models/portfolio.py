"""A learner's portfolio: their registration on one unit at one centre.

Evidence, judgements and the sign-off chain hang off the portfolio.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property


class PortfolioStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted by the learner"
    ASSESSOR_SIGNED = "assessor_signed", "Signed by the assessor"
    ASSESSOR_COUNTERSIGNED = "assessor_countersigned", "Assessor's decision countersigned"
    IV_SIGNED = "iv_signed", "Signed by the IV"
    IV_COUNTERSIGNED = "iv_countersigned", "IV's decision countersigned"
    IV_RELEASED = "iv_released", "Released by the IV without sampling"
    EV_SIGNED = "ev_signed", "Signed by the EV"
    COMPLETE = "complete", "Complete"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = PortfolioStatus
# Every move a portfolio's status may make; services/signoff.py refuses any other. Moving back is a referral
# (to in progress) or a signature withdrawn (to the status before it).
TRANSITIONS: dict[str, set[str]] = {
    S.IN_PROGRESS: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.ASSESSOR_SIGNED, S.IN_PROGRESS, S.WITHDRAWN},
    S.ASSESSOR_SIGNED: {S.ASSESSOR_COUNTERSIGNED, S.IV_SIGNED, S.IV_RELEASED, S.COMPLETE, S.SUBMITTED, S.IN_PROGRESS},
    S.ASSESSOR_COUNTERSIGNED: {S.IV_SIGNED, S.IV_RELEASED, S.COMPLETE, S.ASSESSOR_SIGNED, S.IN_PROGRESS},
    S.IV_SIGNED: {
        S.IV_COUNTERSIGNED,
        S.EV_SIGNED,
        S.COMPLETE,
        S.ASSESSOR_SIGNED,
        S.ASSESSOR_COUNTERSIGNED,
        S.IN_PROGRESS,
    },
    S.IV_COUNTERSIGNED: {S.EV_SIGNED, S.COMPLETE, S.IV_SIGNED, S.IN_PROGRESS},
    S.IV_RELEASED: {S.EV_SIGNED, S.COMPLETE, S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED, S.IN_PROGRESS},
    S.EV_SIGNED: {S.COMPLETE},
    S.COMPLETE: set(),
    S.WITHDRAWN: set(),
}
# From the assessor's signature on, the evidence behind the unit cannot change (a database trigger agrees).
LOCKED_STATUSES = frozenset(
    {
        S.ASSESSOR_SIGNED,
        S.ASSESSOR_COUNTERSIGNED,
        S.IV_SIGNED,
        S.IV_COUNTERSIGNED,
        S.IV_RELEASED,
        S.EV_SIGNED,
        S.COMPLETE,
    }
)


def uln_check_digit(first_nine: str) -> int | None:
    """The check digit of a unique learner number: the first nine digits weighted 10 down to 2, summed, and the
    remainder after dividing by 11 taken from 10. A remainder of 0 gives no check digit: no ULN starts that way."""
    remainder = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def validate_uln(value: str) -> None:
    if len(value) != 10 or not value.isdigit() or value[0] == "0":
        raise ValidationError("A unique learner number is 10 digits, the first not 0.")
    if uln_check_digit(value[:9]) != int(value[9]):
        raise ValidationError("This is not a unique learner number: its last digit does not check. Copy it again.")


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
    # What an awarding body asks for when the centre claims the certificate; empty until the centre enters them.
    uln = models.CharField(
        "unique learner number", max_length=10, blank=True, validators=[validate_uln], help_text="10 digits."
    )
    enrolment_number = models.CharField(
        "awarding body's enrolment number", max_length=30, blank=True, help_text="As the awarding body issued it."
    )
    # The qualification registration this unit was registered under; empty for a unit registered on its own.
    qualification_registration = models.ForeignKey(
        "assessments.QualificationRegistration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portfolios",
    )
    # When the centre claimed the certificate for the completed unit; empty: not claimed yet.
    claimed_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateField()
    planned_end_date = models.DateField()
    status = models.CharField(max_length=30, choices=PortfolioStatus.choices, default=PortfolioStatus.IN_PROGRESS)
    # The last evidence number handed out: references are never reused, even after a deletion.
    evidence_counter = models.PositiveIntegerField(default=0)
    # Each referral back to the learner starts a new round; signatures and referrals keep the round they belong to.
    round = models.PositiveIntegerField(default=1)
    iv_sampled = models.BooleanField("sampled by the IV", default=False)
    ev_sampled = models.BooleanField("sampled by the EV", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        ordering = ["learner__full_name", "unit__title"]
        indexes = [
            # The centre admin's registrations list, newest first, a page at a time without sorting the centre.
            models.Index(fields=["centre", "-id"], name="portfolio_centre_newest"),
            # The tallies' recount (current, complete, needing an assessor or IV) counts from this index alone.
            models.Index(fields=["centre", "status", "assessor", "iv"], name="portfolio_centre_totals"),
        ]
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
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @cached_property
    def unit_code(self):  # -> UnitCode | None
        """The unit's number under the learner's awarding body ("220" for City & Guilds)."""
        for code in self.unit.codes.all():
            if code.awarding_body_id == self.awarding_body_id:
                # The body is already here: spare every caller a query for it.
                code.awarding_body = self.awarding_body
                return code
        return None


class RegistrationTally(models.Model):
    """A centre's registrations as the admin's dashboard totals them: current (not withdrawn), complete, and current
    but without an assessor or an IV. Kept by the database as portfolios are written (triggers, migration
    assessments 0020), so the dashboard reads this row rather than counting the centre; repaired by
    assessments.centre.tallies if rows were ever written past the triggers."""

    centre = models.OneToOneField(
        "people.Centre", on_delete=models.CASCADE, primary_key=True, related_name="registration_tally"
    )
    current = models.IntegerField(default=0)
    complete = models.IntegerField(default=0)
    unassigned = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.centre}: {self.current} current, {self.complete} complete, {self.unassigned} unassigned"
