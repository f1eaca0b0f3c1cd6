"""The assessor reviews evidence (accept or send back, a verdict on each claim), everyone linked reads an item
with its verdicts and feedback thread (and an assessor's record's own parts, evidence/views/records.py), and
learner and assessor write in the thread."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import notices, services
from assessments.access import get_evidence_for_user
from assessments.decisions import enforce
from assessments.evidence.policy import OWN_RECORD, evidence_may, evidence_who, locked_reason
from assessments.evidence.views.records import record_details
from assessments.judgement.forms import FeedbackForm, ReviewForm, claim_field_name
from assessments.judgement.services import Claim, claims_in_unit
from assessments.models import ClaimJudgement, Decision, Evidence
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token
from units.library.guidance import unit_guidance


def _item(request: HttpRequest, evidence_id: int, action: str = "read") -> Evidence:
    """The item, if the evidence policy lets the person `action` it whatever the lock (404 with no link to its
    portfolio, 403 otherwise); `evidence.portfolio.links` says how they are linked. The lock is the page's to
    show, and the service's to refuse."""
    evidence = get_evidence_for_user(request, evidence_id)
    enforce(evidence_who(evidence.portfolio.links, action, evidence))  # type: ignore[attr-defined]
    return evidence


def _locked_reason(evidence: Evidence) -> str | None:
    return locked_reason(evidence.portfolio, evidence)


def _claims(evidence: Evidence) -> list[tuple[str, Claim]]:
    """Each claim the item makes in its portfolio's unit, with its label as the learner's awarding body prints it."""
    unit_code = evidence.portfolio.unit_code
    criteria, range_items = claims_in_unit(evidence, evidence.portfolio)
    return [(c.label(unit_code), c) for c in criteria] + [(f"Range {r.letter}", r) for r in range_items]


def _verdicts(evidence: Evidence) -> dict[str, str]:
    """The verdicts on record, by the claim's form field name."""
    out = {}
    for j in ClaimJudgement.objects.filter(evidence=evidence).only("criterion_id", "range_item_id", "verdict"):
        out[f"claim_c{j.criterion_id}" if j.criterion_id else f"claim_r{j.range_item_id}"] = j.verdict
    return out


def _item_context(evidence: Evidence) -> dict[str, object]:
    return {
        "evidence": evidence,
        "portfolio": evidence.portfolio,
        "files": list(evidence.files.all()),
        "thread": list(evidence.feedback.select_related("author")),
        "locked": _locked_reason(evidence),
    }


def evidence_review(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_evidence_for_user(request, evidence_id)
    decision = evidence_who(evidence.portfolio.links, "review", evidence)  # type: ignore[attr-defined]
    if decision.reason == OWN_RECORD:
        # The assessor's own record is accepted as made: it is changed, not reviewed.
        return redirect("assessor_record_edit", evidence_id=evidence.pk)
    enforce(decision)
    context = _item_context(evidence)
    if request.method == "POST" and context["locked"]:
        messages.error(request, f"Nothing was saved. {context['locked']}")
        return redirect("evidence_review", evidence_id=evidence.pk)
    claims = _claims(evidence)
    initial: dict[str, object] = dict(_verdicts(evidence))
    if evidence.decision != Decision.PENDING:
        initial["decision"] = evidence.decision
    form = ReviewForm(request.POST if request.method == "POST" else None, claims=claims, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            judged = services.evidence_judge(
                actor=request.user,
                evidence=evidence,
                decision=form.cleaned_data["decision"],
                verdicts=form.verdicts(),
                feedback=form.feedback_text(),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{judged.reference}: {judged.get_decision_display().lower()}.")
            return redirect("evidence_list", portfolio_id=evidence.portfolio_id)
    # The photos themselves sit beside the claims, so the assessor judges without opening each file.
    photos = [f for f in context["files"] if f.thumbnail]
    # The centre's marking points and common mistakes sit beside each criterion, as guidance, not as a rule.
    guidance = unit_guidance(evidence.portfolio.unit)
    return render(
        request, "assessments/evidence_review.html", {**context, "form": form, "photos": photos, "guidance": guidance}
    )


def _detail_page(request: HttpRequest, evidence: Evidence, form: FeedbackForm | None = None) -> HttpResponse:
    context = _item_context(evidence)
    verdicts = _verdicts(evidence)
    links = evidence.portfolio.links  # type: ignore[attr-defined]
    # The buttons ask the same policy through {% may %}; the thread's form is the view's to make.
    may_write = evidence_may(request.user.pk, links, "feedback", evidence)
    return render(
        request,
        "assessments/evidence_detail.html",
        {
            **context,
            "claims": [(label, claim, verdicts.get(claim_field_name(claim), "")) for label, claim in _claims(evidence)],
            "feedback_form": (form or FeedbackForm()) if may_write else None,
            **record_details(evidence),
        },
    )


def evidence_detail(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _item(request, evidence_id)
    # Reading the item is the learner's answer to being told it was accepted or has new feedback.
    notices.evidence_notices_read(evidence=evidence, reader=request.user)
    return _detail_page(request, evidence)


@require_POST
@once_per_token
def evidence_feedback(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _item(request, evidence_id, "feedback")
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_post(actor=request.user, evidence=evidence, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("evidence_detail", evidence_id=evidence.pk)
        messages.success(request, f"Your message on {evidence.reference} was added.")
        return redirect(reverse("evidence_detail", args=[evidence.pk]) + "#thread")
    return _detail_page(request, evidence, form)
