"""Internal and external quality assurance: the centre's sampling policy, the IV's sampling plans and reports
with their action points, and the EV's visits and findings.

An IV samples from the units they are assigned to verify. What a sample covers is worked out from these rows
and the portfolios' evidence (see quality/camera.py), never stored twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


def _rate(default: int, label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Per cent"
    )


class AssessorRisk(models.TextChoices):
    """How closely an assessor's decisions are sampled; each band has its own target rate, set by the centre."""

    QUALIFYING = "qualifying", "Still qualifying"
    NEW = "new", "New to the centre"
    DISAGREED = "disagreed", "IV disagreed with a decision in the last year"
    EXPERIENCED = "experienced", "Experienced, no disagreements"


class SamplingPolicy(models.Model):
    """The centre's risk-based target sampling rates, as a percentage of each assessor's units."""

    centre = models.OneToOneField("people.Centre", on_delete=models.CASCADE, related_name="sampling_policy")
    qualifying_rate = _rate(100, "assessor still qualifying")
    new_rate = _rate(50, "assessor new to the centre")
    disagreed_rate = _rate(30, "assessor the IV disagreed with in the last year")
    experienced_rate = _rate(10, "experienced assessor, no disagreements")
    new_for_months = models.PositiveSmallIntegerField(
        "an assessor counts as new for",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Months from joining the centre",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "sampling policies"

    def __str__(self) -> str:
        return f"Sampling policy of {self.centre}"

    def rate_for(self, risk: str) -> int:
        return {
            AssessorRisk.QUALIFYING: self.qualifying_rate,
            AssessorRisk.NEW: self.new_rate,
            AssessorRisk.DISAGREED: self.disagreed_rate,
            AssessorRisk.EXPERIENCED: self.experienced_rate,
        }[AssessorRisk(risk)]


class SampleStage(models.TextChoices):
    INTERIM = "interim", "Interim (before sign-off)"
    SUMMATIVE = "summative", "Summative (after the assessor signs)"


class SampleScope(models.TextChoices):
    UNIT = "unit", "One learner's unit"
    LEARNER = "learner", "A learner's whole portfolio"
    CRITERION = "criterion", "An assessor's decisions on one criterion, across learners"


class SamplingPlan(models.Model):
    """One IV's plan of what to sample at one centre over a period."""

    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="sampling_plans")
    iv = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sampling_plans")
    title = models.CharField(max_length=200)
    starts_on = models.DateField("from")
    ends_on = models.DateField("to")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="sampling_plan_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class SampleItem(models.Model):
    """One thing the plan samples: a unit, a learner's whole portfolio, or an assessor's decisions on a criterion."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="items")
    scope = models.CharField(max_length=20, choices=SampleScope.choices)
    stage = models.CharField(max_length=20, choices=SampleStage.choices)
    portfolio = models.ForeignKey(
        "assessments.Portfolio", on_delete=models.PROTECT, null=True, blank=True, related_name="sample_items"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    criterion = models.ForeignKey("units.Criterion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    planned_for = models.DateField("sample by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_for", "pk"]
        constraints = [
            # Each scope names exactly what it samples and nothing else.
            models.CheckConstraint(
                condition=(
                    Q(
                        scope="unit",
                        portfolio__isnull=False,
                        learner__isnull=True,
                        assessor__isnull=True,
                        criterion__isnull=True,
                    )
                    | Q(
                        scope="learner",
                        portfolio__isnull=True,
                        learner__isnull=False,
                        assessor__isnull=True,
                        criterion__isnull=True,
                    )
                    | Q(
                        scope="criterion",
                        portfolio__isnull=True,
                        learner__isnull=True,
                        assessor__isnull=False,
                        criterion__isnull=False,
                    )
                ),
                name="sample_item_scope_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.get_stage_display()})"


class Agreement(models.TextChoices):
    AGREE = "agree", "I agree with the assessment decision"
    DISAGREE = "disagree", "I disagree with the assessment decision"


class IVReport(models.Model):
    """The IV's report on a sample: on one unit (in one round of it), or on an assessor's decisions on a criterion.

    A report is a record the IV stands behind at a visit: it is never changed once written.
    """

    iv = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="iv_reports")
    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="iv_reports")
    sample_item = models.ForeignKey(SampleItem, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")
    # Whose decisions were sampled: the unit's assessor, or the assessor of a criterion sample.
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    portfolio = models.ForeignKey(
        "assessments.Portfolio", on_delete=models.PROTECT, null=True, blank=True, related_name="iv_reports"
    )
    round = models.PositiveIntegerField(null=True, blank=True)
    criterion = models.ForeignKey("units.Criterion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    stage = models.CharField(max_length=20, choices=SampleStage.choices)
    agreement = models.CharField("decision", max_length=20, choices=Agreement.choices)
    feedback = models.TextField("feedback to the assessor")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(portfolio__isnull=False, round__isnull=False)
                | Q(portfolio__isnull=True, criterion__isnull=False),
                name="iv_report_on_unit_or_criterion",
            ),
            # An IV never reports on their own assessment decisions.
            models.CheckConstraint(condition=~Q(iv=F("assessor")), name="iv_report_not_own_decisions"),
        ]

    def __str__(self) -> str:
        return f"IV report by {self.iv} ({self.get_agreement_display()})"


class ActionPoint(models.Model):
    """Something the IV asks the assessor to do, by a date. The assessor marks it done."""

    report = models.ForeignKey(IVReport, on_delete=models.PROTECT, related_name="actions")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_points")
    text = models.TextField("action")
    due_on = models.DateField("due by")
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField("what was done", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class EVVisit(models.Model):
    """A visit by an external verifier, prepared by a centre admin.

    The EV may read the sampled portfolios (and the audit trail about them) from the first to the last day of
    the visit, Europe/London dates, and nothing else of the centre unless they are also allocated to it. Access
    ends by itself: every check compares today's date with the visit's.
    """

    centre = models.ForeignKey("people.Centre", on_delete=models.PROTECT, related_name="ev_visits")
    external_verifier = models.ForeignKey("people.ExternalVerifier", on_delete=models.PROTECT, related_name="visits")
    starts_on = models.DateField("first day")
    ends_on = models.DateField("last day")
    purpose = models.TextField("purpose and notes", blank=True)
    sample = models.ManyToManyField("assessments.Portfolio", related_name="ev_visits", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When the visit's end (or cancellation) was dealt with: the units it held that its EV left unsigned were
    # released from the EV's sample (quality/services/visits.py). Set once.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="ev_visit_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Visit to {self.centre} by {self.external_verifier.user} from {self.starts_on:%d/%m/%Y}"


class EVFinding(models.Model):
    """The EV's findings on one sampled unit in one round; never changed once recorded."""

    portfolio = models.ForeignKey("assessments.Portfolio", on_delete=models.PROTECT, related_name="ev_findings")
    round = models.PositiveIntegerField()
    ev = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(EVVisit, on_delete=models.PROTECT, null=True, blank=True, related_name="findings")
    agreement = models.CharField(
        "decision",
        max_length=20,
        choices=[("agree", "I agree with the assessment and verification decisions"), ("disagree", "I disagree")],
    )
    findings = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"EV findings on {self.portfolio}"
