"""The development mail page in a real browser, as a newcomer after `./dev start` uses it: signed in on a phone,
they open the witness's email and follow its link to the witness's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.tests.test_evidence_views import add
from tests.test_dev_mail import debug  # noqa: F401  (DEBUG on, its URLs routed, mail kept in a folder)

pytestmark = pytest.mark.browser


def test_a_developer_reads_the_witness_email_and_follows_its_link(open_as, world, live_server, settings, debug):  # noqa: F811
    settings.SITE_URL = live_server.url
    add(
        world,
        method="WT",
        criteria=["2.1"],
        title="Refund dispute at the service desk",
        witness_name="Wendy Witness",
        witness_email="wendy@shop.example",
        witness_statement="I saw Lena calm a customer who was refused a refund.",
    )

    page = open_as(world.learner.email, phone=True)
    page.goto("/dev/mail/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent mail")
    links = page.locator("#sent-mail a")
    expect(links).to_have_count(1)
    links.first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Please confirm your witness statement for Lena Learner")
    expect(page.locator("#mail-body")).to_contain_text("Hello Wendy Witness")
    page.locator("#mail-body a[href*='/witness/']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm a witness statement")
