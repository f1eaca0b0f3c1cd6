"""The sampling reads: the IV's population, risk bands and targets, units sampled, and CAMERA coverage of a plan
on a small dataset whose figures are known exactly."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments.models import Evidence, EvidenceSetting, PortfolioStatus
from audit.models import AuditEvent
from people.models import Membership, Qualification, Role
from quality.camera import plan_coverage
from quality.models import Agreement, AssessorRisk, IVReport, SampleItem, SamplingPolicy
from quality.sampling import months_before, overview_for, risk_bands, target_for
from quality.services.sampling import (
    OWN_DECISIONS,
    sample_item_add,
    sample_item_remove,
    sampling_plan_create,
    sampling_policy_update,
)
from tests.factories import PortfolioFactory, member
from units.models import AssessmentMethod, Criterion

pytestmark = pytest.mark.django_db


def crit(code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(
        outcome__unit__slug="deliver-customer-service-to-difficult-customers", outcome__number=outcome, number=number
    )


def add_evidence(portfolio, method: str, setting: str, criteria: list[str]) -> Evidence:
    number = portfolio.evidence.count() + 1
    evidence = Evidence.objects.create(
        portfolio=portfolio,
        number=number,
        title=f"Item {number}",
        method=AssessmentMethod.objects.get(code=method),
        activity_date=timezone.localdate(),
        setting=setting,
        created_by=portfolio.learner,
    )
    evidence.criteria.set([crit(c) for c in criteria])
    return evidence


def age(user, centre, *, years: int = 3) -> None:
    Membership.objects.filter(user=user, centre=centre, role=Role.ASSESSOR).update(
        created_at=timezone.now() - datetime.timedelta(days=365 * years)
    )


def report(world, portfolio, *, agreement=Agreement.AGREE, days_ago: int = 0, iv=None) -> IVReport:
    made = IVReport.objects.create(
        iv=iv or world.iv,
        centre=world.centre,
        assessor=portfolio.assessor,
        portfolio=portfolio,
        round=portfolio.round,
        stage="summative",
        agreement=agreement,
        feedback="Sound judgements.",
    )
    if days_ago:
        IVReport.objects.filter(pk=made.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    return made


@pytest.fixture
def small(world):
    """Three units the world IV verifies: two of the world assessor (experienced), one of a qualifying assessor;
    plus a withdrawn unit and a unit another IV verifies, which are not in the population."""
    age(world.assessor, world.centre)
    qualifying = member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING, user__full_name="Bo Qual")
    p1 = world.portfolio
    p2 = PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Lee Two"),
    )
    p3 = PortfolioFactory(centre=world.centre, assessor=qualifying, iv=world.iv)
    withdrawn = PortfolioFactory(centre=world.centre, assessor=qualifying, iv=world.iv)
    other_iv = PortfolioFactory(
        centre=world.centre, assessor=world.assessor, iv=member(world.centre, Role.IV, user__full_name="Ola Other")
    )
    add_evidence(p1, "O", EvidenceSetting.REAL_WORK, ["1.1", "2.1"])
    add_evidence(p1, "Q", EvidenceSetting.REALISTIC, ["3.1"])
    add_evidence(p2, "PE", EvidenceSetting.REAL_WORK, ["2.1"])
    add_evidence(p3, "WT", EvidenceSetting.SIMULATION, ["1.2"])
    add_evidence(p3, "O", EvidenceSetting.REAL_WORK, ["2.1"])
    add_evidence(withdrawn, "RA", EvidenceSetting.SIMULATION, ["2.2"])
    add_evidence(other_iv, "PD", EvidenceSetting.REAL_WORK, ["2.2"])
    p2.status = PortfolioStatus.ASSESSOR_SIGNED
    p2.save(update_fields=["status"])
    p3.status = PortfolioStatus.IV_SIGNED
    p3.save(update_fields=["status"])
    withdrawn.status = PortfolioStatus.WITHDRAWN
    withdrawn.save(update_fields=["status"])
    plan = sampling_plan_create(
        actor=world.iv,
        centre=world.centre,
        title="Spring",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=60),
    )
    return {"p1": p1, "p2": p2, "p3": p3, "qualifying": qualifying, "plan": plan, "withdrawn": withdrawn}


def add(world, plan, scope, stage="interim", **target) -> SampleItem:
    return sample_item_add(actor=world.iv, plan=plan, scope=scope, stage=stage, planned_for=plan.starts_on, **target)


def test_targets_round_up():
    assert [target_for(10, n) for n in (0, 1, 10, 11)] == [0, 1, 1, 2]
    assert target_for(100, 7) == 7 and target_for(0, 7) == 0 and target_for(30, 5) == 2


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    moment = datetime.datetime(2026, 3, 31, 9, 30, tzinfo=datetime.UTC)
    assert months_before(moment, 1) == datetime.datetime(2026, 2, 28, 9, 30, tzinfo=datetime.UTC)
    assert months_before(moment, 12) == datetime.datetime(2025, 3, 31, 9, 30, tzinfo=datetime.UTC)
    assert months_before(moment, 15).date() == datetime.date(2024, 12, 31)


def test_risk_bands(world, small):
    new = member(world.centre, Role.ASSESSOR, user__full_name="Nia New")
    ids = {world.assessor.pk, small["qualifying"].pk, new.pk}
    policy = SamplingPolicy(centre=world.centre)
    bands = risk_bands(world.centre, ids, policy)
    assert bands == {
        world.assessor.pk: AssessorRisk.EXPERIENCED,
        small["qualifying"].pk: AssessorRisk.QUALIFYING,
        new.pk: AssessorRisk.NEW,
    }
    # A disagreement over a year old no longer counts; one in the last year does.
    report(world, small["p2"], agreement=Agreement.DISAGREE, days_ago=400)
    assert risk_bands(world.centre, ids, policy)[world.assessor.pk] == AssessorRisk.EXPERIENCED
    report(world, small["p2"], agreement=Agreement.DISAGREE, days_ago=10)
    assert risk_bands(world.centre, ids, policy)[world.assessor.pk] == AssessorRisk.DISAGREED
    # Still qualifying comes before new, and new before disagreed.
    Membership.objects.filter(user=world.assessor, role=Role.ASSESSOR).update(qualification=Qualification.QUALIFYING)
    assert risk_bands(world.centre, ids, policy)[world.assessor.pk] == AssessorRisk.QUALIFYING
    Membership.objects.filter(user=world.assessor, role=Role.ASSESSOR).update(
        qualification=Qualification.QUALIFIED, created_at=timezone.now()
    )
    assert risk_bands(world.centre, ids, policy)[world.assessor.pk] == AssessorRisk.NEW
    # How long an assessor counts as new is the centre's choice.
    Membership.objects.filter(user=new, role=Role.ASSESSOR).update(
        created_at=timezone.now() - datetime.timedelta(days=100)
    )
    assert risk_bands(world.centre, ids, SamplingPolicy(centre=world.centre, new_for_months=3))[new.pk] == (
        AssessorRisk.EXPERIENCED
    )
    assert (
        risk_bands(world.centre, ids, SamplingPolicy(centre=world.centre, new_for_months=4))[new.pk] == AssessorRisk.NEW
    )


def test_a_disagreement_at_another_centre_does_not_count(world, small):
    elsewhere = PortfolioFactory(centre=world.other_centre, assessor=world.assessor)
    IVReport.objects.create(
        iv=member(world.other_centre, Role.IV),
        centre=world.other_centre,
        assessor=world.assessor,
        portfolio=elsewhere,
        round=1,
        stage="interim",
        agreement=Agreement.DISAGREE,
        feedback="No.",
    )
    bands = risk_bands(world.centre, {world.assessor.pk}, SamplingPolicy(centre=world.centre))
    assert bands[world.assessor.pk] == AssessorRisk.EXPERIENCED


def test_overview_figures(world, small):
    overview = overview_for(world.iv, world.centre)
    assert set(overview.units) == {small["p1"].pk, small["p2"].pk, small["p3"].pk}
    rows = {r.assessor.pk: r for r in overview.assessors}
    mine, theirs = rows[world.assessor.pk], rows[small["qualifying"].pk]
    assert (mine.band, mine.rate, mine.units, mine.signed, mine.target) == (AssessorRisk.EXPERIENCED, 10, 2, 1, 1)
    assert mine.method_list == [("O", 1), ("PE", 1), ("Q", 1)]
    assert (theirs.band, theirs.rate, theirs.units, theirs.signed, theirs.target) == (
        AssessorRisk.QUALIFYING,
        100,
        1,
        1,
        1,
    )
    assert (mine.sampled, mine.shortfall, theirs.shortfall) == (0, 1, 1)
    assert not any(state.sampled for state in overview.states.values())

    plan = small["plan"]
    add(world, plan, "unit", "interim", portfolio=small["p1"])
    add(world, plan, "criterion", "summative", assessor=small["qualifying"], criterion=crit("2.1"))
    report(world, small["p2"])
    overview = overview_for(world.iv, world.centre)
    rows = {r.assessor.pk: r for r in overview.assessors}
    mine, theirs = rows[world.assessor.pk], rows[small["qualifying"].pk]
    assert (mine.planned, mine.reported, mine.shortfall) == (1, 1, 0)
    # A sample of one criterion across learners is not a sample of the units it touches: the target still stands.
    assert (theirs.planned, theirs.reported, theirs.shortfall) == (0, 0, 1)
    assert overview.states[small["p1"].pk].label == "Planned interim"
    assert overview.states[small["p2"].pk].label == "Reported"
    assert overview.states[small["p3"].pk].label == "Not sampled"
    add(world, plan, "unit", "summative", portfolio=small["p3"])
    overview = overview_for(world.iv, world.centre)
    assert {r.assessor.pk: r for r in overview.assessors}[small["qualifying"].pk].shortfall == 0
    assert overview.states[small["p3"].pk].label == "Planned summative"


def test_a_policy_saved_changes_rates_and_targets(world, small):
    sampling_policy_update(
        actor=world.admin,
        centre=world.centre,
        qualifying_rate=100,
        new_rate=50,
        disagreed_rate=30,
        experienced_rate=60,
        new_for_months=12,
    )
    rows = {r.assessor.pk: r for r in overview_for(world.iv, world.centre).assessors}
    assert (rows[world.assessor.pk].rate, rows[world.assessor.pk].target) == (60, 2)
    assert AuditEvent.objects.filter(action="sampling_policy.update", actor=world.admin).count() == 1


def test_policy_is_admins_only_and_checked(world):
    with pytest.raises(PermissionDenied):
        sampling_policy_update(actor=world.iv, centre=world.centre, experienced_rate=5)
    with pytest.raises(ValidationError) as exc:
        sampling_policy_update(actor=world.admin, centre=world.centre, experienced_rate=101)
    assert "experienced_rate" in exc.value.error_dict
    assert not SamplingPolicy.objects.exists()


def by_key(coverage) -> dict[str, tuple[int, int, list[str]]]:
    return {d.key: (d.covered, d.total, [label for _, label in d.unsampled]) for d in coverage.dimensions}


def test_camera_coverage_of_a_plan(world, small):
    plan = small["plan"]
    empty = by_key(plan_coverage(plan))
    assert {k: v[:2] for k, v in empty.items()} == {
        "candidates": (0, 3),
        "assessors": (0, 2),
        "methods": (0, 4),
        "elements": (0, 3),
        "records": (0, 2),
        "locations": (0, 3),
    }
    assert empty["methods"][2] == ["O Observation", "Q Questioning", "PE Product evidence", "WT Witness testimony"]

    add(world, plan, "unit", "interim", portfolio=small["p1"])
    add(world, plan, "criterion", "summative", assessor=small["qualifying"], criterion=crit("2.1"))
    coverage = plan_coverage(plan)
    figures = by_key(coverage)
    assert figures["candidates"] == (2, 3, ["Lee Two"])
    assert figures["assessors"][:2] == (2, 2)
    assert figures["methods"] == (2, 4, ["PE Product evidence", "WT Witness testimony"])
    assert figures["elements"][:2] == (3, 3)
    # The criterion sample shows the IV the qualifying assessor's decision on 2.1 in their unit, not the whole record:
    # no record is sampled yet, and that assessor's target is still to plan.
    assert figures["records"][:2] == (0, 2)
    assert figures["locations"] == (2, 3, ["Simulation"])
    targets = {t.row.assessor.pk: (t.row.target, t.in_plan, t.still_to_plan) for t in coverage.targets}
    assert targets == {world.assessor.pk: (1, 1, 0), small["qualifying"].pk: (1, 0, 1)}

    add(world, plan, "learner", "summative", learner=small["p2"].learner)
    figures = by_key(plan_coverage(plan))
    assert figures["candidates"] == (3, 3, [])
    assert figures["methods"] == (3, 4, ["WT Witness testimony"])
    assert figures["records"][:2] == (1, 2)
    assert figures["records"][2] == [
        f"{small['p3'].learner.full_name}, Deliver customer service to difficult customers"
    ]


def test_a_criterion_item_covers_only_its_outcome_and_what_claims_it(world, small):
    plan = small["plan"]
    add(world, plan, "criterion", "interim", assessor=world.assessor, criterion=crit("3.1"))
    figures = by_key(plan_coverage(plan))
    # Only the first unit claims 3.1, by questioning in a realistic working environment.
    assert figures["candidates"][:2] == (1, 3)
    assert figures["methods"][:2] == (1, 4)
    assert figures["elements"] == (1, 3, figures["elements"][2])
    assert len(figures["elements"][2]) == 2
    assert figures["locations"] == (1, 3, ["Real work", "Simulation"])
    assert figures["records"][:2] == (0, 2)


def test_sample_item_rules(world, small):
    plan = small["plan"]
    with pytest.raises(ValidationError) as exc:
        add(world, plan, "unit", portfolio=small["withdrawn"])
    assert "portfolio" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        sample_item_add(
            actor=world.iv,
            plan=plan,
            scope="unit",
            stage="interim",
            planned_for=plan.ends_on + datetime.timedelta(days=1),
            portfolio=small["p1"],
        )
    assert "planned_for" in exc.value.error_dict
    add(world, plan, "unit", "interim", portfolio=small["p1"])
    with pytest.raises(ValidationError, match="already in this plan"):
        add(world, plan, "unit", "interim", portfolio=small["p1"])
    add(world, plan, "unit", "summative", portfolio=small["p1"])  # the other stage is another item
    with pytest.raises(ValidationError) as exc:
        add(world, plan, "criterion", assessor=world.iv, criterion=crit("2.1"))
    assert exc.value.error_dict["assessor"][0].messages == [OWN_DECISIONS]
    with pytest.raises(ValidationError) as exc:
        add(world, plan, "criterion", assessor=world.admin, criterion=crit("2.1"))
    assert "assessor" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        add(world, plan, "learner", learner=world.admin)
    assert "learner" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        sample_item_add(
            actor=world.assessor,
            plan=plan,
            scope="unit",
            stage="interim",
            planned_for=plan.starts_on,
            portfolio=small["p1"],
        )
    assert AuditEvent.objects.filter(action="sample_item.add", centre=world.centre).count() == 2


def test_an_item_reported_on_stays(world, small):
    plan = small["plan"]
    item = add(world, plan, "unit", "summative", portfolio=small["p2"])
    made = report(world, small["p2"])
    made.sample_item = item
    made.save(update_fields=["sample_item"])
    with pytest.raises(ValidationError, match="reported on"):
        sample_item_remove(actor=world.iv, item=item)
    other = add(world, plan, "unit", "interim", portfolio=small["p1"])
    sample_item_remove(actor=world.iv, item=other)
    assert list(plan.items.all()) == [item]
    assert AuditEvent.objects.filter(action="sample_item.remove").count() == 1
