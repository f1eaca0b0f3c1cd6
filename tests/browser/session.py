"""The one Chromium every browser test drives, tests/browser and tests/multi alike: a session fixture registered by
the root conftest, since Playwright's sync API cannot run twice at once in one process (a second session fixture
defined beside other tests would find the first one's event loop running)."""

from __future__ import annotations

import os
import shutil

import pytest

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
