"""Benchmark: rendering one unit sign-off record as a PDF.

Builds one complete, signed portfolio of unit C4 (12 evidence items covering
every criterion and range item, a few with photos so the appendix shows
thumbnails; signed by the learner, assessor, IV and EV), renders its record
once to warm the process (fonts, stylesheet, templates), then renders it again
repeatedly in-process and prints the median and 95th-percentile time, the page
count and the file size.

    .venv/bin/python bench/record_pdf.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/record_pdf.py

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, percentile95, prepare_postgres, start_django  # noqa: E402

PASSWORD = "bench-password"


def fill(items: int, photos: int):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.evidence.uploads import inspect_upload
    from assessments.models import (
        ClaimJudgement,
        Decision,
        Evidence,
        EvidenceSetting,
        Portfolio,
        PortfolioStatus,
        SignatureKind,
        Verdict,
    )
    from assessments.services import evidence_save
    from assessments.signoff.services import unit_mark_sampled, unit_sign
    from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Qualification, Role, User
    from quality.services.reports import iv_report_unit
    from quality.services.visits import ev_findings_record
    from tests import samples
    from units.models import AssessmentMethod, Criterion, RangeItem, UnitCode

    call_command("migrate", verbosity=0)
    call_command("loaddata", "unit_c4", verbosity=0)
    centre = Centre.objects.create(name="Bench Centre", number="90001")
    people = {}
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IV):
        user = User.objects.create_user(email=f"{role}@bench.example", full_name=f"Bench {role}", password=PASSWORD)
        Membership.objects.create(
            user=user, centre=centre, role=role, qualification="" if role == Role.LEARNER else Qualification.QUALIFIED
        )
        people[role] = user
    # The newest version of unit 220: the number names one row per version once a specification has changed.
    code = UnitCode.newest_versions().get(awarding_body__code="CG", code="220")
    ev = User.objects.create_user(email="ev@bench.example", full_name="Bench ev", password=PASSWORD)
    EVAllocation.objects.create(
        external_verifier=ExternalVerifier.objects.create(user=ev, awarding_body=code.awarding_body), centre=centre
    )
    start = timezone.localdate() - datetime.timedelta(days=120)
    portfolio = Portfolio.objects.create(
        learner=people[Role.LEARNER],
        centre=centre,
        unit=code.unit,
        awarding_body=code.awarding_body,
        assessor=people[Role.ASSESSOR],
        iv=people[Role.IV],
        learner_number="BENCH-1",
        start_date=start,
        planned_end_date=start + datetime.timedelta(days=365),
    )
    observed, product = AssessmentMethod.objects.get(code="O"), AssessmentMethod.objects.get(code="PE")
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit).order_by("outcome__number", "number"))
    range_items = list(RangeItem.objects.filter(unit=code.unit).order_by("letter"))
    # Every criterion on some item (each item also repeats a neighbour's), every range item on three items.
    for n in range(items):
        mapped = [c for i, c in enumerate(criteria) if i % items in (n, (n + 1) % items)]
        with_photo = n < photos
        evidence_save(
            actor=portfolio.learner,
            portfolio=portfolio,
            title=f"Customer complaint {n + 1}: a refund at the service desk",
            method=product if with_photo else observed,
            activity_date=start + datetime.timedelta(days=5 + 7 * n),
            setting=EvidenceSetting.REAL_WORK,
            description="A customer complained; I listened, apologised and put it right. " * 3,
            criteria=mapped,
            range_items=[range_items[n % len(range_items)]],
            files=[inspect_upload(SimpleUploadedFile(f"photo{n}.png", samples.png((1200, 900))))] if with_photo else [],
        )
    # The assessor's judgements, written directly: this benchmark is about the record, not the review pages.
    assessor = people[Role.ASSESSOR]
    for evidence in Evidence.objects.filter(portfolio=portfolio).prefetch_related("criteria", "range_items"):
        Evidence.objects.filter(pk=evidence.pk).update(decision=Decision.ACCEPTED, decided_by=assessor)
        ClaimJudgement.objects.bulk_create(
            [
                ClaimJudgement(evidence=evidence, criterion=c, verdict=Verdict.CONFIRMED, judged_by=assessor)
                for c in evidence.criteria.all()
            ]
            + [
                ClaimJudgement(evidence=evidence, range_item=r, verdict=Verdict.CONFIRMED, judged_by=assessor)
                for r in evidence.range_items.all()
            ]
        )
    K = SignatureKind
    unit_sign(actor=people[Role.LEARNER], portfolio=portfolio, kind=K.LEARNER, password=PASSWORD)
    unit_sign(actor=assessor, portfolio=portfolio, kind=K.ASSESSOR, password=PASSWORD)
    unit_mark_sampled(actor=people[Role.IV], portfolio=portfolio, role=Role.IV)
    unit_mark_sampled(actor=ev, portfolio=portfolio, role=Role.EV)
    iv_report_unit(actor=people[Role.IV], portfolio=portfolio, agreement="agree", feedback="Sampled: sound.")
    unit_sign(actor=people[Role.IV], portfolio=portfolio, kind=K.IV, password=PASSWORD)
    ev_findings_record(actor=ev, portfolio=portfolio, agreement="agree", findings="Sampled: the decisions are sound.")
    unit_sign(actor=ev, portfolio=portfolio, kind=K.EV, password=PASSWORD)
    portfolio.refresh_from_db()
    assert portfolio.status == PortfolioStatus.COMPLETE, portfolio.status
    return portfolio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=12, help="evidence items in the portfolio (default 12)")
    parser.add_argument("--photos", type=int, default=3, help="of which with a photo (default 3)")
    parser.add_argument("--runs", type=int, default=20, help="renders after the warm-up (default 20)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection
        from pypdf import PdfReader

        from assessments.records.pdf.content import record_content, standing_signatures
        from assessments.records.pdf.render import render_pdf

        started = time.perf_counter()
        portfolio = fill(args.items, args.photos)
        signatures = standing_signatures(portfolio)
        print(
            f"Built a complete unit with {args.items} evidence items ({args.photos} with a photo) "
            f"and {len(signatures)} signatures in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        pdf = render_pdf(record_content(portfolio, signatures))
        first = (time.perf_counter() - started) * 1000
        print(f"Database: {connection.vendor}; first render {first:.0f} ms (excluded), then {args.runs} renders\n")

        totals, contents = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            content = record_content(portfolio, signatures)
            middle = time.perf_counter()
            pdf = render_pdf(content)
            end = time.perf_counter()
            totals.append((end - start) * 1000)
            contents.append((middle - start) * 1000)
        assert pdf.startswith(b"%PDF-")
        reader = PdfReader(io.BytesIO(pdf))
        thumbnails = len(content.images)

        print(f"{'Step':34} {'median ms':>10} {'p95 ms':>10}")
        print(f"{'Record content (queries)':34} {statistics.median(contents):10.1f} {percentile95(contents):10.1f}")
        print(f"{'Content + PDF render':34} {statistics.median(totals):10.1f} {percentile95(totals):10.1f}")
        print(
            f"\nPages: {len(reader.pages)}; size: {len(pdf) / 1024:.0f} KiB ({len(pdf):,} bytes); "
            f"thumbnails in the appendix: {thumbnails}"
        )


if __name__ == "__main__":
    main()
