"""The IV's reports: on one learner's unit (from its sign-off page) and on an assessor's decisions on a criterion
(from the sampling plan); reading a report; the assessor's action points, marked done by the assessor.

IV reports are internal quality assurance: the learner never reads them, though they are linked to the unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.access import get_portfolio_for_user, portfolio_links
from assessments.decisions import enforce
from assessments.judgement.completeness import completeness
from assessments.judgement.coverage import home_unit_code, in_portfolio, shown_reference
from assessments.models import ClaimJudgement, Evidence, Portfolio, PortfolioStatus, Verdict
from people.access import available_roles, linked_centre_ids, require_role
from people.models import EVAllocation, Role
from quality.forms_reports import ActionDoneForm, ActionPointFormSet, IVReportForm
from quality.models import ActionPoint, Agreement, IVReport, SampleItem, SampleScope, SampleStage
from quality.policy import LINKED, action_point_may, report_may, report_unit_may, sample_item_may
from quality.services import reports
from quality.views.sampling import centre_links
from submissions.once import once_per_token

S = PortfolioStatus


def _report_forms(request: HttpRequest) -> tuple[IVReportForm, ActionPointFormSet]:
    data = request.POST if request.method == "POST" else None
    return IVReportForm(data), ActionPointFormSet(data, prefix="actions")


def _write(
    request: HttpRequest, form: IVReportForm, formset: ActionPointFormSet, write: Callable[..., IVReport]
) -> tuple[IVReport | None, list[str]]:
    """Run the service over a valid form. Its errors go beside their fields; those about the action points come
    back, for the top of the action points' fieldset."""
    if request.method != "POST" or not (form.is_valid() & formset.is_valid()):
        return None, []
    try:
        return write(actor=request.user, actions=formset.actions(), **form.cleaned_data), []
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return None, []
        action_errors: list[str] = []
        for name, errors in exc.message_dict.items():
            if name == "actions":
                action_errors += errors
            else:
                form.add_error(name if name in form.fields else None, errors)
        return None, action_errors


def _evidence_summary(portfolio: Portfolio) -> dict:
    """The evidence behind the decision, as the IV samples it: each item's method and the assessor's decision and
    verdicts in this unit, with counts by method and by decision."""
    in_unit = Q(judgements__criterion__outcome__unit_id=portfolio.unit_id) | Q(
        judgements__range_item__unit_id=portfolio.unit_id
    )
    items = list(
        Evidence.objects.filter(in_portfolio(portfolio))
        .select_related("method", "decided_by")
        .annotate(
            home_unit_code=home_unit_code(),
            elsewhere=Case(
                When(portfolio_id=portfolio.pk, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            confirmed=Count("judgements", filter=in_unit & Q(judgements__verdict=Verdict.CONFIRMED)),
            rejected=Count("judgements", filter=in_unit & Q(judgements__verdict=Verdict.REJECTED)),
        )
        .order_by("elsewhere", "portfolio_id", "number")
    )
    for e in items:
        e.shown_reference = shown_reference(e, portfolio)  # type: ignore[attr-defined]
    check = completeness(portfolio) if portfolio.status in (S.IN_PROGRESS, S.SUBMITTED) else None
    return {
        "evidence": items,
        "by_method": sorted(Counter(f"{e.method.code} {e.method.name}" for e in items).items()),
        "by_decision": sorted(Counter(e.get_decision_display() for e in items).items()),
        "reasons": check.reasons(portfolio.unit_code) if check else [],
    }


@once_per_token
def iv_report_unit(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(report_unit_may(request.user.pk, portfolio.links, portfolio))  # type: ignore[attr-defined]
    stage = reports.report_stage(portfolio)
    done = stage == SampleStage.SUMMATIVE and reports.summative_report(portfolio) is not None
    form, formset = _report_forms(request)
    report, action_errors = _write(
        request,
        form,
        formset,
        lambda **data: reports.iv_report_unit(portfolio=portfolio, **data),
    )
    if report is not None:
        if report.stage == SampleStage.INTERIM:
            messages.success(request, "Your interim report is saved and the assessor has been told.")
            return redirect("iv_report_detail", report_id=report.pk)
        if report.agreement == Agreement.AGREE:
            messages.success(request, "Your summative report is saved. Now sign the unit as its internal verifier.")
        else:
            messages.success(
                request,
                "Your summative report is saved and the assessor has been told. "
                "Now refer the unit back to the learner, with your reasons.",
            )
        return redirect("signoff", portfolio_id=portfolio.pk)
    return render(
        request,
        "quality/report_unit.html",
        {
            "portfolio": portfolio,
            "stage": stage,
            "stage_label": SampleStage(stage).label if stage else "",
            "why_not": reports.why_no_report(portfolio) if stage is None else "",
            "already_done": done,
            "summary": _evidence_summary(portfolio),
            "previous": IVReport.objects.filter(portfolio=portfolio).select_related("iv").prefetch_related("actions"),
            "form": form,
            "formset": formset,
            "action_errors": action_errors,
        },
    )


def _item_for_iv(request: HttpRequest, item_id: int) -> SampleItem:
    """A sample item of the IV's own plan: 404 to those with no link to its centre, 403 to the others there."""
    item = get_object_or_404(
        SampleItem.objects.select_related("plan__centre", "assessor", "criterion__outcome__unit"), pk=item_id
    )
    enforce(sample_item_may(request.user.pk, centre_links(request, item.plan.centre_id), "report", item))
    return item


def _criterion_judgements(item: SampleItem) -> list[tuple[Portfolio, list[ClaimJudgement]]]:
    """The assessor's verdicts on the criterion in each unit of theirs that this IV verifies, learner by learner."""
    criterion = item.criterion
    assert criterion is not None
    portfolios = list(
        Portfolio.objects.filter(
            iv=item.plan.iv_id,
            assessor=item.assessor_id,
            centre=item.plan.centre_id,
            unit=criterion.outcome.unit_id,
        )
        .current()
        .with_people()
    )
    # One portfolio per learner per unit at a centre: a verdict on this criterion for the learner is on this one,
    # whichever of their units the item lives in.
    by_learner: dict[int, list[ClaimJudgement]] = {p.learner_id: [] for p in portfolios}
    judgements = (
        ClaimJudgement.objects.filter(
            criterion=criterion,
            judged_by=item.assessor_id,
            evidence__portfolio__centre=item.plan.centre_id,
            evidence__portfolio__learner_id__in=list(by_learner),
        )
        .select_related("evidence__method", "evidence__portfolio")
        .order_by("evidence__portfolio__learner__full_name", "evidence__number")
    )
    for judgement in judgements:
        by_learner[judgement.evidence.portfolio.learner_id].append(judgement)
    return [(p, by_learner[p.learner_id]) for p in portfolios]


@once_per_token
def iv_report_criterion(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_for_iv(request, item_id)
    if item.scope == SampleScope.UNIT and item.portfolio_id:
        return redirect("iv_report_unit", portfolio_id=item.portfolio_id)
    if item.scope != SampleScope.CRITERION:
        raise Http404("A learner's whole portfolio is reported on unit by unit.")
    form, formset = _report_forms(request)
    report, action_errors = _write(
        request,
        form,
        formset,
        lambda **data: reports.iv_report_criterion(sample_item=item, **data),
    )
    if report is not None:
        messages.success(request, "Your report is saved and the assessor has been told.")
        return redirect("iv_report_detail", report_id=report.pk)
    return render(
        request,
        "quality/report_criterion.html",
        {
            "item": item,
            "criterion": item.criterion,
            "rows": _criterion_judgements(item),
            "previous": item.reports.select_related("iv").prefetch_related("actions"),
            "form": form,
            "formset": formset,
            "action_errors": action_errors,
        },
    )


def report_links(request: HttpRequest, report: IVReport) -> set[Role | str]:
    """The viewer's links to the report, for quality/policy.py: the roles they hold at its centre, Role.EV when
    they may read what it covers as an EV, LINKED when they are linked to it otherwise (the unit's learner)."""
    links: set[Role | str] = {
        r.role for r in available_roles(request) if r.centre is not None and r.centre.pk == report.centre_id
    }
    unit_links = portfolio_links(request, report.portfolio) if report.portfolio is not None else set()
    if report.portfolio is not None:
        ev = Role.EV in unit_links
    else:
        ev = EVAllocation.objects.filter(
            external_verifier__user_id=request.user.pk,
            external_verifier__is_active=True,
            centre_id=report.centre_id,
            is_active=True,
        ).exists()
    if ev:
        links.add(Role.EV)
    linked = bool(unit_links) if report.portfolio is not None else report.centre_id in linked_centre_ids(request)
    if linked:
        links.add(LINKED)
    return links


def _get_report_for_user(request: HttpRequest, report_id: int) -> IVReport:
    """The report, if the report policy lets the person read it (its IV, the assessor whose decisions it covers,
    the centre's admins and the EVs who may read what it covers). Others linked to it get 403; everyone else 404."""
    report = get_object_or_404(
        IVReport.objects.select_related(
            "iv",
            "assessor",
            "centre",
            "sample_item",
            "criterion__outcome__unit",
            "portfolio__learner",
            "portfolio__unit",
        ),
        pk=report_id,
    )
    enforce(report_may(request.user.pk, report_links(request, report), "read", report))
    return report


def iv_report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _get_report_for_user(request, report_id)
    reports.iv_report_seen(actor=request.user, report=report)
    actions = list(report.actions.all())
    links = report_links(request, report)
    for action in actions:
        # The form to mark it done, where the policy would take the post.
        action.may_mark_done = bool(action_point_may(request.user.pk, links, "done", action))  # type: ignore[attr-defined]
    return render(
        request,
        "quality/report_detail.html",
        {
            "report": report,
            "actions": actions,
            "today": timezone.localdate(),
        },
    )


def action_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ASSESSOR)
    actions = list(
        ActionPoint.objects.filter(assessor=request.user, report__centre=role.centre)
        .select_related(
            "report__iv", "report__portfolio__learner", "report__portfolio__unit", "report__criterion__outcome__unit"
        )
        .order_by("due_on", "pk")
    )
    done = sorted((a for a in actions if a.is_done), key=lambda a: a.done_at, reverse=True)  # type: ignore[arg-type, return-value]
    return render(
        request,
        "quality/action_list.html",
        {
            "role": role,
            "open_actions": [a for a in actions if not a.is_done],
            "done_actions": done,
            "today": timezone.localdate(),
        },
    )


@require_POST
def action_point_done(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(ActionPoint.objects.select_related("report__portfolio"), pk=action_id)
    enforce(action_point_may(request.user.pk, report_links(request, action.report), "done", action))
    form = ActionDoneForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            reports.action_point_done(actor=request.user, action=action, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Marked done. The IV has been told.")
    back = request.POST.get("next")
    if back == "home":
        return redirect("home")
    if back == "report":
        return redirect("iv_report_detail", report_id=action.report_id)
    return redirect("action_list")


def signoff_reports(request: HttpRequest, portfolio: Portfolio) -> dict:
    """What the unit's sign-off page shows of its IV reports, by the viewer's links to it (`portfolio.links`):
    the reports they may read (never the learner), and for its IV whether a report is due and how it went."""
    links = portfolio.links  # type: ignore[attr-defined]
    shown = IVReport.objects.none()
    if links & {Role.IV, Role.ADMIN, Role.EV}:
        shown = IVReport.objects.filter(portfolio=portfolio)
    elif Role.ASSESSOR in links:
        shown = IVReport.objects.filter(portfolio=portfolio, assessor=request.user)
    context: dict = {"iv_reports": list(shown.select_related("iv").prefetch_related("actions"))}
    if Role.IV in links:
        summative = next(
            (r for r in context["iv_reports"] if r.round == portfolio.round and r.stage == SampleStage.SUMMATIVE), None
        )
        stage = reports.report_stage(portfolio)
        context["may_write_iv_report"] = (
            stage is not None
            and portfolio.assessor_id is not None
            and bool(report_unit_may(request.user.pk, links, portfolio))
            and not (stage == SampleStage.SUMMATIVE and summative is not None)
        )
        context["iv_report_agrees"] = summative is not None and summative.agreement == Agreement.AGREE
        # A disagreeing report says why the unit goes back: the referral starts from its words.
        if summative is not None and summative.agreement == Agreement.DISAGREE:
            context["refer_reasons"] = summative.feedback
    return context
