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

    from assessments.evidence.uploads import inspect_upload
    from assessments.tests.test_evidence_views import add

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


def fill_evidence_form(page, world, *, title: str) -> None:
    page.get_by_role("textbox", name="Title*", exact=True).fill(title)
    page.get_by_label("Assessment method").select_option(label="RA Reflective account")
    page.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    page.get_by_label("Real work").check()
    page.get_by_label("Description or written account").fill("I listened, asked questions and agreed a refund.")
    page.get_by_label("2.1 Listen patiently").check()


def test_a_refused_evidence_form_keeps_the_files_and_attaches_them_once_it_is_put_right(page, world):
    sign_in(page, world.learner.email)
    page.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    fill_evidence_form(page, world, title="")
    page.get_by_label("Files").set_input_files(
        [
            {"name": "complaints-log.png", "mimeType": "image/png", "buffer": samples.png((800, 600))},
            {"name": "rota.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()},
            {"name": "notes.html", "mimeType": "text/html", "buffer": b"<html><body>notes</body></html>"},
        ]
    )
    page.get_by_role("button", name="Add evidence").click()

    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.get_by_text("notes.html cannot be added: web pages can run code in a browser")).to_be_visible()
    expect(page.get_by_text("Kept: complaints-log.png, ")).to_be_visible()
    expect(page.get_by_text("Kept: rota.jpg, ")).to_be_visible()
    expect(page.get_by_text("Kept: notes.html")).to_have_count(0)
    expect(page.get_by_label("Description or written account")).to_have_value(
        "I listened, asked questions and agreed a refund."
    )
    assert EvidenceFile.objects.count() == 0

    page.get_by_role("checkbox", name="Remove rota.jpg").check()
    page.get_by_role("textbox", name="Title*", exact=True).fill("Refund complaint on a busy Saturday")
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Added E1 Refund complaint on a busy Saturday")).to_be_visible()
    record = EvidenceFile.objects.get()
    assert (record.original_name, record.size) == ("complaints-log.png", len(samples.png((800, 600))))

    page.get_by_role("link", name="Evidence list").click()
    expect(page.get_by_role("link", name="complaints-log.png")).to_have_count(1)
    expect(page.get_by_role("link", name="rota.jpg")).to_have_count(0)
    page.get_by_role("link", name="E1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E1 Refund complaint on a busy Saturday")
    expect(page.get_by_role("link", name="complaints-log.png")).to_be_visible()
    page.get_by_role("link", name="Change E1").click()
    expect(page.get_by_role("checkbox", name="Remove complaints-log.png")).not_to_be_checked()
    assert page.problems == []


def test_a_photo_taken_with_the_camera_input_and_a_very_long_file_name_are_attached(page, world):
    sign_in(page, world.learner.email)
    page.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    camera = page.get_by_label("Take a photo")
    expect(camera).to_have_attribute("capture", "environment")
    expect(camera).to_have_attribute("accept", "image/*")
    expect(page.get_by_label("Record sound")).to_have_attribute("accept", "audio/*")
    expect(page.get_by_label("Record a video")).to_have_attribute("accept", "video/*")
    fill_evidence_form(page, world, title="Photo of the till")
    camera.set_input_files([{"name": "image.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()}])
    long_name = "Complaints log " + "z" * 981 + ".pdf"
    page.get_by_label("Files").set_input_files(
        [{"name": long_name, "mimeType": "application/pdf", "buffer": samples.pdf()}]
    )
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Added E1 Photo of the till")).to_be_visible()
    names = sorted(EvidenceFile.objects.values_list("original_name", flat=True))
    assert names[1] == "image.jpg"
    assert names[0].startswith("Complaints log zzz") and "…" in names[0] and names[0].endswith("z.pdf")

    # On a phone the shortened name wraps: neither the item nor its edit form scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    item = EvidenceFile.objects.get(original_name=names[0]).evidence
    for path in (f"/evidence/{item.pk}/", f"/evidence/{item.pk}/edit/"):
        page.goto(path)
        expect(page.get_by_role("link", name=names[0])).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert page.problems == []


def test_the_learners_evidence_pages_cause_no_csp_violation(page, world, mailoutbox):
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    from assessments import services
    from assessments.evidence.uploads import inspect_upload
    from assessments.tests.test_evidence_views import add

    files = [inspect_upload(Upload("till.png", samples.png())), inspect_upload(Upload("log.pdf", samples.pdf()))]
    photo = add(world, criteria=["2.1", "2.4"], range_items=["b"], files=files)
    add(world, setting="simulation", criteria=["3.1"])
    add(
        world,
        method="WT",
        criteria=["1.1"],
        witness_name="Sam Supervisor",
        witness_email="sam@example.org",
        witness_statement="I saw Lena calm an angry customer.",
    )
    services.feedback_post(actor=world.assessor, evidence=photo, text="Say more about what you did next.")
    sign_in(page, world.learner.email)
    # CSP violations are console errors in Chromium: the page fixture collects them in page.problems.
    page.add_init_script(
        "window.__csp = 0; document.addEventListener('securitypolicyviolation', () => window.__csp++);"
    )
    for path, heading in (
        (f"/portfolios/{world.portfolio.pk}/", "Deliver customer service to difficult customers"),
        (f"/portfolios/{world.portfolio.pk}/evidence/", "Evidence"),
        (f"/portfolios/{world.portfolio.pk}/evidence/add/", "Add evidence"),
        (f"/evidence/{photo.pk}/edit/", "Change E1"),
        (f"/evidence/{photo.pk}/", "E1"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__csp") == 0, path
    assert page.problems == []


def test_the_refused_form_with_kept_files_has_no_wcag_violations(axe_page, world):
    sign_in(axe_page, world.learner.email)
    axe_page.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    axe_page.get_by_label("Files").set_input_files(
        [
            {"name": "complaints-log.png", "mimeType": "image/png", "buffer": samples.png()},
            {"name": "notes.html", "mimeType": "text/html", "buffer": b"<html><body>notes</body></html>"},
        ]
    )
    axe_page.get_by_role("button", name="Add evidence").click()
    expect(axe_page.get_by_text("Kept: complaints-log.png, ")).to_be_visible()
    assert violations(axe_page) == []
