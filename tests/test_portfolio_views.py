"""The project's own pages: a form refused by the CSRF check gets the site's page with a way back, not Django's."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_dashboards import main_text

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/account/notifications/"


@pytest.fixture
def learner_browser(world) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    return client


def refused(response) -> str:
    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403_csrf.html", "base.html"]
    page = response.content.decode()
    # The site's layout, once, not Django's bare page.
    assert page.count('<main id="main"') == 1 and page.count("<h1") == 1
    assert "CSRF" not in page and "Forbidden" not in page
    text = main_text(response)
    assert "Your form was not sent" in text and "Nothing was saved." in text
    assert "the page was open for a long time" in text and "blocks cookies" in text
    return page


def back_link(page: str) -> tuple[str, str]:
    href, words = re.search(r'<a href="([^"]*)">((?:Back to|Go to)[^<]*)</a>', page).groups()
    return href, words


def test_a_form_posted_with_a_stale_token_gets_the_sites_page_and_a_link_back_to_it(learner_browser, world):
    assert reverse("notification_settings") == SETTINGS_URL
    learner_browser.get(SETTINGS_URL)
    response = learner_browser.post(
        SETTINGS_URL,
        {"csrfmiddlewaretoken": "x" * 64, "email_notifications": ""},
        headers={"referer": "http://testserver" + SETTINGS_URL, "origin": "http://testserver"},
    )
    page = refused(response)
    assert back_link(page) == (SETTINGS_URL, "Back to the page you were on")
    world.learner.refresh_from_db()
    assert world.learner.email_notifications is True
    # Signed in, so the navigation and the sign-out button are there as on every page.
    assert "Sign out" in page
    # And the same form, sent again from a fresh page, goes through.
    fresh = learner_browser.get(SETTINGS_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', fresh).group(1)
    assert learner_browser.post(SETTINGS_URL, {"csrfmiddlewaretoken": token}).status_code == 302
    world.learner.refresh_from_db()
    assert world.learner.email_notifications is False


@pytest.mark.parametrize(
    "referer",
    ["", "https://elsewhere.example/page/", "//elsewhere.example/", "javascript:alert(1)", "not a url at all"],
    ids=["none", "other-site", "scheme-relative", "javascript", "junk"],
)
def test_the_way_back_is_the_home_page_unless_they_came_from_this_site(learner_browser, referer):
    headers = {"referer": referer} if referer else {}
    page = refused(learner_browser.post(SETTINGS_URL, {}, headers=headers))
    assert back_link(page) == ("/", "Go to the home page")


def test_someone_whose_browser_blocks_cookies_is_told_so_on_the_sign_in_form(world):
    browser = Client(enforce_csrf_checks=True)
    page = refused(browser.post(reverse("login"), {"username": world.learner.email, "password": "whatever"}))
    assert "Sign out" not in page
    assert back_link(page) == ("/", "Go to the home page")
    assert "_auth_user_id" not in browser.session
