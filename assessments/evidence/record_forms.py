"""The assessor's own record forms: observation (O), questioning (Q) and professional discussion (PD).

Questioning's question and answer pairs are a formset: "Add another question" posts the form back with one more
row and saves nothing, and each row has a "Remove" box, so rows come and go without JavaScript."""

from __future__ import annotations

from django import forms
from django.conf import settings

from assessments.evidence.forms import EvidenceForm
from assessments.evidence.services.records import (
    DISCUSSION_MAX_MINUTES,
    NOTE_MAX,
    OBSERVATION_SETTINGS,
    QuestionPair,
    note_key,
)
from assessments.evidence.uploads import ALLOWED, MB
from assessments.models import EvidenceFile, EvidenceSetting, FileKind, Portfolio
from portfolio.forms import DateInput, MultipleFileField, MultipleFileInput
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem, UnitCode

RECORD_LABELS = {
    "O": ("Record an observation", "What you saw the learner do"),
    "Q": ("Record questioning", "Notes (optional)"),
    "PD": ("Record a professional discussion", "Notes of the discussion"),
}
RECORDING_EXTENSIONS = ",".join(
    sorted({ext for t in ALLOWED.values() if t.kind in (FileKind.AUDIO, FileKind.VIDEO) for ext in t.extensions})
)
ADD_PAIR = "add_pair"


class TimeInput(forms.TimeInput):
    # The browser's own time picker; it posts 24-hour times whatever it shows.
    input_type = "time"

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class RecordForm(forms.Form):
    """The assessor's own record. The observation's notes are fields named by `note_key` of each criterion and
    range item, shown beside its box."""

    title = forms.CharField(label="Title", max_length=200)
    activity_date = forms.DateField(label="Date", widget=DateInput())
    start_time = forms.TimeField(label="Start time", widget=TimeInput())
    end_time = forms.TimeField(label="End time", widget=TimeInput())
    place = forms.CharField(label="Where you observed the learner", max_length=200)
    setting = forms.ChoiceField(
        label="Setting",
        choices=[(s.value, s.label) for s in OBSERVATION_SETTINGS],
        initial=EvidenceSetting.REAL_WORK,
        widget=forms.RadioSelect,
        help_text="A simulation cannot cover what the learner must do, or the range, unless the unit allows it.",
    )
    topics = forms.CharField(
        label="Topics discussed", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=True
    )
    duration_minutes = forms.IntegerField(label="Duration in minutes", min_value=1, max_value=DISCUSSION_MAX_MINUTES)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 6}), required=False)
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
    feedback = forms.CharField(
        label="Your feedback to the learner", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    learner_password = forms.CharField(
        label="Learner's password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="To acknowledge the observation now, the learner types the password they sign in with. "
        "Leave it empty and the learner acknowledges it later from their own account.",
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

    ONLY = {
        "O": {"start_time", "end_time", "place", "setting", "feedback", "learner_password"},
        "PD": {"topics", "duration_minutes", "files", "remove_files"},
        "Q": set(),
    }

    def __init__(self, *args: object, portfolio: Portfolio, method: AssessmentMethod, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.portfolio = portfolio
        self.method = method
        self.unit_code = portfolio.unit_code
        self.heading, description_label = RECORD_LABELS[method.code]
        self.fields["description"].label = description_label
        self.fields["description"].required = method.code != "Q"
        for code, names in self.ONLY.items():
            if code != method.code:
                for name in names:
                    del self.fields[name]
        if method.code == "Q":
            # Questioning covers the knowledge criteria of its pairs, chosen beside each pair.
            del self.fields["criteria"]
        if method.code == "PD":
            self.fields["files"].widget = MultipleFileInput(
                attrs={
                    "accept": RECORDING_EXTENSIONS,
                    "data-max-files": settings.EVIDENCE_MAX_FILES,
                    "data-max-bytes": settings.EVIDENCE_MAX_UPLOAD_MB * MB,
                }
            )
        self.criteria = list(
            Criterion.objects.filter(outcome__unit_id=portfolio.unit_id)
            .select_related("outcome")
            .order_by("outcome__number", "number")
        )
        self.range_list = list(RangeItem.objects.filter(unit_id=portfolio.unit_id).order_by("letter"))
        if "criteria" in self.fields:
            self.fields["criteria"].queryset = Criterion.objects.filter(pk__in=[c.pk for c in self.criteria])
        self.fields["range_items"].queryset = RangeItem.objects.filter(unit_id=portfolio.unit_id)
        if method.code == "O":
            for claim in [*self.criteria, *self.range_list]:
                self.fields[note_key(claim)] = forms.CharField(
                    label="What you saw", max_length=NOTE_MAX, required=False
                )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The observation must end after it started.")
        return data

    def notes(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if name.startswith("note_")}

    def _chosen(self, name: str) -> set[str]:
        if name not in self.fields:
            return set()
        return {str(getattr(v, "pk", v)) for v in (self[name].value() or [])}

    def criteria_by_outcome(self) -> list[tuple[LearningOutcome, list[tuple[str, Criterion, bool, object]]]]:
        """The criteria boxes grouped by learning outcome, each with its label, whether it is ticked and (for an
        observation) its note field."""
        chosen = self._chosen("criteria")
        groups: dict[int, tuple[LearningOutcome, list]] = {}
        for criterion in self.criteria:
            group = groups.setdefault(criterion.outcome_id, (criterion.outcome, []))
            note = self[note_key(criterion)] if note_key(criterion) in self.fields else None
            group[1].append((criterion.label(self.unit_code), criterion, str(criterion.pk) in chosen, note))
        return list(groups.values())

    def range_choices(self) -> list[tuple[RangeItem, bool, object]]:
        chosen = self._chosen("range_items")
        return [
            (r, str(r.pk) in chosen, self[note_key(r)] if note_key(r) in self.fields else None) for r in self.range_list
        ]


class KnowledgeCriteriaField(forms.ModelMultipleChoiceField):
    def __init__(self, *args: object, unit_code: UnitCode | None = None, **kwargs: object) -> None:
        self.unit_code = unit_code
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Criterion) -> str:
        return f"{obj.label(self.unit_code)} {obj.wording(self.unit_code)}"


class QuestionPairForm(forms.Form):
    question = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    answer = forms.CharField(label="The learner's answer", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: object, portfolio: Portfolio, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criteria"] = KnowledgeCriteriaField(
            label="Knowledge criteria it covers",
            queryset=Criterion.objects.filter(
                outcome__unit_id=portfolio.unit_id, outcome__kind=LearningOutcome.Kind.KNOWLEDGE
            )
            .select_related("outcome")
            .order_by("outcome__number", "number"),
            widget=forms.CheckboxSelectMultiple,
            unit_code=portfolio.unit_code,
        )


class BasePairFormSet(forms.BaseFormSet):
    def __init__(self, *args: object, portfolio: Portfolio, **kwargs: object) -> None:
        self.portfolio = portfolio
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict:
        return {"portfolio": self.portfolio}

    @property
    def empty_form(self) -> QuestionPairForm:  # type: ignore[override]
        form = QuestionPairForm(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            portfolio=self.portfolio,
        )
        self.add_fields(form, None)
        return form

    def pairs(self) -> list[QuestionPair]:
        """The pairs kept: every row filled in and not marked for removal, in order."""
        return [
            QuestionPair(f.cleaned_data["question"], f.cleaned_data["answer"], list(f.cleaned_data["criteria"]))
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


PairFormSet = forms.formset_factory(
    QuestionPairForm, formset=BasePairFormSet, extra=0, can_delete=True, max_num=50, absolute_max=50
)


def adding_pair(data) -> bool:
    """Whether the post asks for one more question row rather than saving."""
    return data is not None and ADD_PAIR in data


def posted_initial(data) -> dict:
    """What was posted, as the initial values of an unbound form: shown again with no errors, as typed."""
    multiple = {"criteria", "range_items"}
    return {name: data.getlist(name) if name in multiple else data.get(name) for name in data}


def pair_formset(data, *, portfolio: Portfolio, initial: list[dict] | None = None) -> BasePairFormSet:
    """The pairs' formset. A new record starts with one empty row. With `data` asking for another row
    (ADD_PAIR), the posted rows (less those marked for removal) come back unbound, with an empty one after them,
    so nothing is checked or saved until the form is sent to be saved."""
    if adding_pair(data):
        total = int(data.get(f"pairs-{forms.formsets.TOTAL_FORM_COUNT}") or 0)
        rows = [
            {
                "question": data.get(f"pairs-{i}-question", ""),
                "answer": data.get(f"pairs-{i}-answer", ""),
                "criteria": data.getlist(f"pairs-{i}-criteria"),
            }
            for i in range(min(total, PairFormSet.absolute_max))
            if not data.get(f"pairs-{i}-DELETE")
        ]
        formset = PairFormSet(None, prefix="pairs", portfolio=portfolio, initial=rows)
        formset.extra = 1
        return formset
    if data is None and not initial:
        return PairFormSet(None, prefix="pairs", portfolio=portfolio, initial=[{}])
    return PairFormSet(data, prefix="pairs", portfolio=portfolio, initial=initial or None)
