from __future__ import annotations

from django import forms

from assessments.models import EvidenceSetting, Portfolio
from people.models import Centre, Role, User
from portfolio.forms import DateInput
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem, UnitCode


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class UnitCodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: UnitCode) -> str:
        return f"{obj.awarding_body.name} {obj.code}: {obj.unit.title}"


def people_with_role(centre: Centre, role: Role):
    return User.objects.filter(
        memberships__centre=centre, memberships__role=role, memberships__is_active=True
    ).order_by("full_name")


class AssignForm(forms.Form):
    assessor = PersonChoiceField(
        label="Assessor", queryset=User.objects.none(), required=False, empty_label="Not yet assigned"
    )
    iv = PersonChoiceField(
        label="Internal verifier", queryset=User.objects.none(), required=False, empty_label="Not yet assigned"
    )

    def __init__(self, *args: object, centre: Centre, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = people_with_role(centre, Role.ASSESSOR)
        self.fields["iv"].queryset = people_with_role(centre, Role.IV)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("assessor") and data.get("assessor") == data.get("iv"):
            self.add_error("iv", "An internal verifier cannot verify their own assessment decisions.")
        return data


class RegisterForm(AssignForm):
    learner = PersonChoiceField(label="Learner", queryset=User.objects.none())
    unit_code = UnitCodeChoiceField(
        label="Unit",
        queryset=UnitCode.objects.select_related("unit", "awarding_body").order_by(
            "unit__title", "awarding_body__name"
        ),
    )
    learner_number = forms.CharField(label="Learner number", max_length=30)
    start_date = forms.DateField(label="Start date", widget=DateInput())
    planned_end_date = forms.DateField(label="Planned end date", widget=DateInput())

    field_order = ["learner", "unit_code", "learner_number", "start_date", "planned_end_date", "assessor", "iv"]

    def __init__(self, *args: object, centre: Centre, **kwargs: object) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        self.fields["learner"].queryset = people_with_role(centre, Role.LEARNER)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end date must be on or after the start date.")
        return data


class EvidenceForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    method = forms.ModelChoiceField(label="Assessment method", queryset=AssessmentMethod.objects.none())
    activity_date = forms.DateField(label="Date of the activity", widget=DateInput())
    setting = forms.ChoiceField(
        label="Where it happened",
        choices=EvidenceSetting.choices,
        widget=forms.RadioSelect,
        help_text="Simulation cannot count towards what you must do or the range in this unit.",
    )
    description = forms.CharField(
        label="Description or written account",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    criteria = forms.ModelMultipleChoiceField(
        label="Criteria this evidence covers",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    range_items = forms.ModelMultipleChoiceField(
        label="Situations it shows (what you must cover)",
        queryset=RangeItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    witness_name = forms.CharField(label="Witness's name", max_length=150, required=False)
    witness_job_title = forms.CharField(label="Witness's job title", max_length=150, required=False)
    witness_relationship = forms.CharField(label="Their relationship to you", max_length=150, required=False)
    witness_email = forms.EmailField(label="Witness's email address", required=False)
    witness_statement = forms.CharField(
        label="Witness's statement", widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args: object, portfolio: Portfolio, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        unit = portfolio.unit
        self.fields["method"].queryset = unit.methods.order_by("order")
        self.fields["criteria"].queryset = (
            Criterion.objects.filter(outcome__unit=unit).select_related("outcome").order_by("outcome__number", "number")
        )
        self.fields["range_items"].queryset = RangeItem.objects.filter(unit=unit).order_by("letter")
        self.unit_code = portfolio.unit_code

    def criteria_by_outcome(self) -> list[tuple[LearningOutcome, list[tuple[str, Criterion, bool]]]]:
        """The criteria boxes grouped by learning outcome, each with its label and text, for the template."""
        chosen = {str(v) for v in (self["criteria"].value() or [])}
        groups: dict[int, tuple[LearningOutcome, list]] = {}
        for criterion in self.fields["criteria"].queryset:
            group = groups.setdefault(criterion.outcome_id, (criterion.outcome, []))
            group[1].append((criterion.label(self.unit_code), criterion, str(criterion.pk) in chosen))
        return list(groups.values())
