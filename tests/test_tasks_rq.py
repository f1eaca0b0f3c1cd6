"""TASKS_BACKEND=rq: tasks queue in Redis for RQ workers (django-tasks' RQ backend), set by environment variables
alone; checked end to end against the local Redis, an email queued by one process and sent by `manage.py rqworker`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
# Database 14 of the local Redis, which nothing else of the project uses.
REDIS_URL = os.environ.get("TEST_RQ_REDIS_URL", "redis://127.0.0.1:6379/14")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "REDIS_URL", "DATABASE_URL"}}
    clean.update(ENV_FILE="", DEBUG="true", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_tasks_backend_rq_needs_redis_url():
    result = _manage("check", TASKS_BACKEND="rq")
    assert result.returncode != 0
    assert "TASKS_BACKEND=rq needs REDIS_URL" in result.stderr


def test_tasks_backend_rq_selects_the_rq_backend_on_that_redis_and_passes_its_checks():
    script = (
        "from django.conf import settings; import json; print(json.dumps([settings.TASKS['default']['BACKEND'], "
        "'django_rq' in settings.INSTALLED_APPS, settings.RQ_QUEUES['default']['URL'], settings.RQ['JOB_CLASS']]))"
    )
    result = _manage("shell", "-c", script, TASKS_BACKEND="rq", REDIS_URL="redis://queue.internal:6379/2")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "django_tasks_rq.RQBackend",
        True,
        "redis://queue.internal:6379/2",
        "django_tasks_rq.Job",
    ]
    check = _manage("check", TASKS_BACKEND="rq", REDIS_URL="redis://queue.internal:6379/2")
    assert check.returncode == 0, check.stderr


def test_by_default_tasks_queue_in_the_database():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django_tasks_db.DatabaseBackend"


def test_an_email_queued_in_redis_is_sent_by_the_rq_worker(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    mail = tmp_path / "mail"
    env = {
        "TASKS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail),
    }
    queue = (
        "from notifications.services import email_send; "
        "email_send(subject='Your set-password link', body='Open https://example.org/set/abc/', to=['a@example.org'])"
    )
    queued = _manage("shell", "-c", queue, **env)
    assert queued.returncode == 0, queued.stderr
    # Queued, not sent: the process that asked has nothing to do with SMTP.
    assert not mail.exists() or not list(mail.iterdir())

    worked = _manage("rqworker", "default", "--burst", **env)
    assert worked.returncode == 0, worked.stderr
    sent = [path.read_text() for path in mail.iterdir()]
    assert len(sent) == 1
    assert "Subject: Your set-password link" in sent[0] and "https://example.org/set/abc/" in sent[0]
