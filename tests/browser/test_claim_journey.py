"""The claim list in a real browser: the centre admin finds a completed unit waiting to be claimed, enters the
learner's ULN and the awarding body's enrolment number through the real form, sees both in the list, and
downloads the CSV an awarding body's claim is made from (its content checked cell by cell)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio, RecordCode
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.helpers import said_once, uk
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.browser

UNIT = "Deliver customer service to difficult customers"


def test_admin_enters_the_identifiers_sees_the_unit_ready_to_claim_and_downloads_the_csv(open_as, complete):  # noqa: F811 (the fixture imported above)
    world = complete
    waiting = PortfolioFactory(centre=world.centre)  # still in progress: nothing to claim
    admin = open_as(world.admin.email)
    admin.goto("/")
    admin.get_by_role("link", name="Claim list").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Claim list")
    rows = admin.locator("tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("Lena Learner")
    expect(row).not_to_contain_text(waiting.learner.full_name)
    expect(row.locator('[data-label="ULN"]')).to_have_text("not entered")

    # The identifiers are entered through the form the claim list links to, and it comes back to the list.
    row.get_by_role("link", name="Enter ULN and enrolment number").click()
    admin.get_by_label("Unique learner number (ULN)").fill("1000 0000 43")  # copied with spaces, as ULNs often are
    admin.get_by_label("Awarding body's enrolment number").fill("CG-ENR-77")
    admin.get_by_role("button", name="Save").click()
    said_once(admin, "Saved the ULN and enrolment number for Lena Learner.")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Claim list")
    row = admin.locator("tbody tr").first
    expect(row.locator('[data-label="ULN"]')).to_have_text("1000000043")
    expect(row.locator('[data-label="Enrolment number"]')).to_contain_text("CG-ENR-77")
    expect(row.locator('[data-label="Awarding body"]')).to_have_text("City & Guilds")
    expect(row.locator('[data-label="Unit"]')).to_have_text(f"220 {UNIT}")
    expect(row.locator('[data-label="Completed"]')).to_have_text(uk(timezone.localdate()))

    with admin.expect_download() as download_info:
        admin.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"claims-51001-{timezone.localdate().isoformat()}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith("\ufeff".encode())  # the byte-order mark that makes Excel read it as UTF-8
    header, *lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    code = RecordCode.objects.get(portfolio=world.portfolio, round=world.portfolio.round)
    assert header == [
        "Learner",
        "Unique learner number",
        "Enrolment number",
        "Awarding body",
        "Unit number",
        "Unit title",
        "Completed",
        "Record code",
    ]
    assert lines == [
        [
            "Lena Learner",
            "1000000043",
            "CG-ENR-77",
            "City & Guilds",
            "220",
            UNIT,
            uk(timezone.localdate()),
            code.display,
        ]
    ]
    saved = Portfolio.objects.get(pk=world.portfolio.pk)
    assert (saved.uln, saved.enrolment_number) == ("1000000043", "CG-ENR-77")
