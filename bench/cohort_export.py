"""Benchmark: a centre admin's cohort export of 200 learners.

Seeds a centre with LEARNERS learners on unit C4, each with a few evidence
items; half of them have signed the learner's declaration, so their record is
a signed one (rendered once, then served from the store) and the rest are
drafts (rendered every time). Then builds the cohort export twice, as the
worker does, and prints the time and the process's peak memory for each:

  first export   renders every record, storing the signed ones
  second export  takes the signed records from the store, renders the drafts

    .venv/bin/python bench/cohort_export.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/cohort_export.py
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, prepare_postgres, start_django  # noqa: E402

PASSWORD = "bench-password"


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the most the process has ever held.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(learners: int, items: int, centre_number: str = "90001", prefix: str = ""):
    """A centre of `learners` learners with `items` items each, half of them signed by the learner; `prefix` names
    its people apart from another centre seeded in the same database."""
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import Evidence, EvidenceSetting, Portfolio, SignatureKind
    from assessments.signoff.services import unit_sign
    from people.models import Centre, Membership, Qualification, Role, User
    from units.models import AssessmentMethod, Criterion, RangeItem, UnitCode

    call_command("migrate", verbosity=0)
    call_command("loaddata", "unit_c4", verbosity=0)
    centre = Centre.objects.create(name=f"Bench Centre {centre_number}", number=centre_number)
    password = make_password(PASSWORD)
    admin = User.objects.create(email=f"{prefix}admin@bench.example", full_name="Bench Admin", password=password)
    assessor = User.objects.create(
        email=f"{prefix}assessor@bench.example", full_name="Bench Assessor", password=password
    )
    Membership.objects.create(user=admin, centre=centre, role=Role.ADMIN)
    Membership.objects.create(user=assessor, centre=centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED)
    users = User.objects.bulk_create(
        [
            User(email=f"{prefix}learner{n}@bench.example", full_name=f"Learner {n:03d}", password=password)
            for n in range(learners)
        ]
    )
    Membership.objects.bulk_create([Membership(user=u, centre=centre, role=Role.LEARNER) for u in users])
    # The newest version of unit 220: the number names one row per version once a specification has changed.
    code = UnitCode.newest_versions().get(awarding_body__code="CG", code="220")
    start = timezone.localdate() - datetime.timedelta(days=120)
    portfolios = Portfolio.objects.bulk_create(
        [
            Portfolio(
                learner=u,
                centre=centre,
                unit=code.unit,
                awarding_body=code.awarding_body,
                assessor=assessor,
                learner_number=f"{prefix}B{n:05d}",
                start_date=start,
                planned_end_date=start + datetime.timedelta(days=365),
                evidence_counter=items,
            )
            for n, u in enumerate(users)
        ]
    )
    method = AssessmentMethod.objects.get(code="O")
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit))
    ranges = list(RangeItem.objects.filter(unit=code.unit).order_by("letter"))
    evidence = Evidence.objects.bulk_create(
        [
            Evidence(
                portfolio=p,
                number=n + 1,
                title=f"Difficult customer {n + 1}: a complaint at the desk",
                method=method,
                activity_date=start + datetime.timedelta(days=7 * n),
                setting=EvidenceSetting.REAL_WORK,
                description="A customer complained; I listened and put it right.",
                created_by=p.learner,
            )
            for p in portfolios
            for n in range(items)
        ]
    )
    through_c = Evidence.criteria.through
    through_r = Evidence.range_items.through
    through_c.objects.bulk_create(
        [through_c(evidence=e, criterion=c) for i, e in enumerate(evidence) for c in criteria[i % 9 :: 9]]
    )
    through_r.objects.bulk_create([through_r(evidence=e, rangeitem=ranges[i % 4]) for i, e in enumerate(evidence)])
    for p in portfolios[::2]:
        unit_sign(actor=p.learner, portfolio=p, kind=SignatureKind.LEARNER, password=PASSWORD)
    return admin, centre, list(Portfolio.objects.filter(centre=centre))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--items", type=int, default=6, help="evidence items per learner (default 6)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection

        from exports.models import Export, ExportKind
        from exports.services import export_build, export_request
        from people.models import Role

        started = time.perf_counter()
        admin, centre, portfolios = seed(args.learners, args.items)
        print(
            f"Seeded {len(portfolios)} learners x {args.items} items ({len(portfolios[::2])} signed) "
            f"in {time.perf_counter() - started:.1f} s on {connection.vendor}"
        )
        baseline = peak_rss_mb()
        print(f"Peak memory before exporting: {baseline:.0f} MB\n")
        print(f"{'Export':16} {'seconds':>8} {'per learner ms':>15} {'peak MB':>8} {'ZIP MB':>7}")
        for label in ("first export", "second export"):
            export = export_request(
                actor=admin,
                role=Role.ADMIN,
                centre=centre,
                kind=ExportKind.COHORT,
                portfolios=portfolios,
                description="bench",
            )
            start = time.perf_counter()
            export_build(str(export.pk))
            seconds = time.perf_counter() - start
            export = Export.objects.get(pk=export.pk)
            assert export.status == "done", export.error
            print(
                f"{label:16} {seconds:8.1f} {1000 * seconds / len(portfolios):15.0f} "
                f"{peak_rss_mb():8.0f} {export.size / 1e6:7.1f}"
            )


if __name__ == "__main__":
    main()
