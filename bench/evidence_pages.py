"""Benchmark: the unit page (coverage grid) and the evidence list with a full portfolio.

Fills portfolios with 5, 1,000 and 5,000 evidence items (mapped to criteria
and range, some with photos), then requests each page repeatedly in-process
beside a floor view (the same evidence rows as JSON in one query, defined
here) and prints the median and 95th-percentile request CPU time, the ratio to
the floor, how 5,000 items compare with 1,000, and the query counts at each
size, with PASS or FAIL against issue 14's goals: <= 2x the floor at 1,000,
<= 6x from 1,000 to 5,000, the same queries at every size. The timed requests
run without the test tools' query capture and template signals (which cost the
page with more queries and templates more); the queries are counted in a
request of their own (harness.measure_cpu).

    .venv/bin/python bench/evidence_pages.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/evidence_pages.py

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, measure_cpu, prepare_postgres, start_django  # noqa: E402


def fill(items: int, learner_no: int = 1):
    """A portfolio with `items` evidence items for a new learner at the bench centre (made on first use)."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.evidence.uploads import inspect_upload
    from assessments.models import Evidence, EvidenceSetting, Portfolio
    from assessments.services import evidence_save
    from people.models import Centre, Membership, Qualification, Role, User
    from tests import samples
    from units.models import AssessmentMethod, Criterion, RangeItem, UnitCode

    if learner_no == 1:  # the first portfolio sets the database up
        call_command("migrate", verbosity=0)
        call_command("loaddata", "unit_c4", verbosity=0)
        centre = Centre.objects.create(name="Bench Centre", number="90001")
        for role in (Role.ASSESSOR, Role.IV):
            user = User.objects.create_user(email=f"{role}@bench.example", full_name=f"Bench {role}", password="x")
            Membership.objects.create(user=user, centre=centre, role=role, qualification=Qualification.QUALIFIED)
    centre = Centre.objects.get(number="90001")
    people = {role: User.objects.get(email=f"{role}@bench.example") for role in (Role.ASSESSOR, Role.IV)}
    people[Role.LEARNER] = User.objects.create_user(
        email=f"learner{learner_no}@bench.example", full_name=f"Bench learner {learner_no}", password="x"
    )
    Membership.objects.create(user=people[Role.LEARNER], centre=centre, role=Role.LEARNER, qualification="")
    # The newest version of unit 220: the number names one row per version once a specification has changed.
    code = UnitCode.newest_versions().get(awarding_body__code="CG", code="220")
    start = timezone.localdate() - datetime.timedelta(days=400)
    portfolio = Portfolio.objects.create(
        learner=people[Role.LEARNER],
        centre=centre,
        unit=code.unit,
        awarding_body=code.awarding_body,
        assessor=people[Role.ASSESSOR],
        iv=people[Role.IV],
        learner_number=f"BENCH-{learner_no}",
        start_date=start,
        planned_end_date=start + datetime.timedelta(days=700),
    )
    methods = list(code.unit.methods.exclude(code="WT"))
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit).order_by("outcome__number", "number"))
    range_items = list(RangeItem.objects.filter(unit=code.unit).order_by("letter"))
    # Through the service for a few items with real photos (thumbnails in the list), in bulk for the rest.
    photos = min(items, max(1, items // 50))
    for n in range(photos):
        evidence_save(
            actor=portfolio.learner,
            portfolio=portfolio,
            title=f"Photo {n}",
            method=AssessmentMethod.objects.get(code="PE"),
            activity_date=start + datetime.timedelta(days=n % 390),
            setting=EvidenceSetting.REAL_WORK,
            criteria=criteria[n % 10 : n % 10 + 3],
            range_items=[range_items[n % 4]],
            files=[inspect_upload(SimpleUploadedFile(f"photo{n}.jpg", samples.jpeg((1200, 900))))],
        )
    first = photos + 1
    Evidence.objects.bulk_create(
        Evidence(
            portfolio=portfolio,
            number=number,
            title=f"Evidence item {number}",
            method=methods[number % len(methods)],
            activity_date=start + datetime.timedelta(days=number % 390),
            setting=EvidenceSetting.REAL_WORK,
            description="A customer complained; I listened, apologised and put it right. " * 3,
            created_by=portfolio.learner,
        )
        for number in range(first, items + 1)
    )
    Portfolio.objects.filter(pk=portfolio.pk).update(evidence_counter=items)
    through_c, through_r = Evidence.criteria.through, Evidence.range_items.through
    bulk = list(Evidence.objects.filter(portfolio=portfolio, number__gte=first))
    through_c.objects.bulk_create(
        through_c(evidence_id=e.pk, criterion_id=criteria[(e.number + k) % len(criteria)].pk)
        for e in bulk
        for k in range(4)
    )
    through_r.objects.bulk_create(through_r(evidence_id=e.pk, rangeitem_id=range_items[e.number % 4].pk) for e in bulk)
    return portfolio


def floor_view(request, portfolio_id: int):
    """The floor the pages are measured against: the same evidence rows as JSON, in one query."""
    from django.http import HttpResponseForbidden, JsonResponse

    from assessments.models import Evidence

    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    rows = list(
        Evidence.objects.filter(portfolio_id=portfolio_id)
        .order_by("number")
        .values("pk", "number", "title", "activity_date", "method__code", "decision")
    )
    return JsonResponse({"evidence": rows})


def route_floor() -> None:
    from django.urls import clear_url_caches, path

    import portfolio.urls

    portfolio.urls.urlpatterns.append(path("bench/floor/<int:portfolio_id>/", floor_view, name="bench_floor"))
    clear_url_caches()


GOAL_FLOOR, GOAL_LINEAR = 2.0, 6.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000, help="evidence items in the portfolio (default 1000)")
    parser.add_argument("--large", type=int, default=5000, help="items in the larger portfolio (default 5000)")
    parser.add_argument("--runs", type=int, default=40, help="requests per page (default 40)")
    parser.add_argument("--large-runs", type=int, default=0, help="requests per page at --large (default --runs)")
    args = parser.parse_args()
    large_runs = args.large_runs or args.runs

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        route_floor()
        import logging

        logging.getLogger("portfolio.requests").setLevel(logging.WARNING)  # a line per request would drown the table
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        sizes = (5, args.items, args.large)
        started = time.perf_counter()
        portfolios = {size: fill(size, learner_no=n) for n, size in enumerate(sizes, start=1)}
        print(
            f"Filled portfolios of {', '.join(map(str, sizes))} evidence items in {time.perf_counter() - started:.1f} s"
        )
        print(
            f"Database: {connection.vendor}; request CPU (process time) after one warm-up, "
            f"{args.runs} requests at {args.items} items, {large_runs} at {args.large}\n"
        )

        def urls(portfolio):
            return {
                "floor": reverse("bench_floor", args=[portfolio.pk]),
                "unit": reverse("portfolio_detail", args=[portfolio.pk]),
                "list": reverse("evidence_list", args=[portfolio.pk]),
                "list, last page": reverse("evidence_list", args=[portfolio.pk]) + "?page=9999",  # the last page
            }

        results: dict[tuple[str, int], tuple[float, float, int]] = {}
        clients = {}
        for size, portfolio in portfolios.items():
            clients[size] = Client()
            clients[size].force_login(portfolio.learner)
        for size in sizes:
            runs = 5 if size == 5 else (args.runs if size == args.items else large_runs)
            for label, figures in measure_cpu(clients[size], urls(portfolios[size]), runs).items():
                results[label, size] = figures

        print(f"{'Page':18} {'items':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'x floor':>8}")
        for size in sizes[1:]:
            floor = results["floor", size][0]
            for label in ("floor", "unit", "list", "list, last page"):
                median, p95, queries = results[label, size]
                print(f"{label:18} {size:6d} {median:10.1f} {p95:8.1f} {queries:8d} {median / floor:8.2f}")
        print()
        verdicts = []
        for label in ("unit", "list", "list, last page"):
            ratio = results[label, args.items][0] / results["floor", args.items][0]
            verdicts.append(
                (f"{label} at {args.items}: {ratio:.2f}x the floor (goal <= {GOAL_FLOOR}x)", ratio <= GOAL_FLOOR)
            )
            growth = results[label, args.large][0] / results[label, args.items][0]
            verdicts.append(
                (
                    f"{label}: {args.large} items cost {growth:.2f}x {args.items} (goal <= {GOAL_LINEAR}x)",
                    growth <= GOAL_LINEAR,
                )
            )
            counts = [results[label, size][2] for size in sizes]
            verdicts.append(
                (
                    f"{label}: queries at {sizes} items: {counts} (goal: equal)",
                    len(set(counts)) == 1,
                )
            )
        for text, ok in verdicts:
            print(f"{'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
