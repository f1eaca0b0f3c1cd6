"""The IV's reports and action points, as services: who writes them, when, what they hold, what they set off;
and that the IV signs a unit only over an agreeing summative report of the round."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus, SignatureKind
from assessments.signoff.services import TransitionError, unit_refer, unit_sign
from assessments.tests.test_signoff import cover_everything, submit
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import Role
from quality.models import ActionPoint, Agreement, IVReport, SampleItem, SampleScope, SampleStage, SamplingPlan
from quality.services.reports import action_point_done, iv_report_criterion, iv_report_unit
from tests.factories import PASSWORD, PortfolioFactory, iv_report_agreeing, member
from units.models import Criterion

S = PortfolioStatus
K = SignatureKind


def later(days: int = 14) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def report(world, agreement="agree", feedback="Sound decisions.", actions=(), **kwargs) -> IVReport:
    return iv_report_unit(
        actor=world.iv, portfolio=world.portfolio, agreement=agreement, feedback=feedback, actions=actions, **kwargs
    )


def status(world) -> str:
    return Portfolio.objects.get(pk=world.portfolio.pk).status


def errors_of(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


@pytest.fixture
def signed(world):
    """The unit covered, submitted and signed by its assessor: a summative report is due."""
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    return world


def plan_for(world, iv=None) -> SamplingPlan:
    today = timezone.localdate()
    return SamplingPlan.objects.create(
        centre=world.centre, iv=iv or world.iv, title="Sample", starts_on=today, ends_on=today + datetime.timedelta(90)
    )


def criterion_item(world, *, iv=None, assessor=None, stage=SampleStage.INTERIM) -> SampleItem:
    plan = plan_for(world, iv)
    return SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.CRITERION,
        stage=stage,
        assessor=assessor or world.assessor,
        criterion=Criterion.objects.get(outcome__unit=world.portfolio.unit, outcome__number=2, number=1),
        planned_for=later(30),
        created_by=plan.iv,
    )


# --- Reports on a unit ---------------------------------------------------------------------------------------


def test_an_interim_report_on_a_unit_in_progress_sets_actions_tells_the_assessor_and_is_audited(world):
    written = report(
        world,
        agreement=Agreement.DISAGREE,
        feedback="  The observation record does not say where it happened.  ",
        actions=[("Add the place to the observation record", later(7)), ("", None)],
    )
    assert (written.stage, written.round, written.portfolio, written.assessor) == (
        SampleStage.INTERIM,
        1,
        world.portfolio,
        world.assessor,
    )
    assert written.feedback == "The observation record does not say where it happened."
    action = written.actions.get()
    assert (action.text, action.due_on, action.assessor, action.done_at) == (
        "Add the place to the observation record",
        later(7),
        world.assessor,
        None,
    )
    # Interim: the unit is not in the sample by it.
    assert not Portfolio.objects.get(pk=world.portfolio.pk).iv_sampled
    event = AuditEvent.objects.get(action="iv_report.written")
    assert (event.actor, event.actor_role, event.centre, event.portfolio) == (
        world.iv,
        Role.IV,
        world.centre,
        world.portfolio,
    )
    assert (event.target_type, event.target_id) == ("quality.ivreport", str(written.pk))
    assert event.data["agreement"] == "disagree" and len(event.data["actions"]) == 1
    kinds = set(Notification.objects.filter(user=world.assessor).values_list("kind", "target_id"))
    assert kinds == {("iv_report", str(written.pk)), ("action_point", str(action.pk))}


def test_a_summative_report_puts_the_unit_in_the_sample(signed):
    world = signed
    written = report(world)
    assert written.stage == SampleStage.SUMMATIVE
    assert Portfolio.objects.get(pk=world.portfolio.pk).iv_sampled
    assert AuditEvent.objects.filter(action="portfolio.sampled", data__report=written.pk).exists()


def test_a_second_summative_report_on_the_round_is_refused(signed):
    report(signed, agreement=Agreement.DISAGREE, actions=[("Look again at E2", later())])
    with pytest.raises(ValidationError, match="already written the summative report"):
        report(signed)
    assert IVReport.objects.count() == 1


def test_interim_reports_may_be_written_more_than_once(world):
    report(world)
    report(world, feedback="Still going well.")
    assert IVReport.objects.filter(stage=SampleStage.INTERIM).count() == 2


@pytest.mark.parametrize("who", ["assessor", "learner", "admin", "other_iv"])
def test_only_the_units_iv_reports_on_it(world, who):
    actor = member(world.centre, Role.IV) if who == "other_iv" else getattr(world, who)
    with pytest.raises(ValidationError, match="Only the unit's internal verifier"):
        iv_report_unit(actor=actor, portfolio=world.portfolio, agreement="agree", feedback="Fine.")
    assert not IVReport.objects.exists()


def test_the_database_refuses_a_report_by_an_iv_on_their_own_decisions(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        IVReport.objects.create(
            iv=world.assessor,
            assessor=world.assessor,
            centre=world.centre,
            portfolio=world.portfolio,
            round=1,
            stage=SampleStage.INTERIM,
            agreement="agree",
            feedback="Marking my own homework.",
        )


@pytest.mark.parametrize(
    ("status_", "message"),
    [
        (S.COMPLETE, "This unit is complete"),
        (S.WITHDRAWN, "withdrawn from this unit"),
        (S.IV_SIGNED, "signed by the iv: its internal verification is done"),
        (S.IV_RELEASED, "released by the iv without sampling: its internal verification is done"),
    ],
)
def test_no_report_once_the_ivs_part_is_over(world, status_, message):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=status_)
    with pytest.raises(ValidationError, match=message):
        report(world)


def test_what_a_report_needs(world):
    with pytest.raises(ValidationError) as err:
        report(world, agreement="maybe", feedback="  ")
    assert errors_of(err) == {
        "agreement": ["Say whether you agree with the assessment decision."],
        "feedback": ["Write your feedback to the assessor."],
    }


def test_a_disagreement_needs_an_action_point(world):
    with pytest.raises(ValidationError) as err:
        report(world, agreement=Agreement.DISAGREE, actions=[("", None)])
    assert "add at least one action point" in errors_of(err)["actions"][0]


def test_each_action_needs_text_and_a_date_not_in_the_past(world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        report(world, actions=[("Check E1", yesterday), ("", later()), ("Check E3", None)])
    assert errors_of(err)["actions"] == [
        "Action 1: the due date cannot be in the past.",
        "Action 2: say what the assessor is to do.",
        "Action 3: give the date it is due by.",
    ]
    # Today is not in the past.
    assert report(world, actions=[("Check E1", timezone.localdate())]).actions.count() == 1


def test_a_report_is_linked_to_the_ivs_sample_item_for_the_unit(signed):
    world = signed
    other_plan = plan_for(world, iv=member(world.centre, Role.IV))
    SampleItem.objects.create(
        plan=other_plan,
        scope=SampleScope.UNIT,
        stage=SampleStage.SUMMATIVE,
        portfolio=world.portfolio,
        planned_for=later(),
        created_by=other_plan.iv,
    )
    plan = plan_for(world)
    interim = SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.UNIT,
        stage=SampleStage.INTERIM,
        portfolio=world.portfolio,
        planned_for=later(1),
        created_by=world.iv,
    )
    summative = SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.LEARNER,
        stage=SampleStage.SUMMATIVE,
        learner=world.learner,
        planned_for=later(20),
        created_by=world.iv,
    )
    assert report(world).sample_item == summative
    assert interim.reports.count() == 0


def test_a_report_is_linked_to_the_ivs_item_for_the_unit_not_yet_reported_on_before_the_earlier_due(world):
    plan = plan_for(world)
    earlier, later_due = (
        SampleItem.objects.create(
            plan=plan,
            scope=scope,
            stage=SampleStage.INTERIM,
            planned_for=later(days),
            created_by=world.iv,
            **what,
        )
        for scope, days, what in (
            (SampleScope.UNIT, 1, {"portfolio": world.portfolio}),
            (SampleScope.LEARNER, 20, {"learner": world.learner}),
        )
    )

    assert [report(world).sample_item for _ in range(3)] == [earlier, later_due, earlier]


def test_a_sample_item_given_must_cover_the_unit(world):
    elsewhere = PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv)
    plan = plan_for(world)
    item = SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.UNIT,
        stage=SampleStage.INTERIM,
        portfolio=elsewhere,
        planned_for=later(),
        created_by=world.iv,
    )
    with pytest.raises(ValidationError) as err:
        report(world, sample_item=item)
    assert errors_of(err) == {"sample_item": ["That sample item is not in your plan for this unit."]}
    assert report(world).sample_item is None


# --- Reports on a criterion ----------------------------------------------------------------------------------


def test_a_criterion_report_covers_the_assessors_decisions_across_learners(world):
    item = criterion_item(world, stage=SampleStage.SUMMATIVE)
    written = iv_report_criterion(
        actor=world.iv,
        sample_item=item,
        agreement=Agreement.DISAGREE,
        feedback="2.1 confirmed on a reflective account alone.",
        actions=[("Observe 2.1 for each learner", later())],
    )
    assert (written.portfolio, written.round, written.criterion, written.stage, written.assessor, written.centre) == (
        None,
        None,
        item.criterion,
        SampleStage.SUMMATIVE,
        world.assessor,
        world.centre,
    )
    assert written.sample_item == item
    assert Notification.objects.filter(user=world.assessor, kind="action_point").count() == 1
    event = AuditEvent.objects.get(action="iv_report.written")
    assert event.portfolio is None and event.data["criterion"] == item.criterion_id
    with pytest.raises(ValidationError, match="already reported on this sample"):
        iv_report_criterion(actor=world.iv, sample_item=item, agreement="agree", feedback="Again.")


def test_only_the_plans_iv_reports_on_a_criterion_sample_and_never_on_their_own_decisions(world):
    item = criterion_item(world)
    with pytest.raises(ValidationError, match="Only the IV whose sampling plan"):
        iv_report_criterion(actor=member(world.centre, Role.IV), sample_item=item, agreement="agree", feedback="x")
    own = criterion_item(world, assessor=world.iv)
    with pytest.raises(ValidationError, match="their own assessment decisions"):
        iv_report_criterion(actor=world.iv, sample_item=own, agreement="agree", feedback="x")


def test_a_unit_sample_item_is_not_reported_as_a_criterion(world):
    plan = plan_for(world)
    item = SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.UNIT,
        stage=SampleStage.INTERIM,
        portfolio=world.portfolio,
        planned_for=later(),
        created_by=world.iv,
    )
    with pytest.raises(ValidationError, match="not an assessor's decisions on a criterion"):
        iv_report_criterion(actor=world.iv, sample_item=item, agreement="agree", feedback="x")


# --- Action points -------------------------------------------------------------------------------------------


def test_the_assessor_marks_an_action_done_and_the_iv_is_told(world):
    written = report(
        world,
        agreement=Agreement.DISAGREE,
        actions=[("Add the place to O1", later(3)), ("Re-judge E2", later(5))],
    )
    first, second = written.actions.order_by("due_on")
    done = action_point_done(actor=world.assessor, action=first, note="  Added: the service desk.  ")
    assert done.is_done and done.done_note == "Added: the service desk."
    event = AuditEvent.objects.get(action="action_point.done")
    assert (event.actor, event.actor_role, event.centre, event.portfolio, event.target_id) == (
        world.assessor,
        Role.ASSESSOR,
        world.centre,
        world.portfolio,
        str(first.pk),
    )
    mine = Notification.objects.filter(user=world.assessor)
    assert mine.get(kind="action_point", target_id=str(first.pk)).done_at is not None
    assert mine.get(kind="action_point", target_id=str(second.pk)).done_at is None
    # The report itself waits until every action is done.
    assert mine.get(kind="iv_report").done_at is None
    told = Notification.objects.get(user=world.iv, kind="action_done")
    assert told.target_id == str(first.pk) and "Added: the service desk." in told.body
    action_point_done(actor=world.assessor, action=second)
    assert mine.get(kind="iv_report").done_at is not None


def test_only_the_actions_assessor_marks_it_done_and_only_once(world):
    action = report(world, actions=[("Check E1", later())]).actions.get()
    for who in (world.iv, world.admin, member(world.centre, Role.ASSESSOR)):
        with pytest.raises(ValidationError, match="Only the assessor it was set for"):
            action_point_done(actor=who, action=action)
    action_point_done(actor=world.assessor, action=action)
    with pytest.raises(ValidationError, match="You marked this action point done on"):
        action_point_done(actor=world.assessor, action=action)
    assert ActionPoint.objects.get(pk=action.pk).done_note == ""


# --- The IV's signature ----------------------------------------------------------------------------------------


def iv_sign(world):
    return unit_sign(actor=world.iv, portfolio=world.portfolio, kind=K.IV, password=PASSWORD)


def test_the_iv_signs_only_over_an_agreeing_summative_report(signed):
    world = signed
    with pytest.raises(TransitionError, match=r"Write your IV report on this unit \(agreeing with the decision\)"):
        iv_sign(world)
    report(world, agreement=Agreement.DISAGREE, actions=[("Look again at E2", later())])
    with pytest.raises(TransitionError, match="Write your IV report"):
        iv_sign(world)
    assert status(world) == S.ASSESSOR_SIGNED


def test_an_interim_report_does_not_let_the_iv_sign(world):
    report(world)
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    with pytest.raises(TransitionError, match="Write your IV report"):
        iv_sign(world)
    iv_report_agreeing(world.portfolio, world.iv)
    iv_sign(world)
    assert status(world) == S.COMPLETE


def test_the_iv_refers_back_without_a_report_and_a_new_round_needs_a_new_report(signed):
    world = signed
    iv_report_agreeing(world.portfolio, world.iv)
    unit_refer(actor=world.iv, portfolio=world.portfolio, role=Role.IV, reasons="E2 needs the customer's words.")
    world.portfolio.refresh_from_db()
    assert world.portfolio.round == 2
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    with pytest.raises(TransitionError, match="Write your IV report"):
        iv_sign(world)
    assert iv_report_agreeing(world.portfolio, world.iv).round == 2
    iv_sign(world)
    assert status(world) == S.COMPLETE
