"""The centre admin's forms: registering a learner on a unit and assigning the people who assess and verify it."""

from __future__ import annotations

from django import forms

from assessments.policy import OWN_DECISIONS
from people.models import Centre, Role, User
from portfolio.forms import DateInput
from units.models import QualificationUnit, UnitCode


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class UnitCodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: UnitCode) -> str:
        # The unit's name says its version from the second on: a centre sees which specification it registers on.
        return f"{obj.awarding_body.name} {obj.code}: {obj.unit}"


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
            self.add_error("iv", OWN_DECISIONS)
        return data


class RegisterForm(AssignForm):
    learner = PersonChoiceField(label="Learner", queryset=User.objects.none())
    # Only the newest version of each unit: a changed specification is a new version, and new learners start on it.
    unit_code = UnitCodeChoiceField(
        label="Unit",
        queryset=UnitCode.newest_versions()
        .select_related("unit", "awarding_body")
        .order_by("unit__title", "awarding_body__name"),
    )
    learner_number = forms.CharField(label="Learner number", max_length=30)
    # The awarding body asks for both when the certificate is claimed; either may be entered later.
    uln = forms.CharField(
        label="Unique learner number (ULN)", max_length=20, required=False, help_text="10 digits, if known."
    )
    enrolment_number = forms.CharField(label="Awarding body's enrolment number", max_length=30, required=False)
    start_date = forms.DateField(label="Start date", widget=DateInput())
    planned_end_date = forms.DateField(label="Planned end date", widget=DateInput())

    field_order = [
        "learner",
        "unit_code",
        "learner_number",
        "uln",
        "enrolment_number",
        "start_date",
        "planned_end_date",
        "assessor",
        "iv",
    ]

    def __init__(self, *args: object, centre: Centre, **kwargs: object) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        self.fields["learner"].queryset = people_with_role(centre, Role.LEARNER)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end date must be on or after the start date.")
        return data


class CohortForm(AssignForm):
    """A cohort on a qualification: the learners ticked, each with their learner number beside them, the dates,
    the optional units chosen (the mandatory ones are added whatever is ticked), and who assesses and verifies."""

    learners = forms.ModelMultipleChoiceField(
        label="Learners", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    start_date = forms.DateField(label="Start date", widget=DateInput())
    planned_end_date = forms.DateField(label="Planned end date", widget=DateInput())
    optional_units = forms.ModelMultipleChoiceField(
        label="Optional units",
        queryset=QualificationUnit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(
        self,
        *args: object,
        centre: Centre,
        learners: list[User],
        choices: list,
        numbers: dict[int, str],
        **kwargs: object,
    ) -> None:
        """`learners`: those offered on the page (found by the view, a bounded number); only they can be ticked."""
        super().__init__(*args, centre=centre, **kwargs)
        self.fields["learners"].queryset = people_with_role(centre, Role.LEARNER).filter(
            pk__in=[learner.pk for learner in learners]
        )
        self.rows = []
        for learner in learners:
            name = f"number_{learner.pk}"
            self.fields[name] = forms.CharField(
                label=f"Learner number of {learner.full_name}",
                max_length=30,
                required=False,
                initial=numbers.get(learner.pk, ""),
            )
            self.rows.append((learner, name))
        # Only units loaded in the library can be chosen; the mandatory ones are not a choice.
        optional = [c for c in choices if not c.mandatory and c.code is not None]
        labels = {c.unit.pk: f"Unit {c.unit.number}: {c.code.unit} (group {c.group.number})" for c in optional}
        field = self.fields["optional_units"]
        field.queryset = QualificationUnit.objects.filter(pk__in=list(labels)).order_by("group__number", "position")
        field.label_from_instance = lambda obj: labels[obj.pk]

    def learner_rows(self):
        """Each learner with their tick box and the bound number field beside it, for the page."""
        picked = {str(v) for v in (self["learners"].value() or [])}
        return [(learner, str(learner.pk) in picked, self[name]) for learner, name in self.rows]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end date must be on or after the start date.")
        learners = data.get("learners") or []
        if not learners and "learners" not in self.errors:
            self.add_error("learners", "Choose at least one learner.")
        cohort = []
        for learner in learners:
            name = f"number_{learner.pk}"
            number = (data.get(name) or "").strip()
            if not number:
                self.add_error(name, f"Enter the learner number of {learner.full_name}.")
            cohort.append((learner, number))
        data["cohort"] = cohort
        return data


class QualificationUnitsForm(AssignForm):
    """More units of a learner's qualification: those loaded and not yet registered, ticked."""

    units = forms.ModelMultipleChoiceField(
        label="Units", queryset=QualificationUnit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    field_order = ["units", "assessor", "iv"]

    def __init__(self, *args: object, centre: Centre, choices: list, registered: set[str], **kwargs: object) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        offered = [c for c in choices if c.code is not None and c.unit.number not in registered]
        labels = {
            c.unit.pk: f"Unit {c.unit.number}: {c.code.unit} (group {c.group.number}, "
            + ("mandatory)" if c.mandatory else "optional)" if c.group.kind else "group rules not stated)")
            for c in offered
        }
        field = self.fields["units"]
        field.queryset = QualificationUnit.objects.filter(pk__in=list(labels)).order_by("group__number", "position")
        field.label_from_instance = lambda obj: labels[obj.pk]
