"""Benchmark: rendering one unit sign-off record as a PDF.

Builds one complete, signed portfolio of unit C4 (12 evidence items covering
every criterion and range item, a few with photos so the appendix shows
thumbnails; signed by the learner, assessor, IV and EV), renders its record
once to warm the process (fonts, stylesheet, templates), then renders it
repeatedly, side by side: with WeasyPrint under an earlier revision's templates
and stylesheet (--before) and under today's, and with headless Chromium
(Playwright's `page.pdf()`, /usr/bin/chromium) on today's HTML. The same
portfolio's draft (the record as it reads before anyone signs: watermark, no
record code, no QR code; issue 14 asks about the draft's first render) is
rendered beside it the same ways. Prints the CPU time of each render
(Chromium's own processes included), the page count and the CPU a page beside
issue 14's goal of 60 ms a page.

Chromium does not support `string-set`, so its running header is empty: it is
the yardstick for the engine on the same HTML, not a replacement renderer.

    .venv/bin/python bench/record_pdf.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/record_pdf.py

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, configure, percentile95, prepare_postgres, start_django  # noqa: E402

PASSWORD = "bench-password"
CHROMIUM = "/usr/bin/chromium"
# The record's layout before the second round of issue 14's work (flex layout, whitespace between tags, margin boxes
# of auto width); 33cd6cf is the layout before the first round (automatic table layout).
BEFORE = "f3ac36a"
TEMPLATES = ("pdf/unit_record.html", "pdf/refs_table.html", "pdf/assessor_records.html")


def fill(items: int, photos: int, *, sign: bool = True):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.evidence.uploads import inspect_upload
    from assessments.models import ClaimJudgement, Decision, Evidence, EvidenceSetting, Portfolio, Verdict
    from assessments.services import evidence_save
    from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Qualification, Role, User
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
    if not sign:
        return portfolio
    return sign_all(portfolio)


def sign_all(portfolio):
    """Every signature of the sign-off block, through the services, so the record ends complete."""
    from assessments.models import PortfolioStatus, SignatureKind
    from assessments.signoff.services import unit_mark_sampled, unit_sign
    from people.models import Role, User
    from quality.services.reports import iv_report_unit
    from quality.services.visits import ev_findings_record

    people = {role: User.objects.get(email=f"{role}@bench.example") for role in (Role.LEARNER, Role.ASSESSOR, Role.IV)}
    ev = User.objects.get(email="ev@bench.example")
    assessor = people[Role.ASSESSOR]
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


GOAL_PAGE_MS = 60.0


def _descendants_cpu() -> float:
    """CPU seconds used so far by every process started under this one (Chromium's browser, renderer and GPU
    processes, under Playwright's driver), read from /proc."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    return sum(ticks[pid] for pid in mine if pid != os.getpid()) / os.sysconf("SC_CLK_TCK")


def self_contained(html: str, css: str, content) -> str:
    """The record's HTML as a browser can open it alone: the stylesheet inline, the thumbnails as data: URIs."""
    from assessments.records.pdf.fetcher import RecordFetcher

    fetcher = RecordFetcher(images=content.image_files)
    for image in content.images:
        body = base64.b64encode(fetcher.fetch(f"evidence-image://{image.key}").read()).decode()
        html = html.replace(f"evidence-image://{image.key}", f"data:image/jpeg;base64,{body}")
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def chromium_cpu(htmls: dict[str, str], runs: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """CPU ms of each headless Chromium `page.pdf()` of each HTML (this process and Chromium's together), and
    each one's page count; one browser for all, the documents taken in turn."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    times: dict[str, list[float]] = {label: [] for label in htmls}
    pages: dict[str, int] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        for n in range(runs + 1):
            for label, html in htmls.items():
                before = time.process_time() + _descendants_cpu()
                page.set_content(html)
                pdf = page.pdf(format="A4", tagged=True, display_header_footer=False, prefer_css_page_size=True)
                if n:  # the first round warms the browser up
                    times[label].append((time.process_time() + _descendants_cpu() - before) * 1000)
                pages[label] = len(PdfReader(io.BytesIO(pdf)).pages)
        browser.close()
    return times, pages


def git_show(revision: str, path: str) -> str | None:
    shown = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def html_at(revision: str, content) -> str:
    """The record's HTML as the templates of an earlier revision wrote it (today's where that revision had none),
    with the context today's render gives."""
    from unittest import mock

    from django.template import Context, Engine

    from assessments.records.pdf import render

    sources = {name: git_show(revision, f"templates/{name}") for name in TEMPLATES}
    engine = Engine(
        loaders=[
            ("django.template.loaders.locmem.Loader", {k: v for k, v in sources.items() if v is not None}),
            "django.template.loaders.filesystem.Loader",
        ],
        dirs=[str(ROOT / "templates")],
    )

    def render_to_string(name: str, context: dict) -> str:
        return engine.get_template(name).render(Context(context))

    with mock.patch.object(render, "render_to_string", render_to_string):
        return render.record_html(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=12, help="evidence items in the portfolio (default 12)")
    parser.add_argument("--photos", type=int, default=3, help="of which with a photo (default 3)")
    parser.add_argument("--runs", type=int, default=10, help="renders of each kind after the warm-up (default 10)")
    parser.add_argument(
        "--before",
        default=BEFORE,
        help=f"git revision whose templates and stylesheet are measured beside today's (default {BEFORE})",
    )
    parser.add_argument("--no-chromium", action="store_true", help="leave headless Chromium out")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection
        from pypdf import PdfReader
        from weasyprint import CSS

        from assessments.records.pdf import render
        from assessments.records.pdf.content import record_content, standing_signatures
        from assessments.records.pdf.fetcher import RecordFetcher

        started = time.perf_counter()
        portfolio = fill(args.items, args.photos)
        signatures = standing_signatures(portfolio)
        print(
            f"Built a complete unit with {args.items} evidence items ({args.photos} with a photo) "
            f"and {len(signatures)} signatures in {time.perf_counter() - started:.1f} s; database: {connection.vendor}"
        )
        content = record_content(portfolio, signatures)
        draft = record_content(portfolio, [])  # the same portfolio as it reads before anyone has signed
        css_now = (ROOT / "static/pdf/record.css").read_text()
        css_before = git_show(args.before, "static/pdf/record.css")
        sheet_before = CSS(string=css_before, url_fetcher=RecordFetcher(), font_config=render._fonts())
        # (label, content, HTML, stylesheet): each kind of record under the earlier layout and today's.
        renders = [
            (f"WeasyPrint, signed, layout of {args.before}", content, html_at(args.before, content), sheet_before),
            ("WeasyPrint, signed, layout now", content, render.record_html(content), render._stylesheet()),
            (f"WeasyPrint, draft, layout of {args.before}", draft, html_at(args.before, draft), sheet_before),
            ("WeasyPrint, draft, layout now", draft, render.record_html(draft), render._stylesheet()),
        ]

        def weasy(content, html, sheet) -> bytes:
            # As render_pdf renders (its trimmed user-agent stylesheet, the cycle collector paused), whichever layout.
            fetcher = RecordFetcher(images=content.image_files)
            with render._render_alone():
                return render._RecordHTML(string=html, url_fetcher=fetcher, base_url="static:/").write_pdf(
                    stylesheets=[sheet], font_config=render._fonts(), pdf_variant="pdf/ua-1"
                )

        pages: dict[str, int] = {}
        for label, *job in renders:  # warm up: fonts, stylesheets, templates
            pages[label] = len(PdfReader(io.BytesIO(weasy(*job))).pages)
        times: dict[str, list[float]] = {label: [] for label, *_ in renders}
        contents = []
        for _ in range(args.runs):  # side by side, so a busy moment on the machine falls on all alike
            start = time.process_time()
            record_content(portfolio, signatures)
            contents.append((time.process_time() - start) * 1000)
            for label, *job in renders:
                start = time.process_time()
                weasy(*job)
                gc.collect(0)  # the young objects a paused render leaves, collected on the next allocation anyway
                times[label].append((time.process_time() - start) * 1000)
        if not args.no_chromium:
            chromium = {
                f"Headless Chromium, {kind}, same HTML": self_contained(render.record_html(c), css_now, c)
                for kind, c in (("signed", content), ("draft", draft))
            }
            chromium_times, chromium_pages = chromium_cpu(chromium, args.runs)
            times.update(chromium_times)
            pages.update(chromium_pages)

        print(f"\n{args.runs} renders each after a warm-up; CPU time (ms), per page beside the goal\n")
        print(f"{'Render':45} {'pages':>5} {'median':>8} {'p95':>8} {'per page':>9} {'goal':>6} {'ratio':>6}")
        median, p95 = statistics.median(contents), percentile95(contents)
        print(f"{'Record content (queries)':45} {'':>5} {median:8.1f} {p95:8.1f}")
        per_page = {}
        for label, t in times.items():
            per_page[label] = statistics.median(t) / pages[label]
            verdict = "PASS" if per_page[label] <= GOAL_PAGE_MS else "FAIL"
            print(
                f"{label:45} {pages[label]:5} {statistics.median(t):8.1f} {percentile95(t):8.1f} "
                f"{per_page[label]:9.1f} {GOAL_PAGE_MS:6.0f} {per_page[label] / GOAL_PAGE_MS:5.1f}x {verdict}"
            )
        print()
        for kind in ("signed", "draft"):
            now = per_page[f"WeasyPrint, {kind}, layout now"]
            before = per_page[f"WeasyPrint, {kind}, layout of {args.before}"]
            line = f"{kind.capitalize()}: today's layout takes {now / before:.2f}x the CPU a page of {args.before}'s"
            if not args.no_chromium:
                line += f"; WeasyPrint needs {now / per_page[f'Headless Chromium, {kind}, same HTML']:.1f}x Chromium's"
            print(line + ".")
        pdf = render.render_pdf(content)
        print(f"The stored record: {len(pdf) / 1024:.0f} KiB ({len(pdf):,} bytes), {len(content.images)} thumbnails")


if __name__ == "__main__":
    main()
