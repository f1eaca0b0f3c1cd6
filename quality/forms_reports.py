"""The IV's report form with its action points, and the assessor's note when marking an action done."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from portfolio.forms import DateInput
from quality.models import Agreement
from quality.services.reports import ACTION_TEXT_MAX, FEEDBACK_MAX

# Blank rows offered for action points, with no script to add more: most reports need one or two.
ACTION_ROWS = 3
ACTION_MAX = 10


class IVReportForm(forms.Form):
    agreement = forms.ChoiceField(label="Your decision", choices=Agreement.choices, widget=forms.RadioSelect)
    feedback = forms.CharField(
        label="Feedback to the assessor",
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you sampled, what you found, and why you agree or disagree. The assessor reads this.",
    )


class ActionPointForm(forms.Form):
    text = forms.CharField(
        label="What the assessor is to do",
        max_length=ACTION_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_on = forms.DateField(label="Due by", required=False, widget=DateInput())

    def clean_due_on(self) -> datetime.date | None:
        due_on = self.cleaned_data.get("due_on")
        if due_on is not None and due_on < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        return due_on

    def clean(self) -> dict:
        data = super().clean()
        text = (data.get("text") or "").strip()
        if text and data.get("due_on") is None and "due_on" not in self.errors:
            self.add_error("due_on", "Give the date it is due by.")
        if not text and data.get("due_on") is not None:
            self.add_error("text", "Say what the assessor is to do by this date.")
        return data


class BaseActionPointFormSet(forms.BaseFormSet):
    def actions(self) -> list[tuple[str, datetime.date | None]]:
        """The rows filled in, in order, as the service takes them."""
        return [
            ((form.cleaned_data.get("text") or "").strip(), form.cleaned_data.get("due_on"))
            for form in self.forms
            if form.cleaned_data.get("text") or form.cleaned_data.get("due_on")
        ]


ActionPointFormSet = forms.formset_factory(
    ActionPointForm,
    formset=BaseActionPointFormSet,
    extra=ACTION_ROWS,
    max_num=ACTION_MAX,
    validate_max=True,
)


class ActionDoneForm(forms.Form):
    note = forms.CharField(
        label="What you did (optional)",
        max_length=ACTION_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
