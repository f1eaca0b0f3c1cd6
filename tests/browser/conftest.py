"""Real-browser tests: Playwright driving the system's Chromium.

Where no Chromium can be found they skip and say so, unless
REQUIRE_BROWSER_TESTS is set (CI sets it), when they fail instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM
# calls are still synchronous, so Django's async-safety guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    required = os.environ.get("REQUIRE_BROWSER_TESTS", "").lower() in {"1", "true", "yes"}
    if path is None:
        message = "No Chromium found (install Debian's chromium, or set CHROMIUM_PATH): browser tests skipped."
        if required:
            pytest.fail(message.replace("skipped", "required by REQUIRE_BROWSER_TESTS"))
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("The playwright package is not installed.")
        pytest.skip("The playwright package is not installed: browser tests skipped.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    # Any CSP violation or script error fails the test: templates must never
    # come to depend on inline script or style.
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def axe_page(browser, live_server):
    # axe-core is injected as a script, which the CSP would block: this page bypasses it.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def open_as(browser, live_server):
    """Sign in as each person in their own browser context: open_as(email) -> page."""
    contexts = []

    def open_as(email: str):
        context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.problems = problems
        from tests.browser.test_sign_in import sign_in

        sign_in(page, email)
        return page

    yield open_as
    for context in contexts:
        context.close()
