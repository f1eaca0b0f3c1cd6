"""Benchmark: the IV's sampling overview and a sampling plan's page (CAMERA coverage) at a large centre.

Gives one IV 500 learners' units assessed by 10 assessors (2 still qualifying, 2 new to the centre, 6 experienced,
one of whom the IV disagreed with this year), 20,000 evidence items spread across the units with methods, settings
and criteria, a fifth of the units signed by the assessor, and a plan with unit, learner and criterion items and a
couple of reports; then requests both pages repeatedly in-process and prints the median and 95th-percentile
server time and the number of queries of each. The same population is filled at a centre of 1,000 learners and
at one of 100,000 (the rest other IVs' and assessors'), and the pages are compared side by side against issue
14's goal: the same queries, CPU and wall time within 1.5x.

    .venv/bin/python bench/sampling_page.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench_sampling .venv/bin/python bench/sampling_page.py

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    configure,
    gather_statistics,
    measure,
    prepare_postgres,
    start_django,
    status_guard_off,
)
from registrations import add_registrations  # noqa: E402
from sizes import compare  # noqa: E402


def fill(learners: int, items: int, assessors: int, number: str = "90003", *, migrate: bool = True):
    """The IV's population at a new centre, in bulk. Returns the IV and the plan."""
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import Evidence, EvidenceSetting, Portfolio, PortfolioStatus
    from people.models import Centre, Membership, Qualification, Role, User
    from quality.models import Agreement, IVReport, SampleItem, SampleScope, SampleStage, SamplingPlan
    from units.models import Criterion, UnitCode

    if migrate:
        call_command("migrate", verbosity=0)
        call_command("loaddata", "unit_c4", verbosity=0)
    status_guard_off()
    centre = Centre.objects.create(name=f"Bench Centre {number}", number=number)
    domain = f"c{number}.bench.example"
    now = timezone.now()
    today = timezone.localdate()
    unusable = make_password(None)
    # No passwords: the client signs in with force_login.
    iv = User.objects.create_user(email=f"iv@{domain}", full_name="Bench IV")
    staff = User.objects.bulk_create(
        User(email=f"assessor{n:02d}@{domain}", full_name=f"Bench Assessor {n:02d}", password=unusable)
        for n in range(1, assessors + 1)
    )
    people = User.objects.bulk_create(
        User(email=f"learner{n:03d}@{domain}", full_name=f"Bench Learner {n:03d}", password=unusable)
        for n in range(1, learners + 1)
    )

    def assessor_membership(n: int, user: User) -> Membership:
        # Two still qualifying, two who joined two months ago, the rest here for three years.
        qualifying = n < 2
        joined = now - datetime.timedelta(days=60 if n in (2, 3) else 3 * 365)
        return Membership(
            user=user,
            centre=centre,
            role=Role.ASSESSOR,
            qualification=Qualification.QUALIFYING if qualifying else Qualification.QUALIFIED,
            created_at=joined,
        )

    Membership.objects.bulk_create(
        [
            Membership(user=iv, centre=centre, role=Role.IV, qualification=Qualification.QUALIFIED),
            *(assessor_membership(n, u) for n, u in enumerate(staff)),
            *(Membership(user=u, centre=centre, role=Role.LEARNER) for u in people),
        ]
    )
    # The newest version of unit 220: the number names one row per version once a specification has changed.
    code = UnitCode.newest_versions().get(awarding_body__code="CG", code="220")
    start = today - datetime.timedelta(days=200)
    Portfolio.objects.bulk_create(
        Portfolio(
            learner=learner,
            centre=centre,
            unit=code.unit,
            awarding_body=code.awarding_body,
            assessor=staff[n % len(staff)],
            iv=iv,
            learner_number=f"BENCH-{number}-{n:04d}",
            start_date=start,
            planned_end_date=start + datetime.timedelta(days=500),
            evidence_counter=items // learners,
        )
        for n, learner in enumerate(people)
    )
    portfolios = list(Portfolio.objects.filter(centre=centre).order_by("pk"))
    methods = list(code.unit.methods.all())
    settings = EvidenceSetting.values
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit).order_by("outcome__number", "number"))
    Evidence.objects.bulk_create(
        (
            Evidence(
                portfolio=portfolios[k % len(portfolios)],
                number=k // len(portfolios) + 1,
                title=f"Evidence item {k}",
                method=methods[(k * 7 + k // len(portfolios)) % len(methods)],
                activity_date=start + datetime.timedelta(days=k % 190),
                setting=settings[(k // 3) % len(settings)],
                created_by=portfolios[k % len(portfolios)].learner,
            )
            for k in range(items)
        ),
        batch_size=2000,
    )
    through = Evidence.criteria.through
    every = list(Evidence.objects.filter(portfolio__centre=centre).values_list("pk", "number"))
    through.objects.bulk_create(
        (
            through(evidence_id=pk, criterion_id=criteria[(number * 3 + k) % len(criteria)].pk)
            for pk, number in every
            for k in range(3)
        ),
        batch_size=5000,
    )
    # A fifth signed by the assessor, a few of those signed by the IV too (after the evidence: it locks then).
    signed = [p.pk for p in portfolios[::5]]
    Portfolio.objects.filter(pk__in=signed).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    Portfolio.objects.filter(pk__in=signed[::4]).update(status=PortfolioStatus.IV_SIGNED)

    plan = SamplingPlan.objects.create(
        centre=centre, iv=iv, title="Bench plan", starts_on=today, ends_on=today + datetime.timedelta(days=90)
    )
    due = today + datetime.timedelta(days=30)
    made = SampleItem.objects.bulk_create(
        [
            *(
                SampleItem(
                    plan=plan,
                    scope=SampleScope.UNIT,
                    stage=SampleStage.SUMMATIVE if p.pk in signed else SampleStage.INTERIM,
                    portfolio=p,
                    planned_for=due,
                    created_by=iv,
                )
                for p in portfolios[::17]
            ),
            *(
                SampleItem(
                    plan=plan,
                    scope=SampleScope.LEARNER,
                    stage=SampleStage.INTERIM,
                    learner=p.learner,
                    planned_for=due,
                    created_by=iv,
                )
                for p in portfolios[3::101]
            ),
            *(
                SampleItem(
                    plan=plan,
                    scope=SampleScope.CRITERION,
                    stage=SampleStage.INTERIM,
                    assessor=staff[n],
                    criterion=criteria[n * 5],
                    planned_for=due,
                    created_by=iv,
                )
                for n in range(4)
            ),
        ]
    )
    reported = [i for i in made if i.scope == SampleScope.UNIT][:2]
    IVReport.objects.bulk_create(
        IVReport(
            iv=iv,
            centre=centre,
            sample_item=item,
            assessor=item.portfolio.assessor,
            portfolio=item.portfolio,
            round=1,
            stage=item.stage,
            agreement=agreement,
            feedback="Bench report.",
        )
        for item, agreement in zip(reported, [Agreement.AGREE, Agreement.DISAGREE], strict=True)
    )
    # Fresh statistics, as autovacuum would have gathered on a live database after so many inserts (and on SQLite
    # the daily maintenance).
    gather_statistics()
    return iv, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500, help="learners, one unit each (default 500)")
    parser.add_argument("--items", type=int, default=20000, help="evidence items in all (default 20,000)")
    parser.add_argument("--assessors", type=int, default=10, help="assessors (default 10)")
    parser.add_argument("--runs", type=int, default=30, help="requests of each page (default 30)")
    parser.add_argument("--small", type=int, default=1000, help="learners at the small centre (default 1,000)")
    parser.add_argument("--large", type=int, default=100_000, help="learners at the large centre (default 100,000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        started = time.perf_counter()
        # The same IV's population at a centre of `small` learners and at one of `large`: the rest other IVs'.
        iv, plan = fill(args.learners, args.items, args.assessors, "90003")
        big_iv, big_plan = fill(args.learners, args.items, args.assessors, "90013", migrate=False)
        add_registrations(plan.centre, args.small - args.learners)
        add_registrations(big_plan.centre, args.large - args.learners)
        gather_statistics()
        print(
            f"Filled {args.learners} learners' units, {args.assessors} assessors and {args.items} evidence items "
            f"for one IV, at centres of {args.small:,} and {args.large:,} learners, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"Database: {connection.vendor}; {args.runs} requests of each page after one warm-up\n")
        clients = []
        for who in (iv, big_iv):
            client = Client()
            client.force_login(who)
            clients.append(client)
        client = clients[0]
        overview = client.get(reverse("sampling_overview")).context["overview"]
        bands = ", ".join(f"{r.assessor.full_name[-2:]} {r.band} {r.sampled}/{r.target}" for r in overview.assessors)
        print(f"Assessors (sampled/target): {bands}")
        coverage = client.get(reverse("sampling_plan_detail", args=[plan.pk])).context["coverage"]
        print("Plan covers: " + ", ".join(f"{d.name} {d.covered}/{d.total}" for d in coverage.dimensions) + "\n")
        print(f"{'Page':34} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        pages = [
            ("Sampling overview", reverse("sampling_overview"), reverse("sampling_overview")),
            (
                "Sampling overview, unsampled",
                reverse("sampling_overview") + "?sampled=no&page=3",
                reverse("sampling_overview") + "?sampled=no&page=3",
            ),
            (
                "Sampling plan (CAMERA)",
                reverse("sampling_plan_detail", args=[plan.pk]),
                reverse("sampling_plan_detail", args=[big_plan.pk]),
            ),
        ]
        for name, url, _ in pages:
            median, p95, queries = measure(client, url, args.runs)
            print(f"{name:34} {median:10.1f} {p95:10.1f} {queries:8d}")
        print()
        compare(
            [(name, clients[0], url, clients[1], big_url) for name, url, big_url in pages],
            args.runs,
            (f"{args.small:,}", f"{args.large:,}"),
        )


if __name__ == "__main__":
    main()
