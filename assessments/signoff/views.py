"""The unit sign-off page and its actions: submit, sign, sample, release, refer back,
withdraw a signature; and the unit's history, every round of it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments.access import get_portfolio_for_user
from assessments.judgement.completeness import completeness
from assessments.judgement.sufficiency import sufficiency
from assessments.models import LOCKED_STATUSES, Portfolio, PortfolioStatus, Referral, Signature, SignatureKind
from assessments.page_parts import SIGNOFF, page_parts
from assessments.policy import NEEDS, SIGN_ACTIONS, WITHDRAW_WHO, portfolio_may, signature_may_withdraw
from assessments.records.document import current_digest, signature_checks
from assessments.records.integrity import unit_problems
from assessments.signoff import services as signoff
from assessments.signoff.statements import verifier_statement
from people.models import Role

S = PortfolioStatus
K = SignatureKind
VERIFIERS = {Role.IV, Role.EV}
VERIFIERS_ONLY = "Only the unit's internal verifier or its external verifier {} a unit."


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(portfolio_id: int) -> HttpResponse:
    return redirect("signoff", portfolio_id=portfolio_id)


def _statement_key(portfolio_id: int) -> str:
    return f"signoff:sufficiency_statement:{portfolio_id}"


# The page's name for each sign-off action the policy answers.
PAGE_ACTIONS = {
    "submit": "submit",
    "assessor_sign": "sign_assessor",
    "assessor_refer": "assessor_refer",
    "assessor_countersign": "countersign_assessor",
    "iv_countersign": "countersign_iv",
    "iv_sample": "iv_sample",
    "iv_sign": "sign_iv",
    "iv_release": "iv_release",
    "iv_refer": "iv_refer",
    "ev_sample": "ev_sample",
    "ev_sign": "sign_ev",
    "ev_refer": "ev_refer",
    "ev_release": "ev_release",
}


def _actions(request: HttpRequest, portfolio: Portfolio) -> dict[str, bool]:
    """What the page offers this person now, as the policy says. The services ask it again when they act."""
    return {
        name: bool(portfolio_may(request.user.pk, portfolio.links, action, portfolio))  # type: ignore[attr-defined]
        for name, action in PAGE_ACTIONS.items()
    }


def signoff_page(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    checks = signature_checks(portfolio)
    check = completeness(portfolio) if portfolio.status in (S.IN_PROGRESS, S.SUBMITTED) else None
    # Only the latest standing signature may be withdrawn, by its signer or a centre admin (the policy's rule).
    last = checks[-1].signature if checks else None
    may_withdraw_last = last is not None and bool(
        signature_may_withdraw(request.user.pk, portfolio.links, last, portfolio)  # type: ignore[attr-defined]
    )
    withdrawable = {last.pk} if may_withdraw_last and last.signer_id == request.user.pk else set()
    # A unit back in progress without a referral: the learner changed evidence after submitting it.
    reopened = None
    if portfolio.status == S.IN_PROGRESS:
        reopened = (
            Signature.objects.filter(
                portfolio=portfolio,
                kind=K.LEARNER,
                round=portfolio.round,
                withdrawal_reason__startswith=signoff.REOPENED,
            )
            .order_by("-withdrawn_at", "-pk")
            .first()
        )
    # The learner waits on what the assessor acts on: the same reasons, in the learner's words.
    for_learner = Role.LEARNER in portfolio.links
    actions = _actions(request, portfolio)
    return render(
        request,
        "assessments/signoff.html",
        {
            "portfolio": portfolio,
            "reopened": reopened,
            "checks": checks,
            # Anything changed behind the application's back (a file on disk, a row in the database).
            "integrity": unit_problems(portfolio) if checks or portfolio.status in LOCKED_STATUSES else [],
            "completeness": check,
            "reasons": check.reasons(portfolio.unit_code, for_learner=for_learner) if check else [],
            "for_learner": for_learner,
            "digest": current_digest(portfolio),
            "evidence_digest": current_digest(portfolio, judgements=False),
            "actions": actions,
            # Beside the assessor's sign button: the sufficiency ledger they confirm, in words where it falls short.
            "ledger": sufficiency(portfolio, portfolio.unit_code) if actions["assessor_sign"] else None,
            # Shown again beside the statement field it is about.
            "sufficiency_needed": signoff.SUFFICIENCY_NEEDED,
            # Above the IV's and the EV's sign buttons: what they sign to, in the awarding body's words where given.
            "verifier_statements": {
                "iv": verifier_statement(portfolio, K.IV),
                "ev": verifier_statement(portfolio, K.EV),
            },
            # What the assessor wrote before a refused signature (a wrong password, a changed record): kept for
            # one page, never the password.
            "sufficiency_draft": request.session.pop(_statement_key(portfolio.pk), ""),
            "withdrawable": withdrawable,
            "admin_may_withdraw": may_withdraw_last and Role.ADMIN in portfolio.links,
            "locked": portfolio.status in LOCKED_STATUSES,
            "referrals": Referral.objects.filter(portfolio=portfolio).select_related("referred_by"),
            # The IV reports and the EV's findings: quality's parts of this page.
            **page_parts(SIGNOFF, request, portfolio),
        },
    )


@require_POST
def signoff_sign(request: HttpRequest, portfolio_id: int, kind: str) -> HttpResponse:
    if kind not in SignatureKind.values:
        return HttpResponse(status=404)
    # The link the signature needs, and the words when it is missing: the service then asks the rest.
    link, reason = NEEDS[SIGN_ACTIONS[SignatureKind(kind)]]
    portfolio = get_portfolio_for_user(request, portfolio_id, {link}, reason=reason)
    if kind == K.LEARNER and request.POST.get("declaration") != "yes":
        messages.error(request, "Tick the declaration to confirm the evidence is your own work.")
        return _back(portfolio.pk)
    try:
        signoff.unit_sign(
            actor=request.user,
            portfolio=portfolio,
            kind=kind,
            password=request.POST.get("password", ""),
            # Always a string: a form that left the digest out is refused, never signed unchecked.
            expected_digest=request.POST.get("digest", ""),
            sufficiency_statement=request.POST.get("sufficiency_statement", ""),
        )
    except signoff.AlreadySigned as exc:
        # A double click, or a second tab: the first signature stands and nothing more happens.
        messages.info(request, exc.messages[0])
    except ValidationError as exc:
        _errors(request, exc)
        if statement := request.POST.get("sufficiency_statement", "").strip():
            request.session[_statement_key(portfolio.pk)] = statement
    else:
        messages.success(request, f"Signed: {SignatureKind(kind).label.lower()}.")
    return _back(portfolio.pk)


@require_POST
def signoff_sample(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id, VERIFIERS, reason=VERIFIERS_ONLY.format("samples"))
    role = Role.IV if Role.IV in portfolio.links else Role.EV
    try:
        signoff.unit_mark_sampled(actor=request.user, portfolio=portfolio, role=role)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "The unit is in your sample.")
    return _back(portfolio.pk)


@require_POST
def signoff_release(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    """The IV releases the unit unsampled, or the EV releases it from their sample unsigned."""
    portfolio = get_portfolio_for_user(request, portfolio_id, VERIFIERS, reason=VERIFIERS_ONLY.format("releases"))
    try:
        if Role.IV in portfolio.links:
            signoff.unit_release(actor=request.user, portfolio=portfolio)
        else:
            signoff.unit_ev_release(actor=request.user, portfolio=portfolio)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, "Released without sampling." if Role.IV in portfolio.links else "Released from your sample."
        )
    return _back(portfolio.pk)


@require_POST
def signoff_refer(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(
        request,
        portfolio_id,
        {Role.ASSESSOR, Role.IV, Role.EV},
        reason="Only the learner's assessor or a verifier of the unit refers it back; ask them if it needs work.",
    )
    role = next(r for r in (Role.ASSESSOR, Role.IV, Role.EV) if r in portfolio.links)
    try:
        signoff.unit_refer(actor=request.user, portfolio=portfolio, role=role, reasons=request.POST.get("reasons", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Referred back to the learner with your reasons.")
    return _back(portfolio.pk)


@require_POST
def signature_withdraw(request: HttpRequest, signature_id: int) -> HttpResponse:
    signature = get_object_or_404(Signature, pk=signature_id)
    portfolio = get_portfolio_for_user(request, signature.portfolio_id)
    decision = signature_may_withdraw(request.user.pk, portfolio.links, signature, portfolio)
    if decision.reason == WITHDRAW_WHO:
        raise PermissionDenied(decision.reason)
    # Any other refusal is the state's: the service says it, under its lock, on the page.
    try:
        signoff.signature_withdraw(
            actor=request.user,
            signature=signature,
            reason=request.POST.get("reason", ""),
            as_admin=Role.ADMIN in portfolio.links,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Signature withdrawn. The evidence it locked can change again.")
    return _back(portfolio.pk)
