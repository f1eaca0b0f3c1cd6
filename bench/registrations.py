"""Benchmark: the centre admin's registrations list at a centre of 1,000 learners and one of 100,000.

Fills two centres in bulk, each with its admin, learners registered on unit C4 (one unit each; a tenth without an
IV, a tenth submitted, a few signed), and one assessor for every 40 learners (25 and 2,500); then requests the
list, a later page, a status filter, the assessor search and the learner search at both centres side by side and
prints the queries, the request CPU and the wall time at each size and the ratios, against issue 14's goal: the
same queries and within 1.5x.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench_registrations .venv/bin/python bench/registrations.py
    .venv/bin/python bench/registrations.py                  # SQLite in a temporary folder

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, gather_statistics, prepare_postgres, start_django  # noqa: E402
from sizes import compare  # noqa: E402


def fill_centre(number: str, learners: int, *, per_assessor: int = 40):
    """A centre with its admin and `learners` registrations (add_registrations). Returns its admin."""
    from people.models import Centre, Membership, Role, User

    centre = Centre.objects.create(name=f"Bench Centre {number}", number=number)
    admin = User.objects.create_user(email=f"admin@c{number}.example", full_name="Bench Admin")
    Membership.objects.create(user=admin, centre=centre, role=Role.ADMIN)
    add_registrations(centre, learners, per_assessor=per_assessor)
    return admin


def add_registrations(centre, learners: int, *, per_assessor: int = 40, tag: str = "") -> None:
    """`learners` new learners at the centre, each registered on unit C4 (a tenth without an IV, a ninth submitted,
    a ninth signed by the assessor), with an assessor for every `per_assessor` and an IV for every ten assessors,
    all in bulk. The other benchmarks use it to make a centre large around the caseload they measure."""
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from assessments.models import Portfolio, PortfolioStatus
    from people.models import Membership, Qualification, Role, User
    from units.models import UnitCode

    unusable = make_password(None)  # no passwords: the client signs in with force_login
    domain = f"c{centre.number}{tag}.example"

    def people(kind: str, n: int) -> list[User]:
        return User.objects.bulk_create(
            (
                User(email=f"{kind}{k:06d}@{domain}", full_name=f"Bench {kind} {k:06d}", password=unusable)
                for k in range(n)
            ),
            batch_size=5000,
        )

    assessors = people("assessor", max(1, learners // per_assessor))
    ivs = people("iv", max(1, learners // (per_assessor * 10)))
    learners_ = people("learner", learners)
    Membership.objects.bulk_create(
        [
            *(
                Membership(user=u, centre=centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED)
                for u in assessors
            ),
            *(Membership(user=u, centre=centre, role=Role.IV, qualification=Qualification.QUALIFIED) for u in ivs),
            *(Membership(user=u, centre=centre, role=Role.LEARNER) for u in learners_),
        ],
        batch_size=5000,
    )
    code = UnitCode.objects.get(awarding_body__code="CG")
    start = timezone.localdate() - datetime.timedelta(days=200)
    statuses = [PortfolioStatus.IN_PROGRESS] * 7 + [PortfolioStatus.SUBMITTED, PortfolioStatus.ASSESSOR_SIGNED]
    Portfolio.objects.bulk_create(
        (
            Portfolio(
                learner=learner,
                centre=centre,
                unit=code.unit,
                awarding_body=code.awarding_body,
                assessor=assessors[n % len(assessors)],
                iv=None if n % 10 == 3 else ivs[n % len(ivs)],
                learner_number=f"B{centre.number}{tag}-{n:06d}",
                start_date=start,
                planned_end_date=start + datetime.timedelta(days=500),
                status=statuses[n % len(statuses)] if n % 10 != 3 else PortfolioStatus.IN_PROGRESS,
            )
            for n, learner in enumerate(learners_)
        ),
        batch_size=5000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000, help="learners at the small centre (default 1,000)")
    parser.add_argument("--large", type=int, default=100_000, help="learners at the large centre (default 100,000)")
    parser.add_argument("--runs", type=int, default=20, help="requests of each page at each size (default 20)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the database a previous run filled (migrated again), instead of building it anew",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        reuse = args.reuse and os.environ["DATABASE_URL"].startswith("postgres")
        if not reuse:
            prepare_postgres()
        start_django()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from people.models import User

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        filled = User.objects.filter(email__in=["admin@c91001.example", "admin@c91002.example"]).order_by("email")
        if reuse and len(filled) == 2:
            admins = list(filled)
        else:
            call_command("loaddata", "unit_c4", verbosity=0)
            admins = [fill_centre("91001", args.small), fill_centre("91002", args.large)]
        # As autovacuum would have after so many inserts: the planner's statistics, and on PostgreSQL the trigram
        # indexes' pending entries merged (on SQLite, what the daily maintenance gathers).
        gather_statistics(vacuum=True)
        print(
            f"Filled centres of {args.small:,} and {args.large:,} learners (one assessor to 40) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"Database: {connection.vendor}; {args.runs} requests of each page at each size after one warm-up\n")
        clients = []
        for admin in admins:
            client = Client()
            client.force_login(admin)
            clients.append(client)
        url = reverse("centre_portfolios")
        pages = [
            ("Registrations", f"{url}", f"{url}"),
            ("Registrations, page 3", f"{url}?page=3", f"{url}?page=3"),
            ("Registrations, submitted", f"{url}?status=submitted", f"{url}?status=submitted"),
            ("Registrations, needing an IV", f"{url}?status=unassigned", f"{url}?status=unassigned"),
            ("Registrations, assessor search", f"{url}?assessor=assessor+000007", f"{url}?assessor=assessor+000007"),
            ("Registrations, learner search", f"{url}?q=learner+000123", f"{url}?q=learner+000123"),
            ("Admin dashboard (centre totals)", reverse("home"), reverse("home")),
        ]
        compare(
            [(label, clients[0], a, clients[1], b) for label, a, b in pages],
            args.runs,
            (f"{args.small:,}", f"{args.large:,}"),
        )


if __name__ == "__main__":
    main()
