"""The browser the multi-instance journey drives is the session's one Chromium (tests/browser/session.py, registered
by the root conftest): skipped without it, unless REQUIRE_BROWSER_TESTS is set."""
