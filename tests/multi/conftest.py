"""The browser the multi-instance journey drives: the same system Chromium as tests/browser (skipped without it,
unless REQUIRE_BROWSER_TESTS is set)."""

from tests.browser.conftest import browser  # noqa: F401 - the fixture, shared
