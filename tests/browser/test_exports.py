"""A cohort export in a real browser: the admin filters, ticks two registrations and starts the export; the
worker builds it while the page polls, and the download link appears without a reload. The export pages are
checked with axe-core as in test_accessibility.py."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from exports.models import Export, ExportKind, ExportStatus
from exports.services import export_build, export_request
from people.models import Role
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in
from tests.factories import PortfolioFactory, member

pytestmark = pytest.mark.browser

UNIT = "Deliver customer service to difficult customers"


@pytest.fixture
def cohort(world):
    """Two more learners: Ben with the world's assessor, Cara with another one."""
    other = member(world.centre, Role.ASSESSOR, user__full_name="Omar Other")
    ben = PortfolioFactory(
        centre=world.centre,
        learner=member(world.centre, Role.LEARNER, user__full_name="Ben Baker"),
        assessor=world.assessor,
        iv=world.iv,
        learner_number="CG-0002",
    )
    cara = PortfolioFactory(
        centre=world.centre,
        learner=member(world.centre, Role.LEARNER, user__full_name="Cara Cole"),
        assessor=other,
        iv=world.iv,
        learner_number="CG-0003",
    )
    return ben, cara


def test_admin_exports_two_ticked_registrations_and_downloads_the_zip_once_the_worker_has_built_it(
    page, world, cohort, tmp_path
):
    ben, _ = cohort
    sign_in(page, world.admin.email)
    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports at Northgate Training")
    expect(page.get_by_text("3 registrations match (every registration)")).to_be_visible()

    page.get_by_label("Assessor").select_option(label=f"Asha Assessor ({world.assessor.email})")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("2 registrations match (assessor Asha Assessor)")).to_be_visible()
    expect(page.get_by_role("cell", name="Cara Cole")).to_have_count(0)
    page.get_by_label(f"Export Lena Learner, {UNIT}").check()
    page.get_by_label(f"Export Ben Baker, {UNIT}").check()
    page.get_by_role("button", name="Export the ticked ones").click()

    export = Export.objects.get()
    expect(page).to_have_url(reverse("export_detail", args=[export.pk]))
    expect(page.get_by_text("Your export has started. This page shows its progress.")).to_be_visible()
    progress = page.locator("#export-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(progress).to_contain_text("Waiting to start")
    expect(progress).to_contain_text("0 of 2 registrations done")
    assert set(export.portfolios.all()) == {world.portfolio, ben}
    # Marks this page: a reload would lose it, so its survival shows the link came by polling.
    page.evaluate("window.stillTheSamePage = true")

    # The live server has committed the request, and the task with it: the worker finds it.
    call_command("db_worker", batch=True, verbosity=0)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE

    link = page.get_by_role("link", name=f"Download {export.filename}")
    expect(link).to_be_visible()
    expect(progress).to_have_attribute("data-status", "done")
    assert page.evaluate("window.stillTheSamePage") is True
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == export.filename
    saved = Path(tmp_path) / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    names = archive.namelist()
    assert "summary.csv" in names
    pdfs = sorted(name for name in names if name.endswith(".pdf"))
    assert len(pdfs) == 2
    assert pdfs[0].startswith("ben-baker-cg-0002/") and pdfs[1].startswith("lena-learner-cg-0001/")
    assert all(archive.read(name).startswith(b"%PDF-") for name in pdfs)
    summary = archive.read("summary.csv").decode("utf-8-sig")
    assert "Ben Baker" in summary and "Lena Learner" in summary and "Cara Cole" not in summary
    assert page.problems == []


def test_the_cohort_page_has_no_wcag_violations_with_exports_and_with_its_errors(axe_page, world, cohort):
    export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=ExportKind.COHORT,
        portfolios=list(cohort),
        description="Cohort: ticked registrations (2 registrations)",
    )
    sign_in(axe_page, world.admin.email)
    axe_page.goto(reverse("export_list"))
    assert violations(axe_page) == []
    # A date range the wrong way round: the error beside its field.
    today = datetime.date.today()
    axe_page.goto(f"{reverse('export_list')}?start_from={today}&start_to={today - datetime.timedelta(days=7)}")
    assert axe_page.get_by_text("This date is before the first one: swap them round.").count() == 1
    assert violations(axe_page) == []
    # Nothing ticked: the error above the list.
    axe_page.goto(reverse("export_list"))
    axe_page.get_by_role("button", name="Export the ticked ones").click()
    assert axe_page.get_by_text("Tick at least one registration").count() == 1
    assert violations(axe_page) == []


def test_the_export_pages_have_no_wcag_violations_queued_done_and_failed(axe_page, world, monkeypatch):
    def ask() -> Export:
        return export_request(
            actor=world.admin,
            role=Role.ADMIN,
            centre=world.centre,
            kind=ExportKind.COHORT,
            portfolios=[world.portfolio],
            description="Cohort: every registration (1 registration)",
        )

    queued, done, failed = ask(), ask(), ask()
    export_build(str(done.pk))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("exports.services.cohort_zip", broken)
    export_build(str(failed.pk))
    sign_in(axe_page, world.admin.email)
    for export, status in [(queued, "queued"), (done, "done"), (failed, "failed")]:
        axe_page.goto(reverse("export_detail", args=[export.pk]))
        assert axe_page.locator("#export-progress").get_attribute("data-status") == status
        assert violations(axe_page) == [], status
    axe_page.goto(reverse("export_learner", args=[world.learner.pk]))
    assert violations(axe_page) == []
