from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from assessments.evidence.services.files import KeptFile, files_reopen, kept_from_token, kept_token
from assessments.evidence.services.items import cross_reference_candidates
from assessments.evidence.services.witness import ANSWERED, LOCKED_MESSAGE
from assessments.evidence.uploads import MB, InspectedFile, accept_attribute, inspect_upload, size_text
from assessments.models import EvidenceFile, EvidenceSetting, Portfolio
from people.models import User
from portfolio.forms import DateInput, MultipleFileField, MultipleFileInput
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem, UnitCode


class WitnessCorrectionForm(forms.Form):
    """The witness's own wording, when the statement written in their name is not right."""

    statement = forms.CharField(
        label="Your corrected statement",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Change what is not right. The learner's wording stays on record.",
    )


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
    customer_ref = forms.CharField(
        label="Customer (optional)",
        max_length=60,
        required=False,
        help_text="A short reference such as “Customer A” or an order number, not their name or details. "
        "It shows your assessor how many different customers your evidence comes from.",
    )
    occasion_ref = forms.CharField(
        label="Occasion (optional)",
        max_length=60,
        required=False,
        help_text="A reference for the occasion, such as a job or shift number, when there were several "
        "on the same date.",
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
    files = MultipleFileField(
        label="Files",
        required=False,
        help_text="Documents (PDF, Word, Excel, text), photos (JPEG, PNG, HEIC), sound recordings or videos. "
        "A written account needs no file.",
    )
    remove_files = forms.ModelMultipleChoiceField(
        label="Remove files",
        queryset=EvidenceFile.objects.none(),
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

    def __init__(self, *args: object, portfolio: Portfolio, user: User | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        unit = portfolio.unit
        self.fields["method"].queryset = unit.methods.order_by("order")
        self.portfolio = portfolio
        self.user = user
        self._read_kept_files()
        # The learner's other units here: the item may also count towards them (the workbook's cross-references).
        self.other_portfolios = list(
            cross_reference_candidates(portfolio)
            .select_related("unit", "awarding_body")
            .prefetch_related(Prefetch("unit__codes", queryset=UnitCode.objects.select_related("awarding_body")))
            .order_by("unit__title")
        )
        # The cross-referencing list beside this unit leads the picker: the units it names come first, in its order,
        # and say so. The others follow, as the workbook's list gives examples ("e.g."), not a limit.
        self.listed = {
            p.pk
            for p in self.other_portfolios
            if p.awarding_body_id == portfolio.awarding_body_id and _listed_at(portfolio, p) is not None
        }
        self.other_portfolios.sort(key=lambda p: (p.pk not in self.listed, _listed_at(portfolio, p) or 0))
        unit_ids = [unit.pk, *(p.unit_id for p in self.other_portfolios)]
        self.fields["criteria"].queryset = (
            Criterion.objects.filter(outcome__unit_id__in=unit_ids)
            .select_related("outcome")
            .order_by("outcome__number", "number")
        )
        self.fields["range_items"].queryset = RangeItem.objects.filter(unit_id__in=unit_ids).order_by("letter")
        self.unit_code = portfolio.unit_code
        # A statement the witness has answered is fixed: shown as text, and its saved values are the ones kept
        # (a disabled field ignores what is posted). The edit view puts the item's witness_status in `initial`.
        self.witness_answered = self.initial.get("witness_status") in ANSWERED
        if self.witness_answered:
            for name in self.fields:
                if name.startswith("witness_"):
                    self.fields[name].disabled = True
        self.fields["files"].widget = MultipleFileInput(
            attrs={
                "accept": accept_attribute(),
                "data-max-files": settings.EVIDENCE_MAX_FILES,
                "data-max-bytes": settings.EVIDENCE_MAX_UPLOAD_MB * MB,
            }
        )

    def _read_kept_files(self) -> None:
        """Files kept from the learner's last try (see services/files.py), and which of them they now drop."""
        self.kept: list[KeptFile] = []
        self.kept_dropped: list[KeptFile] = []
        self.kept_refused = False
        # Uploads in this request that passed their checks: kept if the form is refused again.
        self.new_files: list[InspectedFile] = []
        if not self.is_bound or self.user is None:
            return
        try:
            kept = kept_from_token(self.data.get("kept_files", ""), user=self.user, portfolio=self.portfolio)
        except signing.BadSignature:
            self.kept_refused = True
            return
        dropped = set(self.data.getlist("kept_remove"))
        self.kept = [k for k in kept if k.name not in dropped]
        self.kept_dropped = [k for k in kept if k.name in dropped]

    @property
    def kept_token(self) -> str:
        """For the hidden field that carries the kept files to the next try."""
        return kept_token(self.kept, user=self.user, portfolio=self.portfolio) if self.user else ""

    def clean_files(self) -> list:
        # Shared with the assessor's record form (review_forms.py), which keeps no files between tries.
        files, kept = self.cleaned_data.get("files") or [], getattr(self, "kept", [])
        self.new_files = []
        if len(files) + len(kept) > settings.EVIDENCE_MAX_FILES:
            chose = f"You chose {len(files)} files"
            if kept:
                chose = f"You have {len(kept)} kept from before and chose {len(files)} more"
            raise ValidationError(f"{chose}; add up to {settings.EVIDENCE_MAX_FILES} at a time.")
        total = sum(f.size or 0 for f in files) + sum(k.size for k in kept)
        if total > settings.EVIDENCE_MAX_UPLOAD_MB * MB:
            raise ValidationError(
                f"These files come to {size_text(total)}; one upload can be up to "
                f"{size_text(settings.EVIDENCE_MAX_UPLOAD_MB * MB)}. Add them in smaller batches."
            )
        errors = []
        for upload in files:
            try:
                self.new_files.append(inspect_upload(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return self.new_files

    def _attach_kept_files(self, data: dict) -> None:
        """Put the kept files in with the new ones, checked again as they are read back from storage."""
        reopened = []
        for kept in list(self.kept):
            upload = files_reopen(kept)
            if upload is None:
                self.kept.remove(kept)
                self.add_error(
                    "files", f"{kept.original_name} was kept from your last try but has gone since. Choose it again."
                )
                continue
            try:
                reopened.append(inspect_upload(upload))
            except ValidationError as exc:
                self.add_error("files", exc)
        if "files" in data:
            data["files"] = [*reopened, *data["files"]]

    def clean(self) -> dict:
        data = super().clean()
        if self.witness_answered:
            # A disabled field keeps its saved value whatever is posted: refuse a change rather than ignore it.
            for name in self.fields:
                posted = self.data.get(name) if name.startswith("witness_") else None
                if posted is not None and posted.strip() != (self.initial.get(name) or ""):
                    self.add_error(name, LOCKED_MESSAGE)
        if self.kept_refused:
            self.add_error(
                "files",
                "The files kept from your last try cannot be used here: they are more than a day old, or were "
                "kept for another form. Choose them again.",
            )
        elif self.kept and not self.errors:
            # Only once everything else is right: nothing is read back for a form that is refused anyway.
            self._attach_kept_files(data)
        return data

    def criteria_by_outcome(
        self, unit_id: int | None = None, unit_code: UnitCode | None = None
    ) -> list[tuple[LearningOutcome, list[tuple[str, Criterion, bool]]]]:
        """The criteria boxes grouped by learning outcome, each with its label and text, for the template.

        This portfolio's unit unless another unit (one of the learner's other portfolios) is named."""
        if unit_id is None:
            unit_id, unit_code = self.portfolio.unit_id, self.unit_code
        chosen = {str(v) for v in (self["criteria"].value() or [])}
        groups: dict[int, tuple[LearningOutcome, list]] = {}
        for criterion in self.fields["criteria"].queryset:
            if criterion.outcome.unit_id != unit_id:
                continue
            group = groups.setdefault(criterion.outcome_id, (criterion.outcome, []))
            group[1].append((criterion.label(unit_code), criterion, str(criterion.pk) in chosen))
        return list(groups.values())

    def range_choices(self, unit_id: int | None = None) -> list[tuple[RangeItem, bool]]:
        """The range boxes of this portfolio's unit (or another unit), each with whether it is ticked."""
        if unit_id is None:
            unit_id = self.portfolio.unit_id
        chosen = {str(v) for v in (self["range_items"].value() or [])}
        return [(r, str(r.pk) in chosen) for r in self.fields["range_items"].queryset if r.unit_id == unit_id]

    def cross_reference_sections(self) -> list[CrossReferenceSection]:
        """One section per other portfolio of the learner's, with that unit's criteria and range."""
        sections = []
        for other in self.other_portfolios:
            outcomes = self.criteria_by_outcome(other.unit_id, other.unit_code)
            range_items = self.range_choices(other.unit_id)
            ticked = any(checked for _, rows in outcomes for _, _, checked in rows) or any(c for _, c in range_items)
            sections.append(CrossReferenceSection(other, outcomes, range_items, ticked, other.pk in self.listed))
        return sections


@dataclass
class CrossReferenceSection:
    """The boxes of one of the learner's other units on the evidence form; open when any is ticked."""

    portfolio: Portfolio
    outcomes: list[tuple[LearningOutcome, list[tuple[str, Criterion, bool]]]]
    range_items: list[tuple[RangeItem, bool]]
    ticked: bool
    listed: bool = False  # named by the cross-referencing list beside the learner's unit


def _listed_at(portfolio: Portfolio, other: Portfolio) -> int | None:
    """Where the cross-referencing list beside `portfolio`'s unit names `other`'s unit, by its number under
    the learner's awarding body; None when it does not."""
    listed = portfolio.unit_code.cross_reference_units if portfolio.unit_code else []
    number = other.unit_code.code if other.unit_code else None
    return listed.index(number) if number in listed else None


class PlanActionForm(forms.Form):
    """One action of the assessment plan: what is to be gathered, by which method, covering what, by when."""

    description = forms.CharField(
        label="What is to be gathered or done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    method = forms.ModelChoiceField(label="Assessment method", queryset=AssessmentMethod.objects.none())
    criteria = forms.ModelMultipleChoiceField(
        label="Criteria it is to cover",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    range_items = forms.ModelMultipleChoiceField(
        label="Range items it is to cover",
        queryset=RangeItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    due_date = forms.DateField(label="Due by", widget=DateInput())

    def __init__(self, *args: object, portfolio: Portfolio, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.portfolio = portfolio
        self.unit_code = portfolio.unit_code
        self.fields["method"].queryset = portfolio.unit.methods.order_by("order")
        self.fields["criteria"].queryset = (
            Criterion.objects.filter(outcome__unit_id=portfolio.unit_id)
            .select_related("outcome")
            .order_by("outcome__number", "number")
        )
        self.fields["range_items"].queryset = RangeItem.objects.filter(unit_id=portfolio.unit_id).order_by("letter")

    def criteria_by_outcome(self) -> list[tuple[LearningOutcome, list[tuple[str, Criterion, bool]]]]:
        """The criteria boxes grouped by learning outcome, each with its label and whether it is ticked."""
        chosen = {str(getattr(v, "pk", v)) for v in (self["criteria"].value() or [])}
        groups: dict[int, tuple[LearningOutcome, list]] = {}
        for criterion in self.fields["criteria"].queryset:
            group = groups.setdefault(criterion.outcome_id, (criterion.outcome, []))
            group[1].append((criterion.label(self.unit_code), criterion, str(criterion.pk) in chosen))
        return list(groups.values())

    def range_choices(self) -> list[tuple[RangeItem, bool]]:
        chosen = {str(getattr(v, "pk", v)) for v in (self["range_items"].value() or [])}
        return [(r, str(r.pk) in chosen) for r in self.fields["range_items"].queryset]
