"""Benchmark: the unit page (coverage grid) and the evidence list with a full portfolio.

Fills one portfolio with 1,000 evidence items (mapped to criteria and range,
some with photos), then requests each page repeatedly in-process and prints
the median and 95th-percentile server time and the number of queries.

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

from harness import configure, measure, prepare_postgres, start_django  # noqa: E402


def fill(items: int):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import Evidence, EvidenceSetting, Portfolio
    from assessments.services import evidence_save
    from assessments.uploads import inspect_upload
    from people.models import Centre, Membership, Qualification, Role, User
    from tests import samples
    from units.models import AssessmentMethod, Criterion, RangeItem, UnitCode

    call_command("migrate", verbosity=0)
    call_command("loaddata", "unit_c4", verbosity=0)
    centre = Centre.objects.create(name="Bench Centre", number="90001")
    people = {}
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IV):
        user = User.objects.create_user(email=f"{role}@bench.example", full_name=f"Bench {role}", password="x")
        Membership.objects.create(
            user=user, centre=centre, role=role, qualification="" if role == Role.LEARNER else Qualification.QUALIFIED
        )
        people[role] = user
    code = UnitCode.objects.get(awarding_body__code="CG")
    start = timezone.localdate() - datetime.timedelta(days=400)
    portfolio = Portfolio.objects.create(
        learner=people[Role.LEARNER],
        centre=centre,
        unit=code.unit,
        awarding_body=code.awarding_body,
        assessor=people[Role.ASSESSOR],
        iv=people[Role.IV],
        learner_number="BENCH-1",
        start_date=start,
        planned_end_date=start + datetime.timedelta(days=700),
    )
    methods = list(code.unit.methods.exclude(code="WT"))
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit).order_by("outcome__number", "number"))
    range_items = list(RangeItem.objects.filter(unit=code.unit).order_by("letter"))
    # Through the service for a few items with real photos (thumbnails in the list), in bulk for the rest.
    photos = max(1, items // 50)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000, help="evidence items in the portfolio (default 1000)")
    parser.add_argument("--runs", type=int, default=40, help="requests per page (default 40)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        started = time.perf_counter()
        portfolio = fill(args.items)
        print(f"Filled a portfolio with {args.items} evidence items in {time.perf_counter() - started:.1f} s")
        print(f"Database: {connection.vendor}; {args.runs} requests per page after one warm-up\n")
        client = Client()
        client.force_login(portfolio.learner)
        pages = [
            ("Unit page (coverage grid)", reverse("portfolio_detail", args=[portfolio.pk])),
            ("Evidence list, first page", reverse("evidence_list", args=[portfolio.pk])),
            ("Evidence list, last page", reverse("evidence_list", args=[portfolio.pk]) + "?page=last"),
            ("Evidence list, filtered by 2.1", reverse("evidence_list", args=[portfolio.pk]) + "?criterion=__c21__"),
        ]
        from units.models import Criterion

        c21 = Criterion.objects.get(outcome__unit=portfolio.unit, outcome__number=2, number=1)
        print(f"{'Page':34} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        for label, url in pages:
            median, p95, queries = measure(client, url.replace("__c21__", str(c21.pk)), args.runs)
            print(f"{label:34} {median:10.1f} {p95:10.1f} {queries:8d}")


if __name__ == "__main__":
    main()
