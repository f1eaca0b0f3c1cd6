"""A completed unit whose evidence file was changed on the server's disk, seen in a real browser: a stranger
checking the record code on a phone is told the record was altered and what kind of change, naming no one; the IV
is refused the file with a page saying why, and the sign-off page names the file. No WCAG violations."""

from __future__ import annotations

from playwright.sync_api import expect

from assessments.models import EvidenceFile, RecordCode
from assessments.records.services.renders import record_render_store
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.models import AuditEvent
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in
from tests.tamper import rewrite_file


def tampered(world) -> tuple[str, EvidenceFile]:
    record_render_store(portfolio=world.portfolio)
    photo = EvidenceFile.objects.get(evidence__portfolio=world.portfolio)
    rewrite_file(photo.file, b"a different picture")
    return RecordCode.objects.get(portfolio=world.portfolio, round=1).code, photo


def test_a_stranger_on_a_phone_is_told_the_record_was_altered_and_how_naming_no_one(phone, complete):  # noqa: F811
    code, _ = tampered(complete)
    phone.goto("/verify/")
    phone.get_by_label("Record code").fill(code.lower())
    phone.get_by_role("button", name="Check").click()
    expect(phone.get_by_text("Altered.", exact=True)).to_be_visible()
    expect(phone.get_by_text("Genuine and unaltered.", exact=True)).to_have_count(0)
    problems = phone.locator("#integrity-problems li")
    expect(problems).to_have_text(["An evidence file has been changed or removed since it was uploaded."])
    body = phone.locator("main").inner_text()
    for name in ("Lena Learner", "Asha Assessor", "till.png", "CG-0001"):
        assert name not in body, name
    assert phone.problems == [], phone.problems


def test_the_iv_is_refused_the_changed_file_and_the_signoff_page_names_it(open_as, complete):  # noqa: F811
    _, photo = tampered(complete)
    iv = open_as(complete.iv.email)
    iv.goto(f"/portfolios/{complete.portfolio.pk}/signoff/")
    section = iv.locator("#integrity-problems")
    expect(section.get_by_role("heading", name="Changed outside the application")).to_be_visible()
    expect(section.locator("li")).to_have_count(1)
    expect(section).to_contain_text(f"Evidence file {photo.pk} (till.png, item {photo.evidence_id})")

    response = iv.goto(f"/files/{photo.pk}/")
    assert response is not None and response.status == 409
    expect(iv.get_by_role("heading", level=1)).to_have_text(
        "This file is not served: it is not the file that was stored"
    )
    iv.get_by_role("link", name="Back").click()
    expect(iv).to_have_url(f"/evidence/{photo.evidence_id}/")
    assert AuditEvent.objects.filter(action="file.altered_refused", actor=complete.iv).count() == 1
    # The one complaint: the refusal itself, which the browser logs as a failed load.
    assert iv.problems == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]


def test_the_refusal_and_the_altered_record_have_no_wcag_violations(axe_page, complete):  # noqa: F811
    code, photo = tampered(complete)
    axe_page.goto(f"/verify/{code}/")
    expect(axe_page.locator("#integrity-problems li")).to_have_count(1)
    assert violations(axe_page) == []
    sign_in(axe_page, complete.iv.email)
    axe_page.goto(f"/files/{photo.pk}/")
    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("This file is not served")
    assert violations(axe_page) == []
    axe_page.goto(f"/portfolios/{complete.portfolio.pk}/signoff/")
    expect(axe_page.locator("#integrity-problems")).to_be_visible()
    assert violations(axe_page) == []
