from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from assessments.centre.forms import PersonChoiceField, people_with_role
from assessments.models import Portfolio, PortfolioStatus
from people.models import Centre, Role
from portfolio.forms import DateInput


class CohortFilterForm(forms.Form):
    """Which registrations a cohort export takes: by assessor, status and start date."""

    assessor = PersonChoiceField(label="Assessor", queryset=Portfolio.objects.none(), required=False, empty_label="Any")
    status = forms.ChoiceField(label="Status", choices=[("", "Any"), *PortfolioStatus.choices], required=False)
    start_from = forms.DateField(label="Started on or after", required=False, widget=DateInput())
    start_to = forms.DateField(label="Started on or before", required=False, widget=DateInput())

    def __init__(self, *args, centre: Centre, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.centre = centre
        self.fields["assessor"].queryset = people_with_role(centre, Role.ASSESSOR)
        for name in ("assessor", "status"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("start_from", "start_to"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_from"), data.get("start_to")
        if start and end and end < start:
            self.add_error("start_to", "This date is before the first one: swap them round.")
        return data

    def portfolios(self):
        qs = (
            Portfolio.objects.filter(centre=self.centre)
            .with_people()
            .prefetch_related("unit__codes")
            .order_by("learner__full_name", "unit__title", "pk")
        )
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("assessor"):
            qs = qs.filter(assessor=data["assessor"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("start_from"):
            qs = qs.filter(start_date__gte=data["start_from"])
        if data.get("start_to"):
            qs = qs.filter(start_date__lte=data["start_to"])
        return qs

    def describe(self) -> str:
        data = self.cleaned_data if self.is_valid() else {}
        parts = []
        if data.get("assessor"):
            parts.append(f"assessor {data['assessor'].full_name}")
        if data.get("status"):
            parts.append(f"status {PortfolioStatus(data['status']).label.lower()}")
        if data.get("start_from"):
            parts.append(f"started from {data['start_from']:%d/%m/%Y}")
        if data.get("start_to"):
            parts.append(f"started by {data['start_to']:%d/%m/%Y}")
        return ", ".join(parts) or "every registration"


class CohortStartForm(CohortFilterForm):
    """The filter again, plus the ticked registrations (if any) and whether to add the evidence files."""

    portfolio = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    include_files = forms.BooleanField(label="Include every evidence file (a much larger download)", required=False)
    scope = forms.ChoiceField(choices=[("ticked", "ticked"), ("all", "all")], required=False)

    def __init__(self, *args, centre: Centre, **kwargs) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        # Any registration of this centre may be ticked; the choices are checked against the centre only.
        self.fields["portfolio"].choices = [
            (pk, pk) for pk in Portfolio.objects.filter(centre=centre).values_list("pk", flat=True)
        ]
        self.fields["portfolio"].error_messages["invalid_choice"] = (
            "One of the ticked registrations is not at your centre."
        )

    def chosen(self) -> list[Portfolio]:
        if self.cleaned_data.get("scope") == "ticked":
            ticked = self.cleaned_data.get("portfolio") or []
            if not ticked:
                raise ValidationError(
                    {"portfolio": "Tick at least one registration, or export everything that matches."}
                )
            return list(Portfolio.objects.filter(centre=self.centre, pk__in=ticked).with_people())
        return list(self.portfolios())
