"""SQLite's query plans once its planner has statistics (the daily `manage.py maintenance` gathers them there).

ANALYZE counts a column's empty values as one value shared by every row that has none, so an index of a column
that is mostly empty looks to the planner as if any lookup in it matched most of the table. Where that would turn a
lookup into a scan of the table, or a walk through a wider set of rows, SQLite has an index of the filled rows alone
(assessments 0021 and 0023, exports 0002, quality 0003 and 0004). Where it would
read a whole centre's rows of one kind and sort them for a page of 50, SQLite has an index in the page's order
(assessments 0022). The learner search finds its registrations off the search indexes (portfolio/text_search.py).
tests/test_postgresql_plans.py checks the same searches on PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    ClaimJudgement,
    Decision,
    Evidence,
    EvidenceSetting,
    Portfolio,
    PortfolioStatus,
    QualificationRegistration,
    Verdict,
)
from audit.models import AuditEvent
from exports.models import Export, ExportKind
from exports.subject_access import audit_rows_about
from people.models import Membership, Role, User
from portfolio.management.commands.maintenance import steps
from quality.models import (
    Agreement,
    EVFinding,
    EVVisit,
    IVReport,
    SampleItem,
    SampleScope,
    SampleStage,
    SamplingPlan,
)
from quality.sampling import method_counts, population
from quality.services.reports import iv_report_unit
from tests.factories import CentreFactory, PortfolioFactory, member
from units.models import Criterion, Qualification

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner and statistics")


def plan(queryset) -> list[str]:
    """EXPLAIN QUERY PLAN, a line for each step."""
    return [line.split(maxsplit=3)[3] for line in queryset.explain().splitlines() if line.strip()]


def plans_of(run, table: str) -> list[list[str]]:
    """The plans of the queries `run` makes that read `table` (SQLite's captured SQL has its values written in)."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    found = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            if f'FROM "{table}"' in query["sql"] and query["sql"].startswith("SELECT"):
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                found.append([row[3] for row in cursor.fetchall()])
    return found


def forty_items(units, *, method, more=lambda n: {}) -> None:
    """Forty evidence items in each unit, in bulk: item n with method(n) and the further fields more(n)."""
    Evidence.objects.bulk_create(
        Evidence(
            portfolio=portfolio,
            number=n,
            title=f"Item {n}",
            method=method(n),
            activity_date=datetime.date(2026, 1, 1),
            setting=EvidenceSetting.REAL_WORK,
            created_by=portfolio.learner,
            **more(n),
        )
        for portfolio in units
        for n in range(1, 41)
    )


def plan_steps(queryset) -> list[tuple[str, list[str]]]:
    """EXPLAIN QUERY PLAN, each step with the steps it is part of, innermost first."""
    rows = [line.split(maxsplit=3) for line in queryset.explain().splitlines() if line.strip()]
    details, parents = {row[0]: row[3] for row in rows}, {row[0]: row[1] for row in rows}

    def above(step: str) -> list[str]:
        return [details[parents[step]], *above(parents[step])] if parents[step] in details else []

    return [(row[3], above(row[0])) for row in rows]


def judged_population(world, *, units: int, elsewhere: int = 20) -> list[Portfolio]:
    """The IV's population of `units` units of forty items, three claims of each judged by their assessor; and the
    IV an assessor at another centre too, where they judged as much in `elsewhere` units."""
    theirs = [PortfolioFactory(centre=CentreFactory(), assessor=world.iv) for _ in range(elsewhere)]
    population_ = [world.portfolio] + [
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(units - 1)
    ]
    method = world.portfolio.unit.methods.first()
    forty_items(theirs + population_, method=lambda n: method)
    criteria = list(Criterion.objects.filter(outcome__unit=world.portfolio.unit)[:3])
    ClaimJudgement.objects.bulk_create(
        ClaimJudgement(evidence=item, criterion=criterion, verdict=Verdict.CONFIRMED, judged_by=judge)
        for judge, units_ in ((world.iv, theirs), (world.assessor, population_))
        for item in Evidence.objects.filter(portfolio__in=units_)
        for criterion in criteria
    )
    return population_


def audit_trail(world) -> None:
    """A centre's audit trail: two hundred learners' units with ten rows each by twenty assessors, and three hundred
    rows on other people's accounts; then the learner's: rows on their unit, their account and their qualification
    registration, and what they did that names no unit."""
    staff = [member(world.centre, Role.ASSESSOR) for _ in range(20)]
    units = [PortfolioFactory(centre=world.centre, assessor=staff[n % 20]) for n in range(200)]
    registration = QualificationRegistration.objects.create(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(slug="level-2-nvq-certificate-in-customer-service"),
        learner_number="CG-0001",
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 8, 31),
    )
    rows = [(staff[n % 20], "assessments.evidence", n, units[n % 200]) for n in range(2000)]
    rows += [(world.admin, "people.user", 10_000 + n, None) for n in range(300)]
    rows += [(world.assessor, "assessments.evidence", n, world.portfolio) for n in range(10)]
    rows += [(world.admin, "people.user", world.learner.pk, None)] * 3
    rows += [(world.admin, "assessments.qualificationregistration", registration.pk, None)]
    rows += [(world.learner, "notifications.notification", n, None) for n in range(5)]
    for actor, target_type, target_id, portfolio in rows:
        AuditEvent(
            actor=actor,
            centre=world.centre,
            action="test.row",
            target_type=target_type,
            target_id=str(target_id),
            portfolio=portfolio,
            summary="-",
        ).save()


def test_with_statistics_the_ivs_population_reads_their_judgements_once_not_unit_by_unit(world):
    judged_population(world, units=10)
    dict(steps())["sqlite_statistics"]()

    steps_ = plan_steps(population(world.iv, world.centre).values_list("pk"))

    # The units they judged in are listed once for the query, not looked for again for each unit of the population.
    judgements = [outer for step, outer in steps_ if "claimjudgement" in step]
    assert judgements, steps_
    for outer in judgements:
        assert not any(line.startswith("CORRELATED") for line in outer), steps_
        assert outer[-1].startswith("LIST SUBQUERY"), steps_


def test_with_statistics_the_subject_access_export_finds_a_learners_audit_rows_off_indexes_not_a_scan(world):
    audit_trail(world)
    dict(steps())["sqlite_statistics"]()

    found = plan(audit_rows_about(world.learner))

    # Each kind of row off its own index (audit 0007 for the targets and for what they did naming no unit), then
    # the rows themselves by id.
    assert not any(line.startswith("SCAN") for line in found), found
    assert found[0] == "SEARCH audit_auditevent USING INTEGER PRIMARY KEY (rowid=?)", found
    for index in (
        "audit_portfolio_at (portfolio_id=?)",
        "audit_target (target_type=? AND target_id=?)",
        "audit_actor_portfolio (actor_id=? AND portfolio_id=?)",
    ):
        assert any(line.endswith(index) for line in found), found


def test_with_statistics_the_ivs_population_looks_up_their_decisions_rather_than_scan_the_evidence(world):
    # Ten learners' units, their items mostly waiting for a decision (decided_by empty), a few decided.
    units = [world.portfolio] + [
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(9)
    ]
    method = world.portfolio.unit.methods.first()
    now = timezone.now()
    decided = {"decision": Decision.ACCEPTED, "decided_by": world.assessor, "decided_at": now}
    forty_items(units, method=lambda n: method, more=lambda n: decided if n == 1 else {})
    dict(steps())["sqlite_statistics"]()

    found = plan(population(world.iv, world.centre).values_list("pk"))

    # Whether the IV decided any item of a unit is looked up by the IV, never by reading every item of every unit.
    assert "SCAN U0" not in found, found
    assert "SEARCH U0 USING INDEX evidence_decided_by_set (decided_by_id=?)" in found, found


def test_with_statistics_registrations_by_status_or_needing_an_assessor_or_iv_are_read_in_the_pages_order(
    client, world
):
    # A centre's registrations: most with both an assessor and an IV, some submitted, a tenth without an IV.
    for n in range(60):
        PortfolioFactory(
            centre=world.centre,
            learner=member(world.centre, Role.LEARNER),
            assessor=world.assessor,
            iv=None if n % 10 == 3 else world.iv,
            status=PortfolioStatus.SUBMITTED if n % 9 == 7 else PortfolioStatus.IN_PROGRESS,
        )
    dict(steps())["sqlite_statistics"]()
    client.force_login(world.admin)
    url = reverse("centre_portfolios")

    def page_plan(status: str) -> list[str]:
        plans = plans_of(lambda: client.get(url, {"status": status}), "assessments_portfolio")
        [found] = [p for p in plans if any("assessments_portfolio USING" in line for line in p)]
        return found

    submitted, unassigned = page_plan("submitted"), page_plan("unassigned")

    # Read off indexes in the page's order (at a centre this small SQLite may still choose to sort the few rows).

    assert any("USING INDEX portfolio_centre_status_newest (centre_id=? AND status=?)" in x for x in submitted)
    assert any("USING INDEX portfolio_centre_unassigned (centre_id=?)" in line for line in unassigned), unassigned


def test_with_statistics_the_ivs_evidence_is_counted_by_method_from_an_index_alone(world):
    units = [world.portfolio] + [
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(4)
    ]
    methods = list(world.portfolio.unit.methods.all())
    forty_items(units, method=lambda n: methods[n % len(methods)])
    dict(steps())["sqlite_statistics"]()

    [found] = plans_of(lambda: method_counts(world.iv, world.centre), "assessments_evidence")

    assert any("assessments_evidence USING COVERING INDEX evidence_portfolio_method" in line for line in found), found


def test_the_assessor_search_reads_the_centres_assessors_off_an_index_of_centre_and_role(client, world):
    for n in range(30):
        member(world.centre, Role.LEARNER if n % 5 else Role.ASSESSOR)
    dict(steps())["sqlite_statistics"]()
    client.force_login(world.admin)
    url = reverse("centre_portfolios")

    # Two characters have no trigram to look up (portfolio/text_search.py): the names are matched row by row.
    by_row = plans_of(lambda: client.get(url, {"assessor": "as"}), "people_user")
    # Four do: the people the search index found, each looked up with their membership.
    by_index = plans_of(lambda: client.get(url, {"assessor": "asha"}), "people_user")

    assert any(
        "people_membership USING COVERING INDEX membership_centre_role (centre_id=? AND role=?)" in line
        for found in by_row
        for line in found
    ), by_row
    assert [
        "SEARCH people_membership USING INDEX sqlite_autoindex_people_membership_1 (user_id=? AND centre_id=? AND "
        "role=?)",
        "SEARCH people_user USING INTEGER PRIMARY KEY (rowid=?)",
    ] in by_index, by_index


def test_with_statistics_a_qualification_registrations_units_are_looked_up_not_scanned_for(world):
    # Units registered on their own: their qualification registration is empty.
    for _ in range(30):
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv)
    dict(steps())["sqlite_statistics"]()

    found = plan(Portfolio.objects.filter(qualification_registration_id=1).exclude(status="withdrawn").order_by())

    assert found == [
        "SEARCH assessments_portfolio USING INDEX portfolio_qualification_registration_set "
        "(qualification_registration_id=?)"
    ]


def test_with_statistics_the_learner_search_reads_its_registrations_off_the_search_index_not_the_centres_rows(
    client, world
):
    # A centre of a few hundred learners: enough that reading all its registrations is the costly plan.
    learners = User.objects.bulk_create(
        User(email=f"learner{n}@example.org", full_name=f"Learner {n:04d}") for n in range(300)
    )
    Membership.objects.bulk_create(Membership(user=u, centre=world.centre, role=Role.LEARNER) for u in learners)
    unit = world.portfolio
    Portfolio.objects.bulk_create(
        Portfolio(
            learner=learner,
            centre=world.centre,
            unit=unit.unit,
            awarding_body=unit.awarding_body,
            assessor=world.assessor,
            iv=world.iv,
            learner_number=f"N-{n:04d}",
            start_date=unit.start_date,
            planned_end_date=unit.planned_end_date,
        )
        for n, learner in enumerate(learners)
    )
    dict(steps())["sqlite_statistics"]()
    client.force_login(world.admin)
    url = reverse("centre_portfolios")

    def page_plan(query: str) -> list[str]:
        [found] = plans_of(lambda: client.get(url, {"q": query}), "assessments_portfolio")
        return found

    # The people and the learner numbers are looked up in the search indexes first (portfolio/text_search.py), so
    # the registrations come by their learner or by their own key, not from the centre's rows.
    by_name, by_number = page_plan("learner 0012"), page_plan("n-0012")

    for found in (by_name, by_number):
        assert not any(
            line.startswith(("SCAN assessments_portfolio", "SEARCH assessments_portfolio USING INDEX portfolio_centre"))
            for line in found
        ), found
    assert (
        "SEARCH assessments_portfolio USING INDEX assessments_portfolio_learner_id_f8cf451d (learner_id=?)" in by_name
    )
    assert "SEARCH assessments_portfolio USING INTEGER PRIMARY KEY (rowid=?)" in by_number, by_number


def test_with_statistics_a_learners_exports_are_looked_up_not_found_among_the_centres_cohort_exports(client, world):
    # Centres that export their cohorts far more often than single learners: most exports name no learner.
    centres = [world.centre] + [CentreFactory() for _ in range(5)]
    Export.objects.bulk_create(
        Export(centre=centre, kind=ExportKind.COHORT, requested_by=world.admin, requested_role="admin", description="")
        for centre in centres
        for _ in range(100)
    )
    learners = [world.learner] + [member(world.centre, Role.LEARNER) for _ in range(2)]
    Export.objects.bulk_create(
        Export(
            centre=world.centre,
            kind=ExportKind.LEARNER,
            learner=learner,
            requested_by=world.admin,
            requested_role="admin",
            description="",
        )
        for learner in learners
    )
    dict(steps())["sqlite_statistics"]()
    client.force_login(world.admin)

    [found] = plans_of(lambda: client.get(reverse("export_learner", args=[world.learner.pk])), "exports_export")

    # The learner's few exports by their learner (exports 0002), not the centre's hundreds read newest first.
    assert found[0] == "SEARCH exports_export USING INDEX export_learner_set (learner_id=?)", found


def test_with_statistics_the_sample_items_covering_a_unit_are_looked_up_by_unit_and_learner(world):
    # An IV's plans at two centres, each sampling a few units and an assessor's criteria; no learner sampled whole.
    other = CentreFactory()
    criteria = list(Criterion.objects.filter(outcome__unit=world.portfolio.unit)[:4])
    pool = [PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(40)]
    plans = [
        SamplingPlan.objects.create(
            centre=centre,
            iv=world.iv,
            title=f"Plan {n}",
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 12, 31),
        )
        for centre in (world.centre, other)
        for n in range(10)
    ]
    day = datetime.date(2026, 3, 1)
    SampleItem.objects.bulk_create(
        [
            SampleItem(
                plan=plan_,
                scope=SampleScope.UNIT,
                stage=SampleStage.INTERIM,
                portfolio=portfolio,
                planned_for=day,
                created_by=world.iv,
            )
            for n, plan_ in enumerate(plans)
            for portfolio in pool[n * 2 : n * 2 + 2]
        ]
        + [
            SampleItem(
                plan=plan_,
                scope=SampleScope.CRITERION,
                stage=SampleStage.INTERIM,
                assessor=world.assessor,
                criterion=criterion,
                planned_for=day,
                created_by=world.iv,
            )
            for plan_ in plans
            for criterion in criteria
        ]
    )
    dict(steps())["sqlite_statistics"]()

    def report() -> None:
        iv_report_unit(actor=world.iv, portfolio=pool[3], agreement=Agreement.AGREE, feedback="Sound decisions.")

    [found] = plans_of(report, "quality_sampleitem")

    # The unit's items and its learner's, each off its own index (quality 0003), not every item of the IV's plans.
    assert "SEARCH quality_sampleitem USING INDEX sample_item_portfolio_set (portfolio_id=?)" in found, found
    assert "SEARCH quality_sampleitem USING INDEX sample_item_learner_set (learner_id=?)" in found, found


def test_with_statistics_a_visits_findings_and_its_samples_reports_are_looked_up_not_scanned_for(client, world):
    # Findings mostly recorded outside a visit, and IV reports mostly on assessors' criteria: most name no visit and
    # no unit.
    units = [world.portfolio] + [
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(20)
    ]
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=world.ev.ev_roles.get(),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=1),
        created_by=world.admin,
    )
    visit.sample.set(units[:10])
    EVFinding.objects.bulk_create(
        EVFinding(
            portfolio=portfolio,
            round=round_,
            ev=world.ev,
            visit=visit if round_ == 1 and n < 3 else None,
            agreement="agree",
            findings="Sound.",
        )
        for n, portfolio in enumerate(units)
        for round_ in range(1, 31)
    )
    report = {"iv": world.iv, "centre": world.centre, "assessor": world.assessor, "stage": SampleStage.INTERIM}
    IVReport.objects.bulk_create(
        [
            IVReport(criterion=criterion, agreement=Agreement.AGREE, feedback="Sound.", **report)
            for criterion in Criterion.objects.filter(outcome__unit=world.portfolio.unit)[:20]
            for _ in range(30)
        ]
        + [
            IVReport(portfolio=portfolio, round=1, agreement=Agreement.AGREE, feedback="Sound.", **report)
            for portfolio in units[:8]
        ]
    )
    dict(steps())["sqlite_statistics"]()
    client.force_login(world.admin)
    url = reverse("ev_visit_detail", args=[visit.pk])

    [findings] = plans_of(lambda: client.get(url), "quality_evfinding")
    [reports] = plans_of(lambda: client.get(url), "quality_ivreport")

    # The visit's few findings by their visit, not every registration on their unit; the sample's reports by unit.
    assert "SEARCH quality_evfinding USING INDEX ev_finding_visit_set (visit_id=?)" in findings, findings
    assert reports[0] == "SEARCH quality_ivreport USING INDEX iv_report_portfolio_set (portfolio_id=?)", reports
