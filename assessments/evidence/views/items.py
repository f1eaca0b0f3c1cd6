"""The learner's portfolio: coverage grid, evidence list, and adding, changing
and deleting evidence. Assessor, IV, EV and centre admin see the same pages
read-only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import services
from assessments.access import get_evidence_for_user, get_portfolio_for_user
from assessments.decisions import enforce
from assessments.evidence.forms import EvidenceForm
from assessments.evidence.listing import evidence_page
from assessments.evidence.policy import evidence_who
from assessments.evidence.services.files import files_hold, files_release
from assessments.evidence.views.upload_checks import upload_checked
from assessments.judgement.coverage import portfolio_coverage
from assessments.judgement.sufficiency import sufficiency
from assessments.models import Evidence
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token


def _learners_item(request: HttpRequest, evidence_id: int, action: str) -> Evidence:
    """An item the evidence policy lets the person `action` (edit or delete): 404 with no link, 403 otherwise. The
    lock is the form's to say (the service refuses under it), so the learner reads why on the page."""
    evidence = get_evidence_for_user(request, evidence_id)
    enforce(evidence_who(evidence.portfolio.links, action, evidence))  # type: ignore[attr-defined]
    return evidence


def portfolio_detail(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    coverage = portfolio_coverage(portfolio)
    # The ledger takes the unit's criteria and range items the grids have read, rather than reading them again.
    ledger = sufficiency(portfolio, portfolio.unit_code, criteria=coverage.criteria, range_items=coverage.range_items)
    return render(
        request,
        "assessments/portfolio_detail.html",
        {"portfolio": portfolio, "coverage": coverage, "ledger": ledger},
    )


def evidence_list(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    return render(
        request,
        "assessments/evidence_list.html",
        {"portfolio": portfolio, **evidence_page(request, portfolio)},
    )


def _save(request: HttpRequest, form: EvidenceForm, portfolio, evidence: Evidence | None) -> Evidence | None:
    """Save the item; if the form is refused, keep the files that passed their checks for the next try."""
    if form.is_valid():
        try:
            saved = services.evidence_save(
                actor=request.user, portfolio=portfolio, evidence=evidence, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            files_release([*form.kept, *form.kept_dropped])
            return saved
    files_release(form.kept_dropped)
    form.kept = [*form.kept, *files_hold(form.new_files)]
    return None


def _form_page(request: HttpRequest, form: EvidenceForm, context: dict, refusal: tuple[str, int] | None):
    return render(
        request,
        "assessments/evidence_form.html",
        {"form": form, "upload_refusal": refusal[0] if refusal else None, **context},
        status=refusal[1] if refusal else 200,
    )


def _saved(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    url = reverse("portfolio_detail", args=[portfolio_id])
    if request.headers.get("HX-Request"):
        # The upload went through htmx (for its progress bar): have it load the page itself,
        # so the confirmation message shows there rather than being used up by the XHR.
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@upload_checked
@once_per_token
def evidence_add(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(evidence_who(portfolio.links, "add", portfolio))  # type: ignore[attr-defined]
    refusal = request.upload_refusal  # type: ignore[attr-defined]
    posted = request.method == "POST" and refusal is None
    form = EvidenceForm(
        request.POST if posted else None, request.FILES if posted else None, portfolio=portfolio, user=request.user
    )
    if posted and (evidence := _save(request, form, portfolio, None)):
        messages.success(request, f"Added {evidence.reference} {evidence.title}.")
        return _saved(request, portfolio.pk)
    return _form_page(request, form, {"portfolio": portfolio}, refusal)


@upload_checked
def evidence_edit(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _learners_item(request, evidence_id, "edit")
    portfolio = evidence.portfolio
    initial = {
        "title": evidence.title,
        "method": evidence.method,
        "activity_date": evidence.activity_date,
        "setting": evidence.setting,
        "customer_ref": evidence.customer_ref,
        "occasion_ref": evidence.occasion_ref,
        "description": evidence.description,
        "criteria": list(evidence.criteria.all()),
        "range_items": list(evidence.range_items.all()),
        **{name: getattr(evidence, name) for name in services.WITNESS_FIELDS},
        "witness_status": evidence.witness_status,
    }
    refusal = request.upload_refusal  # type: ignore[attr-defined]
    posted = request.method == "POST" and refusal is None
    form = EvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        portfolio=portfolio,
        user=request.user,
        initial=initial,
    )
    form.fields["remove_files"].queryset = evidence.files.all()
    if posted and _save(request, form, portfolio, evidence):
        messages.success(request, f"Saved {evidence.reference}.")
        return _saved(request, portfolio.pk)
    witness_request = services.witness_request_latest(evidence=evidence)
    return _form_page(
        request, form, {"portfolio": portfolio, "evidence": evidence, "witness_request": witness_request}, refusal
    )


def evidence_delete_confirm(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _learners_item(request, evidence_id, "delete")
    return render(request, "assessments/evidence_delete.html", {"evidence": evidence})


@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _learners_item(request, evidence_id, "delete")
    portfolio_id = evidence.portfolio_id
    reference = evidence.reference
    try:
        services.evidence_delete(actor=request.user, evidence=evidence)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Deleted {reference}. Its reference will not be used again.")
    return redirect("portfolio_detail", portfolio_id=portfolio_id)
