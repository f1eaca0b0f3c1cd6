"""Every person's own account in a real browser: a new person sets their password from the emailed link, someone
who forgot theirs asks for a link and sets a new one, a signed-in person changes it from their account page,
switches between the roles they hold, and signs out."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from people.models import Membership, Qualification, Role
from people.services import member_add
from tests.browser.helpers import said_once
from tests.browser.test_sign_in import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "harbour-lantern-2027"


def _link_path(message) -> str:
    """The path of the set-password link in an email (the emailed address is SITE_URL's, not the live server's)."""
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _set_password(page, password: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    page.get_by_label("New password").first.fill(password)
    page.get_by_label("New password confirmation").fill(password)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is saved")


def test_a_new_person_sets_their_password_from_the_emailed_link_and_signs_in_on_a_phone(phone, world):
    member_add(
        actor=world.admin,
        centre=world.centre,
        email="nia@example.org",
        full_name="Nia Newcomer",
        role=Role.LEARNER,
        qualification="",
    )
    (invitation,) = mail.outbox
    phone.goto(_link_path(invitation))
    _set_password(phone, NEW_PASSWORD)

    # The link worked once.
    phone.goto(_link_path(invitation))
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link has expired or been used")

    sign_in(phone, "nia@example.org", NEW_PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Welcome, Nia Newcomer")
    assert phone.problems == []


def test_a_person_who_forgot_their_password_asks_for_a_link_and_sets_a_new_one_on_a_phone(phone, world):
    phone.goto("/accounts/login/")
    phone.get_by_role("link", name="Forgotten your password?").click()
    phone.get_by_label("Email").fill(world.learner.email)
    phone.get_by_role("button", name="Email me a link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    (reset,) = mail.outbox
    assert reset.to == [world.learner.email]

    phone.goto(_link_path(reset))
    _set_password(phone, NEW_PASSWORD)
    phone.get_by_role("link", name="Sign in").click()
    phone.get_by_label("Email address").fill(world.learner.email)
    phone.get_by_label("Password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Welcome, Lena Learner")
    world.learner.refresh_from_db()
    assert world.learner.check_password(NEW_PASSWORD)


def test_a_person_switches_role_changes_their_password_from_their_account_page_and_signs_out(open_as, world):
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    page = open_as(world.assessor.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessors and learners you verify")

    acting = page.get_by_label("Acting as")
    as_assessor = next(o for o in acting.locator("option").all_inner_texts() if o.startswith("Assessor"))
    acting.select_option(label=as_assessor)
    page.get_by_role("button", name="Switch").click()
    said_once(page, f"You are now acting as assessor at {world.centre.name}.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your learners")
    assert page.get_by_label("Acting as").evaluate("s => s.options[s.selectedIndex].text") == as_assessor

    # The account page leads to the password change; a wrong old password is refused beside the field.
    page.get_by_role("link", name="Notification settings").first.click()
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Old password").fill("not-my-password")
    page.get_by_label("New password").first.fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your old password was entered incorrectly")).to_be_visible()
    world.assessor.refresh_from_db()
    assert not world.assessor.check_password(NEW_PASSWORD)

    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password").first.fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")
    # Still signed in, in the role chosen.
    page.get_by_role("link", name="Back to your dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your learners")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(page, world.assessor.email, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in")
    assert page.problems == []
