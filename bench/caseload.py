"""Benchmark: the assessor's caseload dashboard with a full caseload.

Gives one assessor 40 learners, each with a portfolio of 200 evidence items (mapped to criteria and range; some
accepted, some new, some changed since they were judged), a few units submitted for sign-off and a few referred
back by the IV, then requests the assessor's dashboard repeatedly in-process and prints the median and
95th-percentile server time and the number of queries. The same caseload is filled at a centre of 1,000 learners
and at one of 100,000 (the rest other assessors' learners), and the two dashboards are compared side by side
against issue 14's goal: the same queries, CPU and wall time within 1.5x.

    .venv/bin/python bench/caseload.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench_caseload .venv/bin/python bench/caseload.py

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


def fill(learners: int, items: int, number: str = "90002", *, migrate: bool = True):
    """The caseload at a new centre, in bulk. Returns the assessor and the centre."""
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import (
        Decision,
        Evidence,
        EvidenceSetting,
        Portfolio,
        PortfolioStatus,
        Referral,
        Signature,
        SignatureKind,
    )
    from people.models import Centre, Membership, Qualification, Role, User
    from units.models import Criterion, RangeItem, UnitCode

    if migrate:
        call_command("migrate", verbosity=0)
        call_command("loaddata", "unit_c4", verbosity=0)
    status_guard_off()
    centre = Centre.objects.create(name=f"Bench Centre {number}", number=number)
    domain = f"c{number}.bench.example"
    # No passwords: the client signs in with force_login, and hashing 42 passwords would only slow the fill.
    assessor = User.objects.create_user(email=f"assessor@{domain}", full_name="Bench Assessor")
    iv = User.objects.create_user(email=f"iv@{domain}", full_name="Bench IV")
    people = [
        User.objects.create_user(email=f"learner{n:02d}@{domain}", full_name=f"Bench Learner {n:02d}")
        for n in range(1, learners + 1)
    ]
    Membership.objects.bulk_create(
        [
            Membership(user=assessor, centre=centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED),
            Membership(user=iv, centre=centre, role=Role.IV, qualification=Qualification.QUALIFIED),
            *(Membership(user=u, centre=centre, role=Role.LEARNER) for u in people),
        ]
    )
    code = UnitCode.objects.get(awarding_body__code="CG")
    start = timezone.localdate() - datetime.timedelta(days=400)
    Portfolio.objects.bulk_create(
        Portfolio(
            learner=learner,
            centre=centre,
            unit=code.unit,
            awarding_body=code.awarding_body,
            assessor=assessor,
            iv=iv,
            learner_number=f"BENCH-{number}-{n:03d}",
            start_date=start,
            planned_end_date=start + datetime.timedelta(days=700),
            evidence_counter=items,
        )
        for n, learner in enumerate(people, start=1)
    )
    portfolios = list(Portfolio.objects.filter(centre=centre).order_by("pk"))
    methods = list(code.unit.methods.exclude(code="WT"))
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit).order_by("outcome__number", "number"))
    range_items = list(RangeItem.objects.filter(unit=code.unit).order_by("letter"))
    now = timezone.now()

    def decision(p: int, number: int) -> dict:
        # About two thirds accepted; of the rest, a third changed since the assessor judged them.
        if (p + number) % 3:
            return {"decision": Decision.ACCEPTED, "decided_by": assessor, "decided_at": now}
        if number % 3 == 0:
            return {"decision": Decision.PENDING, "decided_by": assessor, "decided_at": now}
        return {"decision": Decision.PENDING}

    Evidence.objects.bulk_create(
        (
            Evidence(
                portfolio=portfolio,
                number=number,
                title=f"Evidence item {number}",
                method=methods[number % len(methods)],
                activity_date=start + datetime.timedelta(days=number % 390),
                setting=EvidenceSetting.REAL_WORK,
                description="A customer complained; I listened, apologised and put it right. " * 3,
                created_by=portfolio.learner,
                **decision(p, number),
            )
            for p, portfolio in enumerate(portfolios)
            for number in range(1, items + 1)
        ),
        batch_size=2000,
    )
    # Waiting times spread over the last few weeks, so "oldest first" has work to do.
    for p, portfolio in enumerate(portfolios):
        Evidence.objects.filter(portfolio=portfolio).update(updated_at=now - datetime.timedelta(hours=7 * p + 1))
    through_c, through_r = Evidence.criteria.through, Evidence.range_items.through
    every = list(Evidence.objects.filter(portfolio__centre=centre).values_list("pk", "number"))
    through_c.objects.bulk_create(
        (
            through_c(evidence_id=pk, criterion_id=criteria[(number + k) % len(criteria)].pk)
            for pk, number in every
            for k in range(4)
        ),
        batch_size=5000,
    )
    through_r.objects.bulk_create(
        (through_r(evidence_id=pk, rangeitem_id=range_items[number % 4].pk) for pk, number in every),
        batch_size=5000,
    )
    # Every eighth unit submitted for sign-off; every eighth (another four) referred back by the IV.
    submitted = portfolios[::8]
    referred = portfolios[4::8]
    Signature.objects.bulk_create(
        Signature(
            portfolio=p,
            kind=SignatureKind.LEARNER,
            round=1,
            signer=p.learner,
            signer_name=p.learner.full_name,
            role=Role.LEARNER,
            statement=code.unit.learner_declaration,
            signed_at=now - datetime.timedelta(days=2),
            record={},
            digest="0" * 64,
        )
        for p in submitted
    )
    Portfolio.objects.filter(pk__in=[p.pk for p in submitted]).update(status=PortfolioStatus.SUBMITTED)
    Referral.objects.bulk_create(
        Referral(portfolio=p, round=1, referred_by=iv, role=Role.IV, reasons="Range c needs real-work evidence.")
        for p in referred
    )
    Portfolio.objects.filter(pk__in=[p.pk for p in referred]).update(round=2)
    # Fresh statistics, as autovacuum would have gathered on a live database after so many inserts (and on SQLite
    # the daily maintenance).
    gather_statistics()
    return assessor, centre


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=40, help="learners in the caseload (default 40)")
    parser.add_argument("--items", type=int, default=200, help="evidence items in each portfolio (default 200)")
    parser.add_argument("--runs", type=int, default=40, help="requests (default 40)")
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
        # The same caseload at a centre of `small` learners and at one of `large`: the rest are other assessors'.
        assessor, centre = fill(args.learners, args.items, "90002")
        big_assessor, big_centre = fill(args.learners, args.items, "90012", migrate=False)
        add_registrations(centre, args.small - args.learners)
        add_registrations(big_centre, args.large - args.learners)
        gather_statistics()
        print(
            f"Filled a caseload of {args.learners} learners with {args.items} evidence items each, at centres of "
            f"{args.small:,} and {args.large:,} learners, in {time.perf_counter() - started:.1f} s"
        )
        print(f"Database: {connection.vendor}; {args.runs} requests after one warm-up\n")
        clients = []
        for who in (assessor, big_assessor):
            client = Client()
            client.force_login(who)
            clients.append(client)
        response = clients[0].get(reverse("home"))
        caseload = response.context["caseload"]
        counts = caseload.counts
        print(
            f"Waiting: {counts['evidence']} evidence items, {counts['submitted']} units submitted, "
            f"{counts['referral']} referrals (the {len(caseload.waiting)} oldest listed)\n"
        )
        print(f"{'Page':34} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        median, p95, queries = measure(clients[0], reverse("home"), args.runs)
        print(f"{'Assessor dashboard (caseload)':34} {median:10.1f} {p95:10.1f} {queries:8d}\n")
        compare(
            [("Assessor dashboard (caseload)", clients[0], reverse("home"), clients[1], reverse("home"))],
            args.runs,
            (f"{args.small:,}", f"{args.large:,}"),
        )


if __name__ == "__main__":
    main()
