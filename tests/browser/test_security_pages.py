"""What a person meets when the site's protections step in, in a real browser against the live server (DEBUG off,
CSRF enforced, the real CSP): a refused form explains itself and leads back; signed-in pages are not kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_form_whose_csrf_cookie_went_missing_gets_the_sites_page_and_a_way_back(open_as, world):
    page = open_as(world.learner.email)
    page.set_viewport_size(PHONE)
    page.goto("/account/notifications/")
    page.get_by_label("email me when something needs my action").uncheck()
    # As when the browser blocks or has dropped the site's cookies while the page was open.
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    expect(page.get_by_text("your browser blocks cookies for this site")).to_be_visible()
    # The site's own layout: its navigation, signed in as before.
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The 403 status is the one error the browser reports: no CSP violation, no script error.
    assert [p for p in page.problems if "status of 403" not in p] == []
    world.learner.refresh_from_db()
    assert world.learner.email_notifications is True

    page.get_by_role("link", name="Back to the page you were on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    page.get_by_label("email me when something needs my action").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    world.learner.refresh_from_db()
    assert world.learner.email_notifications is False


def test_signed_in_pages_tell_the_browser_not_to_keep_them_and_back_after_sign_out_shows_none(open_as, world):
    page = open_as(world.learner.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Lena Learner")
    for path in ("/", f"/portfolios/{world.portfolio.pk}/", "/account/notifications/"):
        response = page.goto(path)
        assert response.status == 200
        assert "no-store" in response.headers["cache-control"], path
        # The page's own styles and scripts stay cacheable.
        css = page.request.get(page.locator("link[rel=stylesheet]").last.get_attribute("href"))
        assert css.status == 200 and "no-store" not in css.headers.get("cache-control", "")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.go_back()
    # The browser asks the site again rather than showing a kept copy, and the site asks them to sign in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text(world.learner.email)).to_have_count(0)
    assert page.problems == []


def test_the_refused_form_page_has_no_wcag_violations(axe_page, world):
    axe_page.goto("/accounts/login/")
    axe_page.get_by_label("Email address").fill(world.learner.email)
    axe_page.get_by_label("Password").fill("whatever-it-is")
    # A browser that keeps no cookies for the site.
    axe_page.context.clear_cookies()
    axe_page.get_by_role("button", name="Sign in").click()
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    back = axe_page.get_by_role("link", name="Back to the page you were on")
    expect(back).to_have_attribute("href", "/accounts/login/")
    assert violations(axe_page) == []
