"""One JSON line per task run on either task backend (the database's db_worker is tested in test_logging.py): with
TASKS_BACKEND=rq the worker started by `manage.py tasks_worker` writes, for each job, one line with its id, name,
status and duration (a failure as an error, on stderr), and nothing of RQ's own per-job lines, which carry the job's
arguments. Run against the local Redis, database 10."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_LOGGING_REDIS_URL", "redis://127.0.0.1:6379/10")
SECRET_ARGUMENT = "not-a-sealed-email-7f3a"


@pytest.fixture
def redis_db():
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    yield connection
    connection.flushdb()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "TASKS_", "REDIS_", "DATABASE_"))}
    clean.update(ENV_FILE="", DEBUG="true", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def _json(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    # Every line is JSON: a log collector reads nothing else.
    return [json.loads(line) for line in lines]


def test_each_rq_job_has_one_json_line_with_its_id_name_status_and_duration(redis_db, tmp_path):
    env = {
        "TASKS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "LOG_FORMAT": "json",
    }
    queue = (
        "import json; from notifications.services import _sealer; from notifications.tasks import send_email; "
        "sealed = _sealer().encrypt(json.dumps({'subject': 'Hello', 'body': 'Hi', 'to': ['a@example.org']}).encode())"
        ".decode(); "
        f"ok = send_email.enqueue(sealed); bad = send_email.enqueue({SECRET_ARGUMENT!r}); "
        "print(json.dumps([ok.id, bad.id]))"
    )
    queued = _manage("shell", "-c", queue, env=env)
    assert queued.returncode == 0, queued.stderr
    ok_id, bad_id = json.loads(queued.stdout.strip().splitlines()[-1])

    worked = _manage("tasks_worker", "--burst", env=env)
    assert worked.returncode == 0, worked.stderr
    out, err = _json(worked.stdout), _json(worked.stderr)
    task_lines = [line for line in out + err if line["logger"] == "portfolio.tasks" and "task_id" in line]
    assert {line["task_id"]: line["status"] for line in task_lines} == {ok_id: "SUCCESSFUL", bad_id: "FAILED"}
    assert len(task_lines) == 2
    for line in task_lines:
        assert line["task"] == "notifications.tasks.send_email"
        assert line["request_id"] == f"task-{line['task_id']}"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    # The failure is an error, so it goes to stderr, with its traceback in the same line; the success is not.
    failed = [line for line in err if line["logger"] == "portfolio.tasks"]
    assert [line["task_id"] for line in failed] == [bad_id]
    assert "ValueError: A queued email could not be opened" in failed[0]["exception"]
    # Nobody else's line about each task: django_tasks' start, end and traceback, RQ's progress (which names each job
    # by its call, arguments and all) and RQ's copy of the traceback.
    assert SECRET_ARGUMENT not in worked.stdout + worked.stderr
    assert not [line for line in out + err if line["logger"] == "django_tasks" or line["logger"].startswith("rq.")]
    # The worker says which queue it took its work from.
    starting = [line for line in out if line["message"].startswith("Task worker starting")]
    assert [(line["backend"], line["queues"]) for line in starting] == [("rq", ["default"])]
    assert len(list((tmp_path / "mail").iterdir())) == 1
