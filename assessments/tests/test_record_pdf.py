"""The unit record PDF: what it holds (read back out of the PDF), how it is stored once signed, and what the
renderer refuses to fetch."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pypdf import PdfReader

from assessments.evidence.uploads import inspect_upload
from assessments.models import Portfolio, PortfolioStatus, RecordCode, RecordRender, SignatureKind
from assessments.records.pdf.content import record_content
from assessments.records.pdf.fetcher import RecordFetcher, RefusedURL
from assessments.records.pdf.render import record_html, render_pdf
from assessments.records.services.renders import record_pdf, record_render_store
from assessments.signoff.services import signature_withdraw, unit_mark_sampled, unit_sign
from assessments.tests.test_evidence_views import add
from assessments.tests.test_signoff import accept
from people.models import Role
from tests import samples
from tests.factories import PASSWORD, ev_findings_agreeing, iv_report_agreeing
from units.models import AwardingBody, Criterion

S = PortfolioStatus
K = SignatureKind


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def sign(world, who, kind):
    return unit_sign(actor=who, portfolio=world.portfolio, kind=kind, password=PASSWORD)


@pytest.fixture
def covered(world):
    """Each outcome's criteria on its own item, and each range item on its own item, so every row of the
    record has references of its own to find."""
    unit = world.portfolio.unit
    by_outcome: dict[int, list[str]] = {}
    for c in Criterion.objects.filter(outcome__unit=unit).select_related("outcome"):
        by_outcome.setdefault(c.outcome.number, []).append(c.code)
    items = {
        "E1": add(world, criteria=by_outcome[1], range_items=["a"], days_ago=9, title="Late parcel complaint"),
        "E2": add(world, criteria=by_outcome[2], range_items=["b"], days_ago=7, title="Queue at the busy till"),
        "E3": add(world, criteria=by_outcome[3], range_items=["c"], days_ago=5, title="What I know about policy"),
        "E4": add(
            world,
            criteria=by_outcome[1][:2],
            range_items=["d"],
            days_ago=3,
            title="Card machine went down",
            files=[inspect_upload(SimpleUploadedFile("till.png", samples.png((300, 200))))],
        ),
    }
    for item in items.values():
        accept(item, world.assessor)
    return items


@pytest.fixture
def complete(world, covered):
    sign(world, world.learner, K.LEARNER)
    sign(world, world.assessor, K.ASSESSOR)
    unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    ev_findings_agreeing(world.portfolio, world.ev)
    sign(world, world.ev, K.EV)
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == S.COMPLETE
    return world


def test_the_signed_record_holds_every_criterion_with_its_references_the_range_and_every_signer(complete):
    world = complete
    data, draft = record_pdf(world.portfolio)
    assert not draft
    text = "\n".join(pdf_text(data))
    flat = " ".join(text.split())
    criteria = list(Criterion.objects.filter(outcome__unit=world.portfolio.unit).select_related("outcome"))
    assert len(criteria) == 27
    # Cut the text at each criterion's number: each piece must hold that criterion's text and references.
    labels = [f"220.{c.code}" for c in sorted(criteria, key=lambda c: (c.outcome.number, c.number))]
    starts = [flat.index(f" {label} ") for label in labels]
    assert starts == sorted(starts), "criteria are in the workbook's order"
    for i, criterion in enumerate(sorted(criteria, key=lambda c: (c.outcome.number, c.number))):
        piece = flat[starts[i] : starts[i + 1] if i + 1 < len(starts) else len(flat)]
        # A City & Guilds learner's record words each criterion as the workbook does.
        assert " ".join(criterion.workbook_text.split())[:40] in piece
        assert " ".join(criterion.text.split())[:40] not in piece
        expected = {1: "E1", 2: "E2", 3: "E3"}[criterion.outcome.number]
        assert re.search(rf"\b{expected}\b", piece), (criterion.code, piece[:300])
        if criterion.outcome.number == 1 and criterion.number in (1, 2):
            assert "E1, E4" in piece
    cover = flat[flat.index("What you must cover") : flat.index("What you must do")]
    for letter, ref in zip("abcd", ["E1", "E2", "E3", "E4"], strict=True):
        assert re.search(rf"\b{letter} .*?\b{ref}\b", cover)
    assert "routine" in cover.lower() and "busy" in cover.lower() and "quiet" in cover.lower()
    signoff = flat[flat.index("Unit sign-off") :]
    for who, kind in [(world.learner, K.LEARNER), (world.assessor, K.ASSESSOR), (world.iv, K.IV), (world.ev, K.EV)]:
        signature = world.portfolio.signatures.get(kind=kind, withdrawn_at__isnull=True)
        assert who.full_name in signoff
        assert signature.signed_at.astimezone().strftime("%d/%m/%Y") in signoff
    assert "valid, sufficient and an authentic record" in flat
    assert "Signature of IV (if sampled)" in signoff and "Signature of EV (if sampled)" in signoff
    assert "220.2 To deal with difficult customers, you must:" in flat
    # The record code is random capitals and digits, so it may hold "C4": look with it taken out.
    code = world.portfolio.record_codes.latest("round").display
    assert code in flat
    rest = flat.replace(code, " ")
    assert "OCR" not in rest and "C4" not in rest
    for method in ("O observation", "Q questioning", "PE product evidence", "WT witness testimony", "RPL"):
        assert method in flat


def test_the_record_carries_its_code_digest_header_and_page_numbers_on_a4(complete):
    world = complete
    data, _ = record_pdf(world.portfolio)
    reader = PdfReader(io.BytesIO(data))
    code = RecordCode.objects.get(portfolio=world.portfolio, round=1)
    latest = world.portfolio.signatures.filter(withdrawn_at__isnull=True).order_by("-signed_at").first()
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        assert "Lena Learner (CG-0001)" in page
        assert "Northgate Training" in page
        assert f"Page {n} of {total}" in page
        assert f"Record code {code.display}" in page
        width, height = float(reader.pages[n - 1].mediabox.width), float(reader.pages[n - 1].mediabox.height)
        assert (round(width), round(height)) == (595, 842)
    flat = " ".join(" ".join(pages).split())
    assert latest.digest in flat.replace(" ", "") or latest.digest in flat
    # Tagged for accessibility, declared PDF/UA-1, with a title.
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert b"pdfuaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert "Deliver customer service to difficult customers" in reader.metadata.title


def test_an_ocr_learners_record_reads_in_ocrs_numbering_and_the_specifications_wording(world, covered):
    world.portfolio.awarding_body = AwardingBody.objects.get(code="OCR")
    world.portfolio.save(update_fields=["awarding_body"])
    portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    content = record_content(portfolio, [])
    assert content.unit_numbers == [("OCR", "C4")]
    section = content.do_sections[1]
    assert (section.heading, section.title) == ("2", "Deal with difficult customers")
    assert (section.rows[0].label, section.rows[0].text) == (
        "2.1",
        "Listen patiently to what their customer wants to tell them",
    )
    assert [row.label for row in content.signoff][3] == "Internal verifier (if sampled)"
    flat = " ".join(" ".join(pdf_text(render_pdf(content))).split())
    assert "2.1 Listen patiently to what their customer wants to tell them" in flat
    assert "220." not in flat and "you must:" not in flat
    # The sign-off wording is City & Guilds' (OCR prints none), and the record says so once, naming it only there.
    note = "OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' words."
    assert flat.count(note) == 1 and flat.count("City & Guilds") == 1


def test_a_draft_renders_on_request_watermarked_and_is_never_stored(world, covered):
    data, draft = record_pdf(world.portfolio)
    assert draft
    text = " ".join(" ".join(pdf_text(data)).split())
    assert "DRAFT" in text and "Nobody has signed this record yet" in text
    assert "cannot be verified" in text
    assert not RecordRender.objects.exists() and not RecordCode.objects.exists()


def test_a_signed_record_is_rendered_once_then_served_as_stored(world, covered, django_assert_num_queries):
    sign(world, world.learner, K.LEARNER)
    first = record_render_store(portfolio=world.portfolio)
    again, draft = record_pdf(world.portfolio)
    assert not draft
    with first.file.open("rb") as handle:
        assert handle.read() == again
    assert RecordRender.objects.count() == 1
    # A later signature is a new state: rendered again, the earlier file kept.
    sign(world, world.assessor, K.ASSESSOR)
    second = record_render_store(portfolio=world.portfolio)
    assert second.pk != first.pk and RecordRender.objects.count() == 2
    assert second.signature.kind == K.ASSESSOR
    text = " ".join(" ".join(pdf_text(record_pdf(world.portfolio)[0])).split())
    assert "Asha Assessor" in text
    # The same code on both: the code names the round's record, whatever its later signatures.
    assert first.record_code_id == second.record_code_id


def test_a_withdrawn_signature_serves_the_record_without_it(world, covered):
    sign(world, world.learner, K.LEARNER)
    learner_only = record_render_store(portfolio=world.portfolio)
    assessor = sign(world, world.assessor, K.ASSESSOR)
    record_render_store(portfolio=world.portfolio)
    signature_withdraw(actor=world.assessor, signature=assessor, reason="Signed the wrong unit")
    assert record_render_store(portfolio=world.portfolio).pk == learner_only.pk
    text = " ".join(" ".join(pdf_text(record_pdf(world.portfolio)[0])).split())
    assert "Asha Assessor" not in text


# The real worker closes its database connection when done: outside a test transaction, as in production.
@pytest.mark.django_db(transaction=True)
def test_signing_enqueues_a_render_that_the_worker_stores(world, covered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign(world, world.learner, K.LEARNER)
    assert not RecordRender.objects.exists()
    call_command("db_worker", batch=True, verbosity=0)
    render = RecordRender.objects.get()
    assert render.signature.kind == K.LEARNER
    assert render.file.read(5) == b"%PDF-"


def test_learners_text_reaches_the_pdf_escaped_and_fetches_nothing(world):
    hostile = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">Refund</b>'
    add(world, criteria=["1.1"], title=hostile[:200])
    content = record_content(world.portfolio, [])
    html = record_html(content)
    assert '<img src="file:///etc/passwd">' not in html and "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    text = " ".join(" ".join(pdf_text(render_pdf(content))).split())
    assert 'src="file:///etc/passwd"' in text  # shown as text, not loaded


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:8000/admin/",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "static:../portfolio/settings.py",
        "static:pdf/../../manage.py",
        "static:js/upload.js",
        "evidence-image://f999",
    ],
)
def test_the_renderer_refuses_anything_but_its_own_static_files_and_this_portfolios_images(url):
    fetcher = RecordFetcher(images={"f1": "thumbnails/x.jpg"})
    with pytest.raises((RefusedURL, ValueError)):
        fetcher.fetch(url)


def test_the_renderer_reaches_its_stylesheet_and_this_portfolios_thumbnails(world, covered):
    content = record_content(world.portfolio, [])
    assert [image.ref for image in content.images] == ["E4"]
    fetcher = RecordFetcher(images=content.image_files)
    css = fetcher.fetch("static:pdf/record.css")
    assert b"@page" in css.read()
    image = fetcher.fetch(f"evidence-image://{content.images[0].key}")
    assert image.read(3) == b"\xff\xd8\xff"  # the JPEG thumbnail, not the original
    assert fetcher.refused == []


def test_a_stored_record_cannot_be_rewritten(world, covered):
    from django.db import DatabaseError, transaction

    sign(world, world.learner, K.LEARNER)
    render = record_render_store(portfolio=world.portfolio)
    with pytest.raises(DatabaseError), transaction.atomic():
        RecordRender.objects.filter(pk=render.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        RecordCode.objects.filter(pk=render.record_code_id).update(code="AAAAAAAAAAAA")
