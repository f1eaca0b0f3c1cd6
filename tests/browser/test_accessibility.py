"""WCAG 2.2 AA checks with axe-core (vendored in tests/browser/axe.min.js, MPL-2.0).

axe is injected as a script, so these pages are opened in a context that
bypasses the CSP; the CSP itself is checked by every other browser test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("axe.min.js")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})" for v in result["violations"]
    ]


def test_sign_in_page_has_no_wcag_violations(axe_page, world):
    axe_page.goto("/accounts/login/")
    assert violations(axe_page) == []


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("admin", "/"),
        ("admin", "/centre/people/"),
        ("admin", "/centre/people/add/"),
        ("admin", "/centre/registrations/"),
        ("admin", "/centre/registrations/new/"),
        ("admin", "/centre/registrations/import/"),
        ("learner", "/"),
        ("assessor", "/"),
        ("iv", "/"),
        ("ev", "/"),
        ("learner", "/units/deliver-customer-service-to-difficult-customers/"),
    ],
)
def test_signed_in_pages_have_no_wcag_violations(axe_page, world, persona, path):
    sign_in(axe_page, world.persona(persona).email)
    axe_page.goto(path)
    assert violations(axe_page) == []


def test_form_errors_are_announced_beside_their_fields_without_violations(axe_page, world):
    sign_in(axe_page, world.admin.email)
    axe_page.goto("/centre/people/add/")
    axe_page.get_by_role("button", name="Add and send email").click()
    assert axe_page.get_by_text("This field is required.").count() >= 2
    assert violations(axe_page) == []


def test_the_checker_itself_catches_an_unlabelled_field(axe_page, world):
    # Guards against a silently broken axe set-up that would pass every page.
    axe_page.goto("/accounts/login/")
    axe_page.evaluate("document.querySelector('label[for=id_username]').remove()")
    assert any(v.startswith("label:") for v in violations(axe_page))
