"""Witness testimony: the witness's own page, reached from the emailed single-use link without an account,
and the learner's "send a new link"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assessments import services
from assessments.access import get_evidence_for_user
from assessments.decisions import enforce
from assessments.evidence.forms import WitnessCorrectionForm
from assessments.evidence.policy import evidence_who
from assessments.models import Evidence, WitnessRequest
from portfolio.forms import apply_validation_error


def _token_in_url(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The token is in the address: never send it on as a referrer to another site, and never keep the page in a
    cache."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # Not "no-referrer": under it browsers post the page's own forms with "Origin: null", which Django's CSRF
        # check refuses. "same-origin" sends the origin back to this site only, and nothing to any other.
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


def _dead_link(request: HttpRequest, *, gone: bool) -> HttpResponse:
    # Says nothing about the evidence, the learner or why: only that the link does not work.
    return render(request, "assessments/witness_link_dead.html", status=410 if gone else 404)


def _signed_off(request: HttpRequest) -> HttpResponse:
    # 200, as the form itself: the link still exists and works again if the signature is withdrawn or the unit is
    # referred back, and Django logs the address (holding the token) of a 4xx response.
    return render(request, "assessments/witness_link_signed.html")


def _version(evidence: Evidence) -> str:
    """Which state of the item the witness was shown, so an answer to an older one is not taken."""
    return evidence.updated_at.isoformat()


def _page(
    request: HttpRequest,
    witness_request: WitnessRequest,
    form: WitnessCorrectionForm,
    *,
    changed: bool = False,
) -> HttpResponse:
    # Always 200: Django logs the address of a 4xx response, and here the address holds a live token.
    evidence = witness_request.evidence
    portfolio = evidence.portfolio
    criteria = list(evidence.criteria.select_related("outcome").order_by("outcome__number", "number"))
    range_items = list(evidence.range_items.order_by("letter"))
    # What it claims in this unit, then in any of the learner's other units it is cross-referenced to.
    claims = []
    others = evidence.cross_references.select_related("unit", "awarding_body").order_by("unit__title")
    for each in [portfolio, *others]:
        unit_code = each.unit_code
        claimed = [(c.label(unit_code), c) for c in criteria if c.outcome.unit_id == each.unit_id]
        situations = [r for r in range_items if r.unit_id == each.unit_id]
        if each is portfolio or claimed or situations:
            claims.append((each.unit, claimed, situations))
    return render(
        request,
        "assessments/witness_respond.html",
        {
            "evidence": evidence,
            "portfolio": portfolio,
            "claims": claims,
            "form": form,
            "version": _version(evidence),
            "expires_at": witness_request.expires_at,
            "changed": changed,
        },
    )


@login_not_required
@_token_in_url
@require_http_methods(["GET", "HEAD", "POST"])
def witness_respond(request: HttpRequest, token: str) -> HttpResponse:
    witness_request = services.witness_request_lookup(token)
    if witness_request is None:
        return _dead_link(request, gone=services.witness_token_known(token))
    evidence = witness_request.evidence
    if services.witness_item_signed_off(evidence):
        return _signed_off(request)
    if request.method != "POST":
        return _page(request, witness_request, WitnessCorrectionForm(initial={"statement": evidence.witness_statement}))
    action = request.POST.get("action")
    correcting = action == "correct"
    form = WitnessCorrectionForm(
        request.POST if correcting else None, initial={"statement": evidence.witness_statement}
    )
    if action not in {"confirm", "correct"}:
        return _page(request, witness_request, form)
    if request.POST.get("version") != _version(evidence):
        # The learner changed the item while the page was open: show what it says now.
        fresh = WitnessCorrectionForm(initial={"statement": evidence.witness_statement})
        return _page(request, witness_request, fresh, changed=True)
    try:
        if correcting:
            if not form.is_valid():
                return _page(request, witness_request, form)
            services.witness_correct(token=token, statement=form.cleaned_data["statement"])
        else:
            services.witness_confirm(token=token)
    except services.WitnessLinkError as exc:
        return _signed_off(request) if exc.signed else _dead_link(request, gone=exc.gone)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return _page(request, witness_request, form)
    return render(
        request,
        "assessments/witness_done.html",
        {"corrected": correcting, "learner_name": evidence.portfolio.learner.full_name},
    )


@require_POST
def witness_resend(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_evidence_for_user(request, evidence_id)
    enforce(evidence_who(evidence.portfolio.links, "witness_resend", evidence))  # type: ignore[attr-defined]
    try:
        sent = services.witness_request_send(actor=request.user, evidence=evidence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Sent {evidence.witness_name} a new link for {evidence.reference} at {sent.email}. "
            "Any link sent before no longer works.",
        )
    return redirect("portfolio_detail", portfolio_id=evidence.portfolio_id)
