"""With REDIS_URL set the cache is Redis, shared by every web process: the verification page's limit on unknown record
codes holds across them, instead of each process counting on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from django.db import connections
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
# Database 15 of the local Redis, which nothing else of the project uses.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        # CI starts Redis, so there a missing server is a failure, not a reason to skip.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")


@pytest.fixture
def redis_cache(settings):
    _redis_or_skip()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Each run counts from nothing, whatever an earlier run left.
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    yield settings.CACHES["default"]
    # Only this test's keys: the cache's clear() would empty the whole Redis database.
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        server.delete(key)


def _misses_from_another_process(code: str, count: int) -> list[int]:
    """Requests from another thread: Django gives each thread its own cache connection, as it would another worker."""
    statuses: list[int] = []

    def run() -> None:
        client = Client()
        statuses.extend(client.get(reverse("record_verify_code", args=[code])).status_code for _ in range(count))
        caches["default"].close()
        connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return statuses


def test_the_verification_pages_limit_holds_across_cache_connections(client, db, settings, redis_cache):
    settings.VERIFY_MISSES_PER_HOUR = 3
    unknown = reverse("record_verify_code", args=["AAAABBBBCCCC"])
    assert [client.get(unknown).status_code for _ in range(2)] == [404, 404]
    # The count is in Redis itself, where any process on any machine reads it.
    server = redis.Redis.from_url(REDIS_URL)
    counters = server.keys(f"{redis_cache['KEY_PREFIX']}:*verify-misses:*")
    assert [int(server.get(key)) for key in counters] == [2]
    # The other worker has the third miss, then is refused: it saw the first two.
    assert _misses_from_another_process("AAAABBBBCCCC", 2) == [404, 429]
    # And this one is refused too: it saw the other's.
    assert client.get(unknown).status_code == 429
    assert client.get(unknown)["Retry-After"] == "3600"


def _cache_backend(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    clean.update({"ENV_FILE": "", "DEBUG": "true", **env})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.CACHES)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_redis_url_selects_the_shared_cache_and_without_it_each_process_has_its_own():
    shared = _cache_backend(REDIS_URL="redis://cache.example.org:6379/2")
    assert "django.core.cache.backends.redis.RedisCache" in shared
    assert "redis://cache.example.org:6379/2" in shared
    assert "django.core.cache.backends.locmem.LocMemCache" in _cache_backend()
