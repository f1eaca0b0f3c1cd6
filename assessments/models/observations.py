"""What the assessor's own records say beyond an evidence item's common fields: an observation's times, notes per
criterion and range item, feedback and the learner's acknowledgement; questioning as question and answer pairs;
a professional discussion's topics and length. Each hangs off its Evidence row (author "assessor")."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from assessments.models.evidence import Evidence


class Acknowledgement(models.TextChoices):
    PENDING = "pending", "Waiting for the learner's acknowledgement"
    ON_DEVICE = "on_device", "Acknowledged on the assessor's device"
    OWN_ACCOUNT = "own_account", "Acknowledged from the learner's own account"


ACKNOWLEDGED = frozenset({Acknowledgement.ON_DEVICE, Acknowledgement.OWN_ACCOUNT})


class Observation(models.Model):
    """An observation (method O): when it ran, the assessor's feedback and the learner's acknowledgement of it."""

    evidence = models.OneToOneField(Evidence, on_delete=models.CASCADE, related_name="observation")
    start_time = models.TimeField("start time")
    end_time = models.TimeField("end time")
    feedback = models.TextField("the assessor's feedback to the learner")
    acknowledgement = models.CharField(max_length=20, choices=Acknowledgement.choices, default=Acknowledgement.PENDING)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="observation_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Observation {self.evidence.reference}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledgement in ACKNOWLEDGED


class ObservationNote(models.Model):
    """What the assessor saw against one criterion or range item the observation covers."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="notes")
    criterion = models.ForeignKey("units.Criterion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    range_item = models.ForeignKey("units.RangeItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=1000)

    class Meta:
        ordering = ["observation", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(criterion__isnull=False, range_item__isnull=True)
                | models.Q(criterion__isnull=True, range_item__isnull=False),
                name="observation_note_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.note[:60]


class QuestionAnswer(models.Model):
    """One question the assessor asked and the learner's answer, with the knowledge criteria it covers."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="question_answers")
    order = models.PositiveIntegerField()
    question = models.TextField()
    answer = models.TextField("the learner's answer")
    criteria = models.ManyToManyField("units.Criterion", related_name="+")

    class Meta:
        ordering = ["evidence", "order"]

    def __str__(self) -> str:
        return self.question[:60]


class Discussion(models.Model):
    """A professional discussion (method PD): its topics and how long it ran; its recording is an EvidenceFile."""

    evidence = models.OneToOneField(Evidence, on_delete=models.CASCADE, related_name="discussion")
    topics = models.TextField()
    duration_minutes = models.PositiveIntegerField("duration in minutes")

    def __str__(self) -> str:
        return f"Discussion {self.evidence.reference}"
