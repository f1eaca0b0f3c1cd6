from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DASHBOARDS = {
    # persona: (heading on their dashboard, a person or thing they must see)
    "learner": ("Welcome, Lena Learner", "Deliver customer service to difficult customers"),
    "assessor": ("Your learners", "Lena Learner"),
    "iv": ("Assessors and learners you verify", "Assessor: Asha Assessor"),
    "admin": ("Northgate Training", "Centre number 51001"),
    "ev": ("Your centres", "Northgate Training (51001)"),
    "outsider": ("Southbank College", "Centre number 52002"),
}


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("persona", list(DASHBOARDS))
def test_each_persona_signs_in_through_the_form_and_sees_their_dashboard(page, world, persona):
    heading, content = DASHBOARDS[persona]
    sign_in(page, world.persona(persona).email)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(content).first).to_be_visible()
    assert page.problems == []


def test_wrong_password_shows_a_clear_message_and_stays_signed_out(page, world):
    sign_in(page, world.learner.email, "not-the-password")
    expect(page.get_by_text("The email address or password is not right")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_sign_in_works_from_the_keyboard_alone(page, world):
    page.goto("/accounts/login/")
    # The email field has focus on arrival; Tab moves to the password; Enter submits.
    page.keyboard.type(world.assessor.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your learners")


def test_sign_out_returns_to_the_sign_in_page(page, world):
    sign_in(page, world.admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Northgate Training")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto("/centre/people/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_a_phone_sized_screen_shows_the_unit_without_sideways_scrolling(page, world):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, world.learner.email)
    page.goto(f"/units/{world.portfolio.unit.slug}/")
    expect(page.get_by_text("Express empathy with their customer").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.problems == []
