"""The assessor's judgements: claims confirmed or rejected, feedback, and the assessment plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from assessments.models.evidence import Evidence
from assessments.models.portfolio import Portfolio


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class ClaimJudgement(models.Model):
    """The assessor's verdict on one thing an item claims: a criterion, or a range item."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="judgements")
    criterion = models.ForeignKey("units.Criterion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    range_item = models.ForeignKey("units.RangeItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    judged_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(criterion__isnull=False, range_item__isnull=True)
                | Q(criterion__isnull=True, range_item__isnull=False),
                name="judgement_one_claim",
            ),
            models.UniqueConstraint(
                fields=["evidence", "criterion"], condition=Q(criterion__isnull=False), name="judgement_criterion_once"
            ),
            models.UniqueConstraint(
                fields=["evidence", "range_item"], condition=Q(range_item__isnull=False), name="judgement_range_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence.reference}: {self.criterion or self.range_item} {self.verdict}"


class Feedback(models.Model):
    """One message in an item's feedback thread between learner and assessor."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} on {self.evidence.reference}"


class AssessmentPlan(models.Model):
    """What is to be gathered, by which method, by when: agreed by learner and assessor."""

    portfolio = models.OneToOneField(Portfolio, on_delete=models.CASCADE, related_name="plan")
    learner_agreed_at = models.DateTimeField(null=True, blank=True)
    assessor_agreed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Assessment plan for {self.portfolio}"


class PlanAction(models.Model):
    plan = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    method = models.ForeignKey("units.AssessmentMethod", on_delete=models.PROTECT, related_name="+")
    criteria = models.ManyToManyField("units.Criterion", blank=True, related_name="+")
    range_items = models.ManyToManyField("units.RangeItem", blank=True, related_name="+")
    due_date = models.DateField()

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description[:60]
