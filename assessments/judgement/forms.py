"""Forms for the assessor's side of the evidence: the review of an item and the feedback thread. The assessor's
own records have theirs in evidence/record_forms.py."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from assessments.judgement.services import FEEDBACK_MAX, Claim
from assessments.models import Decision, Verdict
from units.models import Criterion


def claim_field_name(claim: Claim) -> str:
    return f"claim_c{claim.pk}" if isinstance(claim, Criterion) else f"claim_r{claim.pk}"


REASON_MAX = 500


@dataclass(frozen=True)
class ClaimRow:
    """One claim as the review form shows it: its verdict radios, the reason box for a rejection, and whether
    the last submission left it without a verdict."""

    field: forms.BoundField
    reason: forms.BoundField
    label: str
    claim: Claim
    missing: bool


class ReviewForm(forms.Form):
    """Accept or send back, a verdict on each claim, and feedback.

    "Confirm all claims" confirms every claim not given another verdict, so a 20-claim item takes one tick plus
    its exceptions; the rule lives in `verdicts()`, which the view hands to the service. A claim newly rejected
    needs its reason, which reaches the learner in the feedback."""

    confirm_all = forms.BooleanField(
        label="Confirm all claims",
        required=False,
        help_text="Every claim you do not mark Rejected below is confirmed.",
    )
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
        help_text=(
            "Needed when you send the item back, unless your reasons for rejected claims say it all. "
            "It is added to the item's feedback thread, followed by those reasons."
        ),
    )

    def __init__(self, *args: object, claims: list[tuple[str, Claim]], **kwargs: object) -> None:
        """`claims`: (label as the unit prints it, criterion or range item) for each claim the item makes."""
        super().__init__(*args, **kwargs)
        self.claims = claims
        self.missing: list[str] = []
        for label, claim in claims:
            name = claim_field_name(claim)
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=Verdict.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,
            )
            self.fields[f"{name}_reason"] = forms.CharField(
                label=f"Why {label} is not confirmed",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=REASON_MAX,
                strip=True,
            )
        if not claims:
            del self.fields["confirm_all"]

    def claim_rows(self) -> list[ClaimRow]:
        missing = set(self.missing)
        return [
            ClaimRow(
                field=self[claim_field_name(claim)],
                reason=self[f"{claim_field_name(claim)}_reason"],
                label=label,
                claim=claim,
                missing=label in missing,
            )
            for label, claim in self.claims
        ]

    def _verdict(self, data: dict, claim: Claim) -> str | None:
        chosen = data.get(claim_field_name(claim))
        if chosen:
            return chosen
        return Verdict.CONFIRMED if data.get("confirm_all") else None

    def _reasons(self, data: dict) -> list[tuple[str, str]]:
        """(label, reason) for each rejected claim that was given one."""
        return [
            (label, data[f"{claim_field_name(claim)}_reason"])
            for label, claim in self.claims
            if self._verdict(data, claim) == Verdict.REJECTED and data.get(f"{claim_field_name(claim)}_reason")
        ]

    def clean(self) -> dict:
        data = super().clean()
        unexplained = []
        for label, claim in self.claims:
            name = claim_field_name(claim)
            newly_rejected = data.get(name) == Verdict.REJECTED and self.initial.get(name) != Verdict.REJECTED
            if newly_rejected and not data.get(f"{name}_reason") and f"{name}_reason" not in self.errors:
                unexplained.append(label)
                self.add_error(
                    f"{name}_reason", "Say why this claim is not confirmed: the learner reads it in the feedback."
                )
        if data.get("decision") == Decision.ACCEPTED:
            self.missing = [label for label, claim in self.claims if self._verdict(data, claim) is None]
        # One line at the top for each kind of gap, naming the claims, not one error per claim.
        if self.missing:
            count = len(self.missing)
            if count > 1 and count == len(self.claims):
                gap = f"None of the {count} claims has a verdict."
            else:
                gap = f"{count} claim{'s have' if count > 1 else ' has'} no verdict: {', '.join(self.missing)}."
            self.add_error(
                None, f"{gap} Mark each Confirmed or Rejected, or tick “Confirm all claims”, before accepting the item."
            )
        if unexplained:
            count = len(unexplained)
            self.add_error(
                None,
                f"{count} rejected claim{'s need' if count > 1 else ' needs'} a reason: {', '.join(unexplained)}.",
            )
        if data.get("decision") == Decision.SENT_BACK and not self.feedback_text(data):
            self.add_error("feedback", "Say what the learner needs to do: sending evidence back needs feedback.")
        elif len(self.feedback_text(data)) > FEEDBACK_MAX:
            self.add_error("feedback", f"Keep the feedback and reasons together to {FEEDBACK_MAX:,} characters.")
        return data

    def verdicts(self) -> dict[Claim, str]:
        verdicts = {claim: self._verdict(self.cleaned_data, claim) for _, claim in self.claims}
        return {claim: verdict for claim, verdict in verdicts.items() if verdict}

    def feedback_text(self, data: dict | None = None) -> str:
        """The feedback for the thread: the assessor's words, then the reason for each claim not confirmed."""
        data = self.cleaned_data if data is None else data
        parts = [(data.get("feedback") or "").strip()]
        reasons = self._reasons(data)
        if reasons:
            parts.append("Not confirmed:\n" + "\n".join(f"{label}: {reason}" for label, reason in reasons))
        return "\n\n".join(p for p in parts if p)


class FeedbackForm(forms.Form):
    text = forms.CharField(
        label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=FEEDBACK_MAX, strip=True
    )
