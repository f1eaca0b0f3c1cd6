"""Forms for the assessor's side of the evidence: the review of an item, the feedback thread, and the
assessor's own observation, questioning and professional discussion records."""

from __future__ import annotations

from django import forms
from django.conf import settings

from assessments.forms import EvidenceForm
from assessments.models import Decision, EvidenceFile, FileKind, Portfolio, Verdict
from assessments.services.review import FEEDBACK_MAX, Claim
from assessments.uploads import ALLOWED, MB
from portfolio.forms import DateInput, MultipleFileField, MultipleFileInput
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem


def claim_field_name(claim: Claim) -> str:
    return f"claim_c{claim.pk}" if isinstance(claim, Criterion) else f"claim_r{claim.pk}"


class ReviewForm(forms.Form):
    """Accept or send back, a verdict on each claim (one radio pair each), and feedback."""

    decision = forms.ChoiceField(
        label="Your decision on this item",
        choices=[(Decision.ACCEPTED, "Accept the evidence"), (Decision.SENT_BACK, "Send it back to the learner")],
        widget=forms.RadioSelect,
    )
    feedback = forms.CharField(
        label="Feedback to the learner",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=FEEDBACK_MAX,
        help_text="Needed when you send the item back. It is added to the item's feedback thread.",
    )

    def __init__(self, *args: object, claims: list[tuple[str, Claim]], **kwargs: object) -> None:
        """`claims`: (label as the unit prints it, criterion or range item) for each claim the item makes."""
        super().__init__(*args, **kwargs)
        self.claims = claims
        for label, claim in claims:
            self.fields[claim_field_name(claim)] = forms.ChoiceField(
                label=label,
                choices=Verdict.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,
            )

    def claim_rows(self) -> list[tuple[forms.BoundField, str, Claim]]:
        return [(self[claim_field_name(claim)], label, claim) for label, claim in self.claims]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == Decision.ACCEPTED:
            for _, claim in self.claims:
                if not data.get(claim_field_name(claim)):
                    self.add_error(claim_field_name(claim), "Confirm or reject this claim before accepting the item.")
        if data.get("decision") == Decision.SENT_BACK and not (data.get("feedback") or "").strip():
            self.add_error("feedback", "Say what the learner needs to do: sending evidence back needs feedback.")
        return data

    def verdicts(self) -> dict[Claim, str]:
        return {
            claim: self.cleaned_data[claim_field_name(claim)]
            for _, claim in self.claims
            if self.cleaned_data.get(claim_field_name(claim))
        }


class FeedbackForm(forms.Form):
    text = forms.CharField(
        label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=FEEDBACK_MAX, strip=True
    )


RECORD_LABELS = {
    "O": ("Record an observation", "What you saw the learner do"),
    "Q": ("Record questioning", "Notes (optional)"),
    "PD": ("Record a professional discussion", "Notes of the discussion"),
}
RECORDING_EXTENSIONS = ",".join(
    sorted({ext for t in ALLOWED.values() if t.kind in (FileKind.AUDIO, FileKind.VIDEO) for ext in t.extensions})
)


class RecordForm(forms.Form):
    """The assessor's own record: observation (O), questioning (Q) or professional discussion (PD)."""

    title = forms.CharField(label="Title", max_length=200)
    activity_date = forms.DateField(label="Date", widget=DateInput())
    place = forms.CharField(label="Where you observed the learner", max_length=200)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 8}), required=False)
    questions = forms.CharField(
        label="Questions asked and the learner's answers",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Each question you asked, then the learner's answer in their words.",
    )
    criteria = forms.ModelMultipleChoiceField(
        label="Criteria the learner showed",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    range_items = forms.ModelMultipleChoiceField(
        label="Situations it covered (range)",
        queryset=RangeItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    files = MultipleFileField(
        label="Recording (optional)",
        required=False,
        help_text="A sound recording or video of the discussion (MP3, M4A, WAV, Ogg, MP4, QuickTime, WebM, 3GP).",
    )
    remove_files = forms.ModelMultipleChoiceField(
        label="Remove recordings",
        queryset=EvidenceFile.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    # The same size and content checks as the learner's uploads.
    clean_files = EvidenceForm.clean_files

    def __init__(self, *args: object, portfolio: Portfolio, method: AssessmentMethod, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.portfolio = portfolio
        self.method = method
        self.unit_code = portfolio.unit_code
        self.heading, description_label = RECORD_LABELS[method.code]
        self.fields["description"].label = description_label
        self.fields["description"].required = method.code != "Q"
        if method.code != "O":
            del self.fields["place"]
        if method.code != "Q":
            del self.fields["questions"]
        if method.code == "PD":
            self.fields["files"].widget = MultipleFileInput(
                attrs={
                    "accept": RECORDING_EXTENSIONS,
                    "data-max-files": settings.EVIDENCE_MAX_FILES,
                    "data-max-bytes": settings.EVIDENCE_MAX_UPLOAD_MB * MB,
                }
            )
        else:
            del self.fields["files"]
            del self.fields["remove_files"]
        self.fields["criteria"].queryset = (
            Criterion.objects.filter(outcome__unit_id=portfolio.unit_id)
            .select_related("outcome")
            .order_by("outcome__number", "number")
        )
        self.fields["range_items"].queryset = RangeItem.objects.filter(unit_id=portfolio.unit_id).order_by("letter")

    def criteria_by_outcome(self) -> list[tuple[LearningOutcome, list[tuple[str, Criterion, bool]]]]:
        chosen = {str(v) for v in (self["criteria"].value() or [])}
        groups: dict[int, tuple[LearningOutcome, list]] = {}
        for criterion in self.fields["criteria"].queryset:
            group = groups.setdefault(criterion.outcome_id, (criterion.outcome, []))
            group[1].append((criterion.label(self.unit_code), criterion, str(criterion.pk) in chosen))
        return list(groups.values())

    def range_choices(self) -> list[tuple[RangeItem, bool]]:
        chosen = {str(v) for v in (self["range_items"].value() or [])}
        return [(r, str(r.pk) in chosen) for r in self.fields["range_items"].queryset]
