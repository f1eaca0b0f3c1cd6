"""The audit trail's filter: a GET form, every field optional."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from assessments.centre.forms import PersonChoiceField
from assessments.models import Portfolio
from audit.models import AuditEvent
from audit.trail import action_choices, action_label
from people.models import Centre, User
from portfolio.forms import DateInput
from units.models import Unit

FILTER_FIELDS = ("person", "learner", "unit", "action", "date_from", "date_to")


class LearnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.title


class TrailFilterForm(forms.Form):
    person = PersonChoiceField(label="Person", queryset=User.objects.none(), required=False, empty_label="Anyone")
    learner = LearnerChoiceField(label="Learner", queryset=User.objects.none(), required=False, empty_label="Any")
    unit = UnitChoiceField(label="Unit", queryset=Unit.objects.none(), required=False, empty_label="Any")
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(
        self, *args: Any, centre: Centre, base: QuerySet[AuditEvent], sample: QuerySet[Portfolio] | None = None, **kw
    ) -> None:
        """`base` is every row the reader may see; `sample`, for an EV, the portfolios they may see rows about."""
        super().__init__(*args, **kw)
        registrations = sample if sample is not None else Portfolio.objects.filter(centre=centre)
        if sample is None:
            # Anyone who has held a role at the centre, or verified it: people who have left still have rows.
            people = User.objects.filter(Q(memberships__centre=centre) | Q(ev_roles__allocations__centre=centre))
        else:
            # An EV is shown only the people in the rows they may read, not the centre's whole staff list.
            people = User.objects.filter(pk__in=base.values("actor_id"))
        self.fields["person"].queryset = people.distinct().order_by("full_name", "email")
        self.fields["learner"].queryset = User.objects.filter(pk__in=registrations.values("learner_id")).order_by(
            "full_name", "email"
        )
        self.fields["unit"].queryset = (
            Unit.objects.filter(pk__in=registrations.values("unit_id")).only("pk", "title").order_by("title")
        )
        self.fields["action"].choices = [("", "Any"), *action_choices(base)]
        for name in ("person", "learner", "unit", "action"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "This date is before the “From” date: swap them round.")
        return data

    def filters(self) -> dict[str, Any]:
        """The filters that are valid; a field in error filters nothing (the page says why next to it)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    def describe(self) -> dict[str, str]:
        """The filters in words and ids, for the audit row of an export."""
        described: dict[str, str] = {}
        for name, value in self.filters().items():
            if name in ("person", "learner"):
                described[name] = f"{value.full_name} (#{value.pk})"
            elif name == "unit":
                described[name] = f"{value.title} (#{value.pk})"
            elif name == "action":
                described[name] = value
            else:
                described[name] = value.strftime("%d/%m/%Y")
        return described

    def summary(self) -> str:
        words = {"person": "person", "learner": "learner", "unit": "unit", "date_from": "from", "date_to": "to"}
        parts = []
        for name, value in self.describe().items():
            parts.append(f"action {action_label(value)}" if name == "action" else f"{words[name]} {value}")
        return ", ".join(parts) or "no filters"
