"""With REDIS_URL set, sessions are read from the shared cache (the database only on a miss): a signed-in request
makes no session query, and signing out ends the session for every process at once, as it did in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.test_shared_cache import REDIS_URL, _redis_or_skip

ROOT = Path(__file__).resolve().parent.parent


def _engine(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {"ENV_FILE": "", **env}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)"],
        env=environ | {"DJANGO_SETTINGS_MODULE": "portfolio.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_sessions_use_the_cache_only_when_it_is_shared():
    # A cache of each process's own would keep a session signed out in one worker alive in the others.
    assert _engine() == "portfolio.sessions.db"
    assert _engine(REDIS_URL=REDIS_URL) == "portfolio.sessions.cached_db"


@pytest.fixture
def cached_sessions(settings):
    _redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "portfolio.sessions.cached_db"
    yield
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def test_a_signed_in_page_reads_its_session_from_the_cache_and_sign_out_ends_it_everywhere(world, cached_sessions):
    browser = Client()
    browser.force_login(world.learner)
    url = reverse("portfolio_detail", args=[world.portfolio.pk])
    assert browser.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]
    # The same cookie in another process (a new client, as another worker would see it) is the same session ...
    key = browser.cookies["sessionid"].value
    other = Client()
    other.cookies["sessionid"] = key
    assert other.get(url).status_code == 200
    # ... until the learner signs out in the first: from then on the other is not let in with it either.
    assert browser.post(reverse("logout")).status_code == 302
    assert other.cookies["sessionid"].value == key
    response = other.get(url)
    assert response.status_code == 302 and reverse("login") in response.url
