"""Forms for the IV's sampling plans and the centre's sampling policy. The services hold the rules; these only
turn what was posted into values and say plainly what is missing."""

from __future__ import annotations

from django import forms

from people.models import User
from portfolio.forms import DateInput
from quality.models import SampleStage
from units.models import Criterion

RATE_MESSAGES = {
    "required": "Enter a rate from 0 to 100.",
    "invalid": "Enter a whole number from 0 to 100.",
    "min_value": "The rate cannot be below 0%%.",
    "max_value": "The rate cannot be above 100%%.",
}


class PlanForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, help_text="For example, the period it covers.")
    starts_on = forms.DateField(label="From", widget=DateInput())
    ends_on = forms.DateField(label="To", widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", "The plan must end on or after the day it starts.")
        return data


class SampleForm(forms.Form):
    """When and at which stage to sample a unit or a learner: posted from a small form on each row."""

    stage = forms.ChoiceField(
        label="Stage", choices=SampleStage.choices, error_messages={"required": "Choose interim or summative."}
    )
    planned_for = forms.DateField(
        label="Sample by",
        widget=DateInput(),
        error_messages={"required": "Enter the date you will sample it by.", "invalid": "Enter a real date."},
    )


class CriterionSampleForm(SampleForm):
    """An assessor's decisions on one criterion, across their learners in the IV's population."""

    assessor = forms.ModelChoiceField(
        label="Assessor",
        queryset=User.objects.all(),
        error_messages={"required": "Choose the assessor whose decisions you will sample."},
    )
    criterion = forms.ModelChoiceField(
        label="Criterion",
        queryset=Criterion.objects.select_related("outcome"),
        error_messages={"required": "Choose a criterion."},
    )

    field_order = ["assessor", "criterion", "stage", "planned_for"]

    def __init__(self, *args: object, assessors: list[User], criteria: list[Criterion], **kwargs: object) -> None:
        # Its own ids: it shares the plan page with the learner and record form, which has a stage and date too.
        kwargs.setdefault("auto_id", "criterion_%s")
        super().__init__(*args, **kwargs)
        # The lists offer only the IV's population; anything else posted is still looked up, so the service
        # can say why it is refused (their own decisions, or not an assessor they verify) beside the field.
        self.fields["assessor"].widget.choices = [("", "Choose an assessor")] + [(a.pk, a.full_name) for a in assessors]
        self.fields["criterion"].widget.choices = [("", "Choose a criterion")] + [
            (c.pk, f"{c.code} {c.text[:90]}") for c in criteria
        ]


def _rate(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=100,
        help_text="Per cent of the assessor's units, 0 to 100.",
        error_messages=RATE_MESSAGES,
    )


class PolicyForm(forms.Form):
    qualifying_rate = _rate("Assessor still qualifying")
    new_rate = _rate("Assessor new to the centre")
    disagreed_rate = _rate("Assessor the IV disagreed with in the last year")
    experienced_rate = _rate("Experienced assessor, no disagreements")
    new_for_months = forms.IntegerField(
        label="An assessor counts as new for (months)",
        min_value=1,
        max_value=60,
        help_text="Months from joining the centre, 1 to 60.",
        error_messages={
            "required": "Enter a number of months from 1 to 60.",
            "invalid": "Enter a whole number of months from 1 to 60.",
            "min_value": "Enter at least 1 month.",
            "max_value": "Enter at most 60 months.",
        },
    )
