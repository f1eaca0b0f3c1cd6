"""The assessor's own records (observation, questioning, professional discussion): made and changed by the
learner's assessor, and an observation acknowledged by the learner from their own account."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import services
from assessments.access import get_evidence_for_user, get_portfolio_for_user
from assessments.decisions import enforce
from assessments.evidence.policy import evidence_who, locked_reason
from assessments.evidence.record_forms import RecordForm, adding_pair, pair_formset, posted_initial
from assessments.evidence.services.records import RECORD_METHODS
from assessments.evidence.views.upload_checks import upload_checked
from assessments.models import Evidence, Observation, ObservationNote, Portfolio, QuestionAnswer
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token
from units.models import AssessmentMethod, Criterion


def _item(request: HttpRequest, evidence_id: int, action: str) -> Evidence:
    """The item, if the evidence policy lets the person `action` it whatever the lock: 404 with no link, 403
    otherwise. The lock is the page's to show and the service's to refuse."""
    evidence = get_evidence_for_user(request, evidence_id)
    enforce(evidence_who(evidence.portfolio.links, action, evidence))  # type: ignore[attr-defined]
    return evidence


def _initial(evidence: Evidence) -> tuple[dict, list[dict]]:
    """The record as saved, as the form's and the pairs' initial values."""
    initial: dict[str, object] = {
        "title": evidence.title,
        "activity_date": evidence.activity_date,
        "place": evidence.place,
        "setting": evidence.setting,
        "description": evidence.description,
        "criteria": list(evidence.criteria.all()),
        "range_items": list(evidence.range_items.all()),
    }
    if (observation := Observation.objects.filter(evidence=evidence).first()) is not None:
        initial |= {"start_time": observation.start_time, "end_time": observation.end_time}
        initial["feedback"] = observation.feedback
        for n in observation.notes.all():
            initial[f"note_c{n.criterion_id}" if n.criterion_id else f"note_r{n.range_item_id}"] = n.note
    if (discussion := getattr(evidence, "discussion", None)) is not None:
        initial |= {"topics": discussion.topics, "duration_minutes": discussion.duration_minutes}
    pairs = [
        {"question": p.question, "answer": p.answer, "criteria": [c.pk for c in p.criteria.all()]}
        for p in evidence.question_answers.prefetch_related("criteria")
    ]
    return initial, pairs


def _saved(request: HttpRequest, saved: Evidence) -> HttpResponse:
    messages.success(request, f"Saved {saved.reference} {saved.title}.")
    url = reverse("evidence_detail", args=[saved.pk])
    if request.headers.get("HX-Request"):
        # Sent through htmx for the upload's progress bar: have it load the page itself.
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def _record_page(
    request: HttpRequest, portfolio: Portfolio, method: AssessmentMethod, evidence: Evidence | None
) -> HttpResponse:
    locked = locked_reason(portfolio, evidence)
    if request.method == "POST" and locked:
        messages.error(request, f"Nothing was saved. {locked}")
        return redirect(request.path)
    initial, initial_pairs = _initial(evidence) if evidence is not None else ({}, [])
    refusal = request.upload_refusal  # type: ignore[attr-defined]
    posted = request.method == "POST" and refusal is None
    data = request.POST if posted else None
    pairs = pair_formset(data, portfolio=portfolio, initial=initial_pairs) if method.code == "Q" else None
    if adding_pair(data):
        # One more question row: what was typed comes back as it was, unchecked and unsaved.
        form = RecordForm(portfolio=portfolio, method=method, initial=posted_initial(request.POST))
    else:
        form = RecordForm(data, request.FILES if posted else None, portfolio=portfolio, method=method, initial=initial)
    if evidence is not None and "remove_files" in form.fields:
        form.fields["remove_files"].queryset = evidence.files.all()
    if posted and not adding_pair(data) and form.is_valid() and (pairs is None or pairs.is_valid()):
        data = form.cleaned_data
        try:
            saved = services.assessor_record_save(
                actor=request.user,
                portfolio=portfolio,
                evidence=evidence,
                method=method,
                title=data["title"],
                activity_date=data["activity_date"],
                description=data.get("description", ""),
                criteria=list(data.get("criteria") or ()),
                range_items=list(data["range_items"]),
                place=data.get("place", ""),
                setting=data.get("setting") or "real_work",
                start_time=data.get("start_time"),
                end_time=data.get("end_time"),
                feedback=data.get("feedback", ""),
                notes=form.notes(),
                learner_password=data.get("learner_password", ""),
                pairs=pairs.pairs() if pairs is not None else (),
                topics=data.get("topics", ""),
                duration_minutes=data.get("duration_minutes"),
                files=data.get("files") or (),
                remove_files=list(data.get("remove_files") or ()),
            )
        except ValidationError as exc:
            pair_errors = exc.message_dict.get("pairs", []) if hasattr(exc, "error_dict") else []
            apply_validation_error(form, exc)
            if pairs is not None and pair_errors:
                pairs._non_form_errors = pairs.error_class(pair_errors, error_class="nonform")
        else:
            return _saved(request, saved)
    elif posted and pairs is not None and not adding_pair(data):
        pairs.is_valid()
    return render(
        request,
        "assessments/assessor_record_form.html",
        {
            "form": form,
            "pairs": pairs,
            "portfolio": portfolio,
            "evidence": evidence,
            "method": method,
            "locked": locked,
            "upload_refusal": refusal[0] if refusal else None,
        },
        status=refusal[1] if refusal else 200,
    )


@upload_checked
@once_per_token
def assessor_record_add(request: HttpRequest, portfolio_id: int, method: str) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(evidence_who(portfolio.links, "record_add", portfolio))  # type: ignore[attr-defined]
    code = method.upper()
    found = portfolio.unit.methods.filter(code=code).first() if code in RECORD_METHODS else None
    if found is None:
        raise Http404("The assessor records observations, questioning and professional discussions.")
    return _record_page(request, portfolio, found, None)


@upload_checked
def assessor_record_edit(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _item(request, evidence_id, "record_edit")
    return _record_page(request, evidence.portfolio, evidence.method, evidence)


@require_POST
@once_per_token
def observation_acknowledge(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _item(request, evidence_id, "acknowledge")
    try:
        services.observation_acknowledge(actor=request.user, evidence=evidence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"You have acknowledged the observation {evidence.reference}.")
    return redirect("evidence_detail", evidence_id=evidence.pk)


def record_details(evidence: Evidence) -> dict[str, object]:
    """The assessor's record's own parts for the item's page, each read in one query: the observation with its
    notes (labelled as the learner's awarding body numbers them), the question and answer pairs, the discussion."""
    if evidence.author != "assessor":
        return {}
    unit_code = evidence.portfolio.unit_code
    observation = (
        Observation.objects.filter(evidence=evidence)
        .select_related("acknowledged_by")
        .prefetch_related(
            Prefetch(
                "notes",
                queryset=ObservationNote.objects.select_related("criterion__outcome", "range_item").order_by("pk"),
            )
        )
        .first()
    )
    notes = []
    if observation is not None:
        for n in observation.notes.all():
            claim = n.criterion or n.range_item
            label = claim.label(unit_code) if isinstance(claim, Criterion) else f"Range {claim.letter}"
            notes.append((label, claim, n.note))
    pairs = [
        (p, [c.label(unit_code) for c in p.criteria.all()])
        for p in QuestionAnswer.objects.filter(evidence=evidence).prefetch_related(
            Prefetch(
                "criteria", queryset=Criterion.objects.select_related("outcome").order_by("outcome__number", "number")
            )
        )
    ]
    return {
        "observation": observation,
        "observation_notes": notes,
        "pairs": pairs,
        "discussion": getattr(evidence, "discussion", None),
    }
