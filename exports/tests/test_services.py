"""Exports: asked for in one transaction, built by the worker, with progress, failure, retry and expiry."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from assessments.evidence.uploads import inspect_upload
from assessments.models import PortfolioStatus, SignatureKind
from assessments.signoff.services import unit_sign
from assessments.tests.test_evidence_views import add
from audit.models import AuditEvent
from exports import builders
from exports.models import Export, ExportKind, ExportStatus
from exports.services import ExportStateError, export_build, export_request, export_retry, exports_prune
from people.models import Role
from tests import samples
from tests.factories import PASSWORD, PortfolioFactory, member

E = ExportStatus


def cohort(world, size: int):
    """`size` more learners at the centre, each with one item; the world learner has signed their declaration."""
    portfolios = [world.portfolio]
    add(world, criteria=["1.1"], range_items=["a"], files=[inspect_upload(SimpleUploadedFile("a.png", samples.png()))])
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=SignatureKind.LEARNER, password=PASSWORD)
    for n in range(size):
        learner = member(world.centre, Role.LEARNER, user__full_name=f"Learner {n:02d}")
        portfolios.append(PortfolioFactory(centre=world.centre, learner=learner, assessor=world.assessor, iv=world.iv))
    return portfolios


def ask(world, portfolios, kind=ExportKind.COHORT, **kwargs) -> Export:
    return export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=kind,
        portfolios=portfolios,
        description="test",
        **kwargs,
    )


def run_worker() -> None:
    call_command("db_worker", batch=True, verbosity=0)


def test_an_export_is_enqueued_only_once_its_request_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = ask(world, [world.portfolio])
    assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    task = DBTaskResult.objects.get()
    export.refresh_from_db()
    assert export.task_id == str(task.id)
    assert task.args_kwargs["args"] == [str(export.pk)]
    assert AuditEvent.objects.filter(action="export.requested").count() == 1


# The real worker closes its database connection when done: outside a test transaction, as in production.
@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_a_cohort_zip_of_records_with_a_csv_summary(world, django_capture_on_commit_callbacks):
    portfolios = cohort(world, 3)
    with django_capture_on_commit_callbacks(execute=True):
        export = ask(world, portfolios)
    run_worker()
    export.refresh_from_db()
    assert export.status == E.DONE and (export.done, export.total) == (4, 4)
    data = export.file.read()
    assert hashlib.sha256(data).hexdigest() == export.sha256 and len(data) == export.size
    assert export.expires_at > timezone.now()
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "lena-learner-cg-0001/unit-220.pdf" in names
    assert sum(name.endswith("-draft.pdf") for name in names) == 3
    assert not any("/evidence/" in name for name in names)
    rows = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"))))
    assert len(rows) == 4
    lena = next(r for r in rows if r["Learner"] == "Lena Learner")
    assert lena["Status"] == PortfolioStatus.SUBMITTED.label
    assert lena["Learner declaration"] == timezone.localdate().strftime("%d/%m/%Y")
    assert lena["Assessor signed"] == "" and lena["Record code"]
    assert archive.read("lena-learner-cg-0001/unit-220.pdf").startswith(b"%PDF-")


def test_a_cohort_export_may_carry_every_evidence_file(world):
    portfolios = cohort(world, 0)
    export = ask(world, portfolios, include_files=True)
    export_build(str(export.pk))
    export.refresh_from_db()
    archive = zipfile.ZipFile(export.file.open("rb"))
    files = [n for n in archive.namelist() if "/evidence/" in n]
    assert files == ["lena-learner-cg-0001/evidence/unit-220/E1/1-a.png"]
    assert archive.read(files[0]) == samples.png()


def test_one_learners_records_merge_into_one_pdf_after_an_index_of_files(world, second_portfolio):
    add(world, files=[inspect_upload(SimpleUploadedFile("till.png", samples.png()))])
    export = ask(world, [world.portfolio, second_portfolio], kind=ExportKind.LEARNER)
    export_build(str(export.pk))
    export.refresh_from_db()
    assert export.status == E.DONE and export.filename.endswith(".pdf")
    reader = PdfReader(export.file.open("rb"))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert text.index("Index of evidence files") < text.index("Deliver customer service to difficult customers City")
    assert "till.png" in text and hashlib.sha256(samples.png()).hexdigest() in text
    assert "Communicate with customers" in text or second_portfolio.unit.title in text
    # Top-level bookmarks: the index and one per unit (each record's own headings nest beneath).
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0].startswith("Index") and len(outline) == 3


def test_a_portable_portfolio_lists_every_file_with_its_hash(world):
    add(
        world, criteria=["1.1"], range_items=["a"], files=[inspect_upload(SimpleUploadedFile("doc.pdf", samples.pdf()))]
    )
    export = ask(world, [world.portfolio], kind=ExportKind.PORTABLE)
    export_build(str(export.pk))
    export.refresh_from_db()
    archive = zipfile.ZipFile(export.file.open("rb"))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == builders.MANIFEST_FORMAT
    unit = manifest["portfolios"][0]
    assert len(unit["criteria"]) == 27 and [r["letter"] for r in unit["range"]] == ["a", "b", "c", "d"]
    item = unit["evidence"][0]
    assert item["criteria"] == ["1.1"] and item["range"] == ["a"]
    for listed in item["files"]:
        assert hashlib.sha256(archive.read(listed["path"])).hexdigest() == listed["sha256"]
    assert hashlib.sha256(archive.read(unit["record"]["pdf"])).hexdigest() == unit["record"]["pdf_sha256"]


def test_a_failed_export_says_why_and_can_be_retried(world, monkeypatch):
    export = ask(world, [world.portfolio])

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("exports.services.cohort_zip", broken)
    export_build(str(export.pk))
    export.refresh_from_db()
    assert export.status == E.FAILED and "disk full" in export.error and not export.file
    monkeypatch.undo()
    export_retry(actor=world.admin, role=Role.ADMIN, export=export)
    export.refresh_from_db()
    assert (export.status, export.attempts, export.error) == (E.QUEUED, 2, "")
    export_build(str(export.pk))
    export.refresh_from_db()
    assert export.status == E.DONE


def test_only_a_failed_export_can_be_retried(world):
    export = ask(world, [world.portfolio])
    with pytest.raises(ExportStateError):
        export_retry(actor=world.admin, role=Role.ADMIN, export=export)


def test_a_second_worker_does_not_build_an_export_twice(world):
    export = ask(world, [world.portfolio])
    assert export_build(str(export.pk)).status == E.DONE
    assert export_build(str(export.pk)) is None


def test_finished_exports_are_removed_after_their_keeping_time(world, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_KEEP_HOURS = 1
    export = ask(world, [world.portfolio])
    export_build(str(export.pk))
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    assert exports_prune(timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        removed = exports_prune(timezone.now() + datetime.timedelta(hours=2))
    export.refresh_from_db()
    assert removed == 1 and export.status == E.EXPIRED and not export.file
    assert not storage.exists(name)


def test_an_export_takes_only_registrations_of_the_centre(world):
    other = PortfolioFactory(centre=world.other_centre)
    with pytest.raises(Exception, match="at your centre"):
        ask(world, [world.portfolio, other])
    with pytest.raises(Exception, match="nothing to export"):
        ask(world, [])
