"""Forms for EV visits and the EV's findings. The services check the rules; these only read what was posted."""

from __future__ import annotations

from django import forms

from assessments.models import Portfolio
from people.models import Centre, ExternalVerifier
from portfolio.forms import DateInput
from quality.models import EVFinding


class ExternalVerifierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ExternalVerifier) -> str:
        return f"{obj.user.full_name} ({obj.user.email}), {obj.awarding_body.name}"


def current_registrations(centre: Centre):
    """Every registration at the centre the EV could sample, with what the sample table shows."""
    return (
        Portfolio.objects.filter(centre=centre)
        .current()
        .with_people()
        .order_by("learner__full_name", "unit__title", "pk")
    )


class VisitForm(forms.Form):
    external_verifier = ExternalVerifierChoiceField(
        label="External verifier",
        queryset=ExternalVerifier.objects.none(),
        help_text="Their awarding body decides which registrations they may sample.",
    )
    starts_on = forms.DateField(label="First day", widget=DateInput())
    ends_on = forms.DateField(
        label="Last day", widget=DateInput(), help_text="The EV's access ends by itself after this day."
    )
    purpose = forms.CharField(
        label="Purpose and notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The EV sees this on the visit page.",
    )
    # Shown as a table of checkboxes in the template; the service says what is wrong with a choice.
    sample = forms.ModelMultipleChoiceField(
        label="Registrations to sample", queryset=Portfolio.objects.none(), required=False
    )

    def __init__(self, *args: object, centre: Centre, with_ev: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample"].queryset = current_registrations(centre)
        if with_ev:
            self.fields["external_verifier"].queryset = (
                ExternalVerifier.objects.filter(is_active=True, user__is_active=True)
                .select_related("user", "awarding_body")
                .order_by("user__full_name", "awarding_body__name")
            )
        else:
            # A visit keeps its EV: another EV means another visit.
            del self.fields["external_verifier"]

    def selected_ids(self) -> set[int]:
        """The registrations ticked: as posted when the form is bound, else as it started."""
        if self.is_bound:
            return {int(v) for v in self.data.getlist("sample") if str(v).isdigit()}  # type: ignore[attr-defined]
        return {p.pk for p in self.initial.get("sample", [])}


class FindingsForm(forms.Form):
    agreement = forms.ChoiceField(
        label="Your decision",
        choices=EVFinding._meta.get_field("agreement").choices,
        widget=forms.RadioSelect,
    )
    findings = forms.CharField(
        label="Your findings",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you sampled, what you found and any action the centre should take.",
    )
