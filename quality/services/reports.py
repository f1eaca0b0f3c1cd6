"""The IV's reports on a sample, the action points they set the assessor, and the assessor marking them done.

A report is a record the IV stands behind at a visit: written once, never changed. On a unit its stage follows
the unit: interim while the learner is still working (before the assessor signs), summative from the assessor's
signature until the IV signs or releases it. The IV signs a unit only over an agreeing summative report of the
round: assessments/signoff/services/ checks that.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus
from audit.services import audit_log
from notifications.services import notifications_done, notify
from people.models import Role, User
from quality.models import ActionPoint, Agreement, IVReport, SampleItem, SampleScope, SampleStage
from quality.policy import report_unit_may, row_links

S = PortfolioStatus

# Before the assessor's signature the IV looks over the assessor's shoulder; after it, at the decision itself.
INTERIM_STATUSES = frozenset({S.IN_PROGRESS, S.SUBMITTED})
SUMMATIVE_STATUSES = frozenset({S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED})
ACTION_TEXT_MAX = 2000
FEEDBACK_MAX = 10000

ActionInput = tuple[str, datetime.date | None]


def report_stage(portfolio: Portfolio) -> str | None:
    """The stage a report on this unit would have now, or None when no report is due."""
    if portfolio.status in INTERIM_STATUSES:
        return SampleStage.INTERIM
    if portfolio.status in SUMMATIVE_STATUSES:
        return SampleStage.SUMMATIVE
    return None


def why_no_report(portfolio: Portfolio) -> str:
    """In plain words, why the IV cannot report on the unit in its present status."""
    if portfolio.status == S.COMPLETE:
        return "This unit is complete: there is nothing left to verify."
    if portfolio.status == S.WITHDRAWN:
        return "The learner has withdrawn from this unit: there is nothing to verify."
    return (
        f"This unit is {portfolio.get_status_display().lower()}: its internal verification is done, "
        "so an IV report is not due now."
    )


def summative_report(portfolio: Portfolio) -> IVReport | None:
    """The summative report on the unit's current round, if its IV has written it."""
    return (
        IVReport.objects.filter(portfolio=portfolio, round=portfolio.round, stage=SampleStage.SUMMATIVE)
        .order_by("-created_at", "-pk")
        .first()
    )


def open_action_points(assessor: User, centre) -> list[ActionPoint]:
    """The assessor's action points not yet done at one centre, soonest due first, in one query however many."""
    return list(
        ActionPoint.objects.filter(assessor=assessor, report__centre=centre, done_at__isnull=True)
        .select_related(
            "report__iv", "report__portfolio__learner", "report__portfolio__unit", "report__criterion__outcome__unit"
        )
        .order_by("due_on", "pk")
    )


def _lock(portfolio: Portfolio) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("unit", "centre", "learner", "assessor", "iv")
        .get(pk=portfolio.pk)
    )


def _clean(
    agreement: str, feedback: str, actions: Iterable[ActionInput]
) -> tuple[str, list[tuple[str, datetime.date]]]:
    """The report's content checked: what is wrong is named by field, each action by its number."""
    errors: dict[str, list[str]] = {}
    if agreement not in Agreement.values:
        errors["agreement"] = ["Say whether you agree with the assessment decision."]
    feedback = (feedback or "").strip()
    if not feedback:
        errors["feedback"] = ["Write your feedback to the assessor."]
    elif len(feedback) > FEEDBACK_MAX:
        errors["feedback"] = [f"Keep the feedback to {FEEDBACK_MAX} characters."]
    today = timezone.localdate()
    cleaned: list[tuple[str, datetime.date]] = []
    action_errors: list[str] = []
    for n, (text, due_on) in enumerate(actions, start=1):
        text = (text or "").strip()
        if not text and due_on is None:
            continue  # a blank row of the form
        if not text:
            action_errors.append(f"Action {n}: say what the assessor is to do.")
        elif len(text) > ACTION_TEXT_MAX:
            action_errors.append(f"Action {n}: keep it to {ACTION_TEXT_MAX} characters.")
        if due_on is None:
            action_errors.append(f"Action {n}: give the date it is due by.")
        elif due_on < today:
            action_errors.append(f"Action {n}: the due date cannot be in the past.")
        if text and due_on is not None:
            cleaned.append((text, due_on))
    if agreement == Agreement.DISAGREE and not cleaned and not action_errors:
        action_errors.append(
            "You disagree with the decision: add at least one action point, so the assessor knows what to do."
        )
    if action_errors:
        errors["actions"] = action_errors
    if errors:
        raise ValidationError(errors)
    return agreement, cleaned


def _covering_items(actor: User, portfolio: Portfolio):
    """The actor's sample items that cover this unit: the unit itself, or the learner's whole portfolio."""
    return SampleItem.objects.filter(plan__iv=actor, plan__centre_id=portfolio.centre_id).filter(
        Q(scope=SampleScope.UNIT, portfolio_id=portfolio.pk)
        | Q(scope=SampleScope.LEARNER, learner_id=portfolio.learner_id)
    )


def _sample_item_for(actor: User, portfolio: Portfolio, stage: str, given: SampleItem | None) -> SampleItem | None:
    covering = _covering_items(actor, portfolio)
    if given is not None:
        if not covering.filter(pk=given.pk).exists():
            raise ValidationError({"sample_item": "That sample item is not in your plan for this unit."})
        return given
    # The item planned for this stage first, then one not yet reported on for this unit, then the earliest due.
    # The reports are counted item by item: joined and grouped, SQLite read every sample item there is to find the
    # unit's and the learner's.
    reports = (
        IVReport.objects.filter(sample_item=OuterRef("pk"), portfolio_id=portfolio.pk)
        .order_by()
        .values("sample_item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        covering.annotate(
            other_stage=Case(When(stage=stage, then=Value(0)), default=Value(1), output_field=IntegerField()),
            reported=Coalesce(Subquery(reports), 0),
        )
        .order_by("other_stage", "reported", "planned_for", "pk")
        .first()
    )


def _create(*, report: IVReport, actions: list[tuple[str, datetime.date]]) -> list[ActionPoint]:
    report.save()
    return [
        ActionPoint.objects.create(report=report, assessor_id=report.assessor_id, text=text, due_on=due_on)
        for text, due_on in actions
    ]


def _announce(report: IVReport, action_points: list[ActionPoint], *, subject: str) -> None:
    """Tell the assessor about the report, and about each action point they are to do."""
    iv_name = report.iv.full_name
    notify(
        user=report.assessor,
        kind="iv_report",
        target=report,
        centre=report.centre,
        title=f"{iv_name} has written an IV report on {subject}",
        body=f"{report.get_agreement_display()}. {report.feedback}",
        url=reverse("iv_report_detail", args=[report.pk]),
    )
    for action in action_points:
        notify(
            user=report.assessor,
            kind="action_point",
            target=action,
            centre=report.centre,
            title=f"Action point from {iv_name}, due by {action.due_on:%d/%m/%Y}: {action.text[:120]}",
            body=action.text,
            url=f"{reverse('action_list')}#action-{action.pk}",
        )


def _audit(actor: User, report: IVReport, action_points: list[ActionPoint], summary: str) -> None:
    audit_log(
        actor=actor,
        actor_role=Role.IV,
        centre=report.centre,
        action="iv_report.written",
        target=report,
        portfolio=report.portfolio,
        summary=summary,
        data={
            "report": report.pk,
            "stage": report.stage,
            "agreement": report.agreement,
            "round": report.round,
            "criterion": report.criterion_id,
            "sample_item": report.sample_item_id,
            "assessor": report.assessor_id,
            "actions": [{"id": a.pk, "text": a.text, "due_on": a.due_on.isoformat()} for a in action_points],
        },
    )


@transaction.atomic
def iv_report_unit(
    *,
    actor: User,
    portfolio: Portfolio,
    agreement: str,
    feedback: str,
    actions: Iterable[ActionInput] = (),
    sample_item: SampleItem | None = None,
) -> IVReport:
    """The unit's IV reports on the assessor's decisions on it, with what the assessor is to do."""
    portfolio = _lock(portfolio)
    if not (may := report_unit_may(actor.pk, row_links(actor.pk, portfolio), portfolio)):
        raise ValidationError(may.reason)
    if portfolio.assessor_id is None:
        raise ValidationError("The unit has no assessor yet: there is no assessment decision to report on.")
    stage = report_stage(portfolio)
    if stage is None:
        raise ValidationError(why_no_report(portfolio))
    if stage == SampleStage.SUMMATIVE and summative_report(portfolio) is not None:
        raise ValidationError(
            "You have already written the summative report on this round of the unit: "
            "a report is never changed. Sign the unit or refer it back."
        )
    agreement, cleaned = _clean(agreement, feedback, actions)
    item = _sample_item_for(actor, portfolio, stage, sample_item)
    report = IVReport(
        iv=actor,
        centre=portfolio.centre,
        sample_item=item,
        assessor=portfolio.assessor,
        portfolio=portfolio,
        round=portfolio.round,
        stage=stage,
        agreement=agreement,
        feedback=feedback.strip(),
    )
    action_points = _create(report=report, actions=cleaned)
    subject = f"{portfolio.learner.full_name}'s {portfolio.unit.title}"
    _audit(
        actor,
        report,
        action_points,
        f"{report.get_stage_display().split(' (')[0]} IV report by {actor.full_name} on {subject}: "
        f"{'agrees' if agreement == Agreement.AGREE else 'disagrees'}, {len(action_points)} action point(s)",
    )
    if stage == SampleStage.SUMMATIVE and not portfolio.iv_sampled:
        # Reporting on the assessor's decision is sampling it: the unit can no longer be released unsampled.
        portfolio.iv_sampled = True
        portfolio.save(update_fields=["iv_sampled"])
        audit_log(
            actor=actor,
            actor_role=Role.IV,
            centre=portfolio.centre,
            action="portfolio.sampled",
            target=portfolio,
            summary=f"Sampled by the IV, {actor.full_name}, with a summative report",
            data={"by": Role.IV, "status": portfolio.status, "report": report.pk},
        )
    _announce(report, action_points, subject=subject)
    return report


@transaction.atomic
def iv_report_criterion(
    *,
    actor: User,
    sample_item: SampleItem,
    agreement: str,
    feedback: str,
    actions: Iterable[ActionInput] = (),
) -> IVReport:
    """The IV reports on one assessor's decisions on one criterion, across the learners they verify."""
    # Locked so that two tabs cannot both write the item's report.
    item = (
        SampleItem.objects.select_for_update(of=("self",))
        .select_related("plan__centre", "assessor", "criterion__outcome__unit")
        .get(pk=sample_item.pk)
    )
    if item.scope != SampleScope.CRITERION:
        raise ValidationError("This sample item is not an assessor's decisions on a criterion.")
    if item.plan.iv_id != actor.pk:
        raise ValidationError("Only the IV whose sampling plan this is reports on it.")
    if item.assessor_id == actor.pk:
        raise ValidationError("An internal verifier cannot report on their own assessment decisions.")
    if item.reports.exists():
        raise ValidationError("You have already reported on this sample: a report is never changed.")
    agreement, cleaned = _clean(agreement, feedback, actions)
    report = IVReport(
        iv=actor,
        centre=item.plan.centre,
        sample_item=item,
        assessor=item.assessor,
        criterion=item.criterion,
        stage=item.stage,
        agreement=agreement,
        feedback=feedback.strip(),
    )
    action_points = _create(report=report, actions=cleaned)
    criterion = item.criterion
    assert criterion is not None and item.assessor is not None
    subject = f"{item.assessor.full_name}'s decisions on criterion {criterion.code} of {criterion.outcome.unit.title}"
    _audit(
        actor,
        report,
        action_points,
        f"IV report by {actor.full_name} on {subject}: "
        f"{'agrees' if agreement == Agreement.AGREE else 'disagrees'}, {len(action_points)} action point(s)",
    )
    _announce(report, action_points, subject=f"your decisions on criterion {criterion.code}")
    return report


@transaction.atomic
def action_point_done(*, actor: User, action: ActionPoint, note: str = "") -> ActionPoint:
    """The assessor says what they did about an action point; the IV is told."""
    action = (
        ActionPoint.objects.select_for_update(of=("self",))
        .select_related("report__centre", "report__iv", "report__portfolio")
        .get(pk=action.pk)
    )
    if actor.pk != action.assessor_id:
        raise ValidationError("Only the assessor it was set for marks an action point done.")
    if action.done_at is not None:
        raise ValidationError(f"You marked this action point done on {timezone.localtime(action.done_at):%d/%m/%Y}.")
    note = (note or "").strip()
    if len(note) > ACTION_TEXT_MAX:
        raise ValidationError({"note": f"Keep the note to {ACTION_TEXT_MAX} characters."})
    action.done_at = timezone.now()
    action.done_note = note
    action.save(update_fields=["done_at", "done_note"])
    report = action.report
    audit_log(
        actor=actor,
        actor_role=Role.ASSESSOR,
        centre=report.centre,
        action="action_point.done",
        target=action,
        portfolio=report.portfolio,
        summary=f"Action point done by {actor.full_name}: {action.text[:200]}",
        data={"report": report.pk, "action": action.pk, "due_on": action.due_on.isoformat(), "note": note},
    )
    notifications_done(target=action)
    if not report.actions.filter(done_at__isnull=True).exists():
        notifications_done(target=report, kind="iv_report")
    notify(
        user=report.iv,
        kind="action_done",
        target=action,
        centre=report.centre,
        title=f"{actor.full_name} has done an action point: {action.text[:120]}",
        body=note,
        url=reverse("iv_report_detail", args=[report.pk]),
    )
    return action


@transaction.atomic
def iv_report_seen(*, actor: User, report: IVReport) -> None:
    """Reading a report is the work its notice asks for: once nothing is left to do on it, the notice closes."""
    if actor.pk == report.assessor_id and not report.actions.filter(done_at__isnull=True).exists():
        notifications_done(target=report, kind="iv_report", user=actor)
    if actor.pk == report.iv_id:
        for action in report.actions.filter(done_at__isnull=False):
            notifications_done(target=action, kind="action_done", user=actor)
