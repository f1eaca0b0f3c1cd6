from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import EvidenceFile
from tests import samples
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser


def test_learner_adds_evidence_sees_it_in_the_grid_and_is_refused_simulation(page, world):
    sign_in(page, world.learner.email)
    page.get_by_role("link", name="Deliver customer service to difficult customers", exact=True).click()
    expect(page.get_by_text("0 of 27 criteria, 0 of 4 range items")).to_be_visible()
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_role("textbox", name="Title*", exact=True).fill("Refund complaint on a busy Saturday")
    page.get_by_label("Assessment method").select_option(label="RA Reflective account")
    page.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    page.get_by_label("Real work").check()
    page.get_by_label("Description or written account").fill("I listened, asked questions and agreed a refund.")
    page.get_by_label("Files").set_input_files(
        [{"name": "complaints-log.png", "mimeType": "image/png", "buffer": samples.png((800, 600))}]
    )
    page.get_by_label("2.1 Listen patiently").check()
    page.get_by_label("2.4 Express empathy").check()
    page.get_by_label("during a busy time in your job").check()
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Added E1 Refund complaint on a busy Saturday")).to_be_visible()
    expect(page.get_by_text("2 of 27 criteria, 1 of 4 range items")).to_be_visible()
    expect(page.get_by_role("row", name="220.2.1 Listen patiently")).to_contain_text("E1")
    expect(page.get_by_role("row", name="b during a busy time")).to_contain_text("E1")
    record = EvidenceFile.objects.get()
    assert (record.original_name, record.content_type) == ("complaints-log.png", "image/png")

    page.get_by_role("link", name="Evidence list").click()
    expect(page.get_by_role("link", name="complaints-log.png")).to_be_visible()
    expect(page.get_by_role("img", name="complaints-log.png")).to_be_visible()
    href = page.get_by_role("link", name="complaints-log.png").get_attribute("href")
    served = page.request.get(href)
    assert served.status == 200 and served.body() == samples.png((800, 600))
    assert served.headers["content-security-policy"] == "sandbox"
    assert served.headers["x-content-type-options"] == "nosniff"

    page.get_by_role("link", name="Add evidence").click()
    page.get_by_role("textbox", name="Title*", exact=True).fill("Role play in training")
    page.get_by_label("Assessment method").select_option(label="RA Reflective account")
    page.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    page.get_by_label("Simulation", exact=True).check()
    page.get_by_label("2.1 Listen patiently").check()
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Simulation is not allowed for performance evidence in this unit")).to_be_visible()
    assert page.problems == []


def test_portfolio_and_evidence_form_have_no_wcag_violations(axe_page, world, mailoutbox):
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    from assessments.tests.test_evidence_views import add
    from assessments.uploads import inspect_upload

    add(world, criteria=["2.1"], range_items=["b"])
    photo = add(world, criteria=["2.4"], files=[inspect_upload(Upload("till.png", samples.png()))])
    add(
        world,
        method="WT",
        criteria=["1.1"],
        witness_name="Sam Supervisor",
        witness_email="sam@example.org",
        witness_statement="I saw Lena calm an angry customer.",
    )
    witness_link = next(line for line in mailoutbox[-1].body.splitlines() if "/witness/" in line).strip()
    sign_in(axe_page, world.learner.email)
    for path in (
        f"/portfolios/{world.portfolio.pk}/",
        f"/portfolios/{world.portfolio.pk}/evidence/add/",
        f"/portfolios/{world.portfolio.pk}/evidence/",
        f"/evidence/{photo.pk}/edit/",
        "/" + witness_link.split("/", 3)[3],
    ):
        axe_page.goto(path)
        assert violations(axe_page) == [], path


def test_the_browser_refuses_an_upload_over_the_limit_before_sending_it(page, world, settings):
    settings.EVIDENCE_MAX_FILES = 1
    sign_in(page, world.learner.email)
    page.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    requests = []
    page.on("request", lambda r: requests.append(r) if r.method == "POST" else None)
    page.get_by_label("Files").set_input_files(
        [
            {"name": "one.png", "mimeType": "image/png", "buffer": samples.png()},
            {"name": "two.png", "mimeType": "image/png", "buffer": samples.png()},
        ]
    )
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("You chose 2 files; add up to 1 at a time.")).to_be_visible()
    expect(page.get_by_label("Files")).to_be_focused()
    assert requests == []
    assert page.problems == []
