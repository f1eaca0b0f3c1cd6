"""The unit library in a real browser: the centre admin loads a unit file through the page (a bad file refused
with each problem named by its field beside the file field, then a good one previewed, imported and listed), and
the assessor reads the centre's marking points and common mistakes beside a criterion while reviewing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from assessments.tests.test_evidence_views import add, crit
from audit.models import AuditEvent
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.helpers import menu, said_once
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in
from units.models import Unit
from units.tests.library_files import TEST_TITLE, as_bytes, broken_document, new_unit_document

pytestmark = pytest.mark.browser


def _file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/json", "buffer": data}


def test_admin_loads_a_unit_a_bad_file_refused_by_field_then_a_good_one_imported_and_listed(open_as, world, unit):
    # On a phone: the long field paths and the preview must fit 390 px (the page watcher fails the test if not).
    admin = open_as(world.admin.email, phone=True)
    menu(admin, "Units")
    admin.get_by_role("link", name="Load a unit or qualification").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Load a unit or qualification")

    # A file with three problems: each is named by its field, beside the file field, and nothing is written.
    field = admin.get_by_label("Unit or qualification file (JSON)")
    field.set_input_files(_file("unit-t1.json", as_bytes(broken_document(unit))))
    admin.get_by_role("button", name="Check the file").click()
    problems = admin.locator("#id_file_error li")
    expect(problems).to_have_text(
        [
            "title: required",
            "outcomes[0].criteria[0].text: required",
            'outcomes[2].kind: must be one of "performance", "knowledge"',
        ]
    )
    expect(admin.locator("#id_file_error")).to_contain_text("3 problems; nothing was written")
    expect(admin.locator("#id_file_error")).to_contain_text("choose the file again")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "id_file_error" in field.get_attribute("aria-describedby")
    expect(admin.get_by_role("button", name="Import it")).to_have_count(0)
    assert not Unit.objects.filter(title=TEST_TITLE).exists()

    # The corrected file: previewed as a new unit, then imported once confirmed.
    admin.get_by_label("Unit or qualification file (JSON)").set_input_files(
        _file("unit-t1.json", as_bytes(new_unit_document(unit)))
    )
    admin.get_by_role("button", name="Check the file").click()
    preview = admin.locator("#preview")
    expect(preview).to_contain_text("New unit")
    expect(preview).to_contain_text(TEST_TITLE)
    expect(preview).to_contain_text("27 assessment criteria")
    assert not Unit.objects.filter(title=TEST_TITLE).exists()
    admin.get_by_role("button", name="Import it").click()

    expect(admin.get_by_role("heading", level=1)).to_contain_text(TEST_TITLE)
    said_once(admin, "Created unit test-unit-loaded-through-the-page version 1.")
    assert AuditEvent.objects.filter(action="unit_imported", actor=world.admin).count() == 1
    menu(admin, "Units")
    expect(admin.get_by_role("link", name=TEST_TITLE, exact=True)).to_have_count(1)


def test_admin_loading_the_same_unit_again_is_told_there_is_nothing_to_do(open_as, world, unit):
    from units.tests.library_files import c4_document

    admin = open_as(world.admin.email)
    admin.goto("/units/import/")
    admin.get_by_label("Unit or qualification file (JSON)").set_input_files(
        _file("c4.json", as_bytes(c4_document(unit)))
    )
    admin.get_by_role("button", name="Check the file").click()
    expect(admin.locator("#preview")).to_contain_text("Nothing to do")
    expect(admin.get_by_role("button", name="Import it")).to_have_count(0)


def test_assessor_sees_the_marking_points_and_common_mistakes_beside_a_criterion_while_reviewing(open_as, world):
    call_command("loaddata", "guidance_c4", verbosity=0)
    item = add(world, method="PE", criteria=["2.1", "3.6"], title="Complaints log")
    assessor = open_as(world.assessor.email, phone=True)  # the guidance fits beside the claim on a phone too
    assessor.goto(f"/evidence/{item.pk}/review/")
    listening = assessor.locator(f"#claim-claim_c{crit('2.1').pk}")
    guidance = listening.locator(".review-guidance")
    expect(guidance).to_have_count(1)
    expect(guidance).to_be_visible()
    expect(guidance.locator("summary")).to_have_text(
        f"Centre guidance for {crit('2.1').label(world.portfolio.unit_code)}"
    )
    expect(guidance).to_contain_text("Marking point")
    expect(guidance).to_contain_text("Award credit for demonstrating active listening by paraphrasing")
    expect(guidance).to_contain_text("Common mistakes")
    expect(guidance).to_contain_text("Neglecting to listen fully to the customer before offering solutions.")
    behaviour = assessor.locator(f"#claim-claim_c{crit('3.6').pk} .review-guidance")
    expect(behaviour).to_contain_text("Equating assertiveness with aggression")
    expect(behaviour).not_to_contain_text("active listening")


def test_the_refused_file_the_preview_and_the_guidance_have_no_wcag_violations(axe_page, world, unit):
    sign_in(axe_page, world.admin.email)
    axe_page.goto("/units/import/")
    axe_page.get_by_label("Unit or qualification file (JSON)").set_input_files(
        _file("unit-t1.json", as_bytes(broken_document(unit)))
    )
    axe_page.get_by_role("button", name="Check the file").click()
    expect(axe_page.locator("#id_file_error li")).to_have_count(3)
    assert violations(axe_page) == []
    axe_page.get_by_label("Unit or qualification file (JSON)").set_input_files(
        _file("unit-t1.json", as_bytes(new_unit_document(unit)))
    )
    axe_page.get_by_role("button", name="Check the file").click()
    expect(axe_page.locator("#preview")).to_contain_text("New unit")
    assert violations(axe_page) == []

    call_command("loaddata", "guidance_c4", verbosity=0)
    item = add(world, method="PE", criteria=["2.1", "3.6"], range_items=["b"], title="Complaints log")
    axe_page.context.clear_cookies()
    sign_in(axe_page, world.assessor.email)
    axe_page.goto(f"/evidence/{item.pk}/review/")
    expect(axe_page.locator(".review-guidance")).to_have_count(3)
    assert violations(axe_page) == []
