"""The development mail page: mail the app sent in DEBUG, read back from the file-based backend's folder.
With DEBUG off the page does not exist."""

from __future__ import annotations

import importlib

import pytest
from django.core.mail import EmailMessage, send_mail
from django.test import Client
from django.urls import clear_url_caches

import portfolio.urls

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def _reload_urls() -> None:
    importlib.reload(portfolio.urls)
    clear_url_caches()


@pytest.fixture
def debug(settings, tmp_path):
    """DEBUG on as `./dev start` runs it, with its mail kept in a folder of this test's own."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    _reload_urls()
    yield tmp_path
    settings.DEBUG = False
    _reload_urls()


@pytest.fixture
def browser(world) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    return client


def send(subject: str, body: str, *, date: str) -> None:
    EmailMessage(subject, body, None, ["witness@example.org"], headers={"Date": date}).send()


def test_debug_mail_is_listed_newest_first_and_each_message_opens_with_its_links(debug, browser):
    send("Please confirm your witness statement", "Open http://testserver/witness/abc123/ to confirm.",
         date="Tue, 01 Dec 2020 09:00:00 +0000")  # fmt: skip
    send("A unit is waiting for you", "Sign in to see it.", date="Tue, 01 Dec 2020 10:30:00 +0000")
    # As the app sends: Django's own Date header, and a long subject that is encoded and folded.
    latest = "Ready for internal verification: sample or release Sian Sampled – Deliver customer service"
    send_mail(latest, "Sign in to see it.", None, ["iv@example.org"])
    page = browser.get("/dev/mail/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<a class="navbar-brand"' in html  # the site's own layout
    assert html.count('<li class="list-group-item">') == 3
    assert f'/">{latest}</a>' in html
    assert html.index(latest) < html.index("A unit is waiting for you") < html.index("Please confirm your witness")
    assert "01/12/2020 10:30:00" in html  # UK time: GMT in December

    witness = [line for line in html.splitlines() if "Please confirm" in line][0]
    href = witness.split('href="')[1].split('"')[0]
    message = browser.get(href)
    assert message.status_code == 200
    body = message.content.decode()
    assert "witness@example.org" in body
    assert '<a href="http://testserver/witness/abc123/"' in body


def test_a_message_that_is_not_there_or_a_file_the_backend_did_not_write_is_404(debug, browser):
    (debug / "notes.txt").write_text("Subject: private\n\nnot mail")
    send("Hello", "Body", date="Tue, 01 Dec 2020 09:00:00 +0000")
    name = next(p.name for p in debug.iterdir() if p.name.endswith(".log"))
    assert browser.get(f"/dev/mail/{name}/0/").status_code == 200
    assert browser.get(f"/dev/mail/{name}/1/").status_code == 404
    assert browser.get("/dev/mail/notes.txt/0/").status_code == 404
    assert browser.get("/dev/mail/..%2Fnotes.txt/0/").status_code == 404


def test_with_no_mail_yet_the_page_says_so(debug, browser):
    assert "No mail has been sent yet." in browser.get("/dev/mail/").content.decode()


def test_signed_out_the_page_asks_for_sign_in(debug):
    response = Client().get("/dev/mail/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_with_debug_off_the_page_does_not_exist(browser):
    # As in production: the URLs are not routed at all.
    assert browser.get("/dev/mail/").status_code == 404


def test_the_views_refuse_even_if_routed_once_debug_is_off(debug, browser, settings):
    send("Hello", "Body", date="Tue, 01 Dec 2020 09:00:00 +0000")
    name = next(p.name for p in debug.iterdir())
    settings.DEBUG = False
    assert browser.get("/dev/mail/").status_code == 404
    assert browser.get(f"/dev/mail/{name}/0/").status_code == 404
