"""Exports and the portable portfolio in a real browser: the learner downloads their portfolio on a phone and
another centre's admin imports it as prior evidence; an admin exports one learner's records and portable portfolio,
and queues a failed export again. After each form the person sees what was saved, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from assessments.models import Evidence, Portfolio, SignatureKind
from assessments.signoff.services import unit_release, unit_sign
from assessments.tests.test_signoff import cover_everything, submit
from exports.models import Export, ExportKind, ExportStatus
from people.models import Membership, Role
from tests.browser.helpers import menu, said_once
from tests.factories import PASSWORD, PortfolioFactory

pytestmark = pytest.mark.browser

UNIT = "Deliver customer service to difficult customers"


def _complete(world) -> None:
    """Lena's unit, signed by her assessor and released by the IV (those journeys are tested elsewhere)."""
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    unit_release(actor=world.iv, portfolio=world.portfolio)


def test_the_learner_downloads_their_portfolio_on_a_phone_and_another_centre_imports_it(open_as, world, tmp_path):
    _complete(world)
    learner = open_as(world.learner.email, phone=True)
    learner.get_by_role("button", name="Download my portfolio (ZIP)").click()
    said_once(learner, "Your portfolio is being packed. This page shows its progress.")
    export = Export.objects.get()
    assert export.kind == ExportKind.PORTABLE

    call_command("db_worker", batch=True, verbosity=0)
    link = learner.get_by_role("link", name=f"Download {Export.objects.get().filename}")
    expect(link).to_be_visible(timeout=15_000)
    with learner.expect_download() as info:
        link.click()
    archive = tmp_path / info.value.suggested_filename
    info.value.save_as(archive)

    # Lena moves to Southbank College, whose admin registers her and imports the portfolio she brought.
    Membership.objects.create(user=world.learner, centre=world.other_centre, role=Role.LEARNER)
    there = PortfolioFactory(centre=world.other_centre, learner=world.learner, learner_number="SB-0001")
    admin = open_as(world.outsider.email)
    menu(admin, "Registrations")
    admin.get_by_role("link", name=f"Import prior evidence for Lena Learner, {UNIT}").click()
    admin.get_by_label("Portable portfolio (ZIP file)").set_input_files(archive)
    admin.get_by_role("button", name="Check and import").click()
    said_once(admin, f"into Lena Learner's portfolio for {UNIT}")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Registrations")
    imported = Evidence.objects.filter(portfolio=there)
    assert imported.count() == Evidence.objects.filter(portfolio=world.portfolio).count() + 1
    assert learner.problems == [] and admin.problems == []


def test_an_admin_exports_one_learners_records_and_portable_portfolio_and_retries_a_failed_export(open_as, world):
    _complete(world)
    admin = open_as(world.admin.email)
    menu(admin, "Exports")
    admin.get_by_role("link", name="Export this learner Lena Learner").click()
    admin.get_by_role("button", name="Export the records (PDF)").click()
    said_once(admin, "Your export has started. This page shows its progress.")
    records = Export.objects.get()
    assert records.kind == ExportKind.LEARNER

    admin.go_back()
    admin.reload()
    admin.get_by_role("button", name="Export the portable portfolio (ZIP)").click()
    said_once(admin, "Your export has started. This page shows its progress.")
    assert set(Export.objects.values_list("kind", flat=True)) == {ExportKind.LEARNER, ExportKind.PORTABLE}

    # The records export failed (say the worker was stopped twice): the admin queues it again from its page.
    Export.objects.filter(pk=records.pk).update(status=ExportStatus.FAILED, error="The worker stopped.")
    admin.goto(f"/exports/{records.pk}/")
    expect(admin.get_by_role("alert")).to_have_text("The worker stopped.")
    admin.get_by_role("button", name="Try again").click()
    said_once(admin, "The export has been queued again.")
    expect(admin.locator("#export-progress")).to_have_attribute("data-status", ExportStatus.QUEUED)
    records.refresh_from_db()
    assert records.status == ExportStatus.QUEUED
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == "complete"
    assert admin.problems == []
