"""Logging: one line per request and per task run (JSON with LOG_FORMAT=json), each with its request id; people by
user id only; secrets in URLs hidden; errors to stderr; server errors mailed to ADMINS from the environment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from portfolio.logging_config import JsonFormatter, RequestIdFilter, admins_from_env
from tests.worker import run_worker

ROOT = Path(__file__).resolve().parent.parent


def _json_lines(monkeypatch, name: str) -> list[dict]:
    """What the named logger writes, as the JSON lines LOG_FORMAT=json gives, whatever pytest's log capture does."""
    lines: list[dict] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = lambda record: lines.append(json.loads(JsonFormatter().format(record)))
    logger = logging.getLogger(name)
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    return lines


def test_each_request_has_one_line_with_its_id_the_user_id_status_and_duration(client, world, monkeypatch):
    lines = _json_lines(monkeypatch, "portfolio.requests")
    client.force_login(world.learner)
    response = client.get(reverse("portfolio_detail", args=[world.portfolio.pk]))
    assert len(lines) == 1
    line = lines[0]
    assert {key: line[key] for key in ("level", "method", "path", "status", "user_id")} == {
        "level": "INFO",
        "method": "GET",
        "path": f"/portfolios/{world.portfolio.pk}/",
        "status": 200,
        "user_id": world.learner.pk,
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    # A new id for each request, sent back so the proxy's log can be matched; no email or name anywhere.
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) == 32
    assert world.learner.email not in json.dumps(line) and "Lena" not in json.dumps(line)


def test_the_proxys_request_id_is_kept_and_a_forged_one_replaced(client, db, monkeypatch):
    lines = _json_lines(monkeypatch, "portfolio.requests")
    assert client.get("/verify/", HTTP_X_REQUEST_ID="lb-7f3a.42")["X-Request-ID"] == "lb-7f3a.42"
    forged = client.get("/verify/", HTTP_X_REQUEST_ID='x" injected\nline')["X-Request-ID"]
    assert forged != 'x" injected\nline' and len(forged) == 32
    assert [line["request_id"] for line in lines] == ["lb-7f3a.42", forged]
    assert [line["user_id"] for line in lines] == [None, None]


def test_health_probes_are_not_logged_one_by_one(client, db, monkeypatch):
    lines = _json_lines(monkeypatch, "portfolio.requests")
    client.get("/healthz")
    client.get("/readyz")
    client.get("/verify/")
    assert [line["path"] for line in lines] == ["/verify/"]


def test_a_secret_in_the_url_is_hidden_from_the_logged_path(client, world, monkeypatch):
    lines = _json_lines(monkeypatch, "portfolio.requests")
    client.get(reverse("password_reset_confirm", args=["MQ", "set-1a2b3c-secret"]))
    client.get(reverse("record_verify_code", args=["7K2M9QXD4HTA"]))
    paths = [line["path"] for line in lines]
    assert paths == ["/accounts/password/reset/[hidden]/[hidden]/", "/verify/[hidden]/"]


def test_each_task_run_has_one_line_with_its_name_status_and_duration(db, monkeypatch):
    from assessments.tasks import render_unit_record

    lines = _json_lines(monkeypatch, "portfolio.tasks")
    result = render_unit_record.enqueue(0)
    run_worker()
    assert len(lines) == 1
    line = lines[0]
    assert (line["task"], line["status"], line["task_id"]) == (
        "assessments.tasks.render_unit_record",
        "SUCCESSFUL",
        str(result.id),
    )
    assert line["request_id"] == f"task-{result.id}" and line["duration_ms"] >= 0


def test_a_failed_task_has_one_error_line_with_its_traceback_and_is_mailed_to_admins(db, monkeypatch, settings):
    from notifications.tasks import send_email

    settings.ADMINS = [("College IT", "it@college.example")]
    logger = logging.getLogger("portfolio.tasks")
    # The mail handler LOGGING gives the logger, kept beside the capture that stands in for stdout and stderr.
    mailers = [handler for handler in logger.handlers if isinstance(handler, AdminEmailHandler)]
    assert len(mailers) == 1
    lines = _json_lines(monkeypatch, "portfolio.tasks")
    monkeypatch.setattr(logger, "handlers", [*logger.handlers, *mailers])
    result = send_email.enqueue("not a sealed email")
    run_worker()
    assert [(line["level"], line["status"], line["task_id"]) for line in lines] == [("ERROR", "FAILED", str(result.id))]
    assert "ValueError: A queued email could not be opened" in lines[0]["exception"]
    assert [message.to for message in mail.outbox] == [["it@college.example"]]
    assert "notifications.tasks.send_email FAILED" in mail.outbox[0].subject
    assert "A queued email could not be opened" in mail.outbox[0].body
    # Without each frame's variables, which hold the task's arguments (an email's body, a password link).
    assert "not a sealed email" not in mail.outbox[0].body and "Local Vars" not in mail.outbox[0].body


def test_django_tasks_own_lines_about_each_task_are_left_out():
    from portfolio.logging_config import NotTaskProgressFilter

    keep = NotTaskProgressFilter().filter

    def record(name, level, **extra):
        made = logging.LogRecord(name, level, __file__, 1, "m", None, None)
        made.__dict__.update(extra)
        return made

    assert not keep(record("django_tasks", logging.ERROR))
    assert not keep(record("rq.worker", logging.INFO))
    assert not keep(record("rq.worker", logging.ERROR, job_id="abc"))
    assert keep(record("rq.worker", logging.WARNING))
    assert keep(record("django_tasks_db", logging.INFO))


def test_a_server_error_is_mailed_to_admins(settings):
    settings.ADMINS = [("College IT", "it@college.example")]
    logging.getLogger("django.request").error("Internal Server Error: /boom/", extra={"status_code": 500})
    assert [message.to for message in mail.outbox] == [["it@college.example"]]


def test_admins_are_read_from_the_environment():
    assert admins_from_env("Ada Admin <ada@college.example>, it@college.example") == [
        ("Ada Admin", "ada@college.example"),
        ("it@college.example", "it@college.example"),
    ]
    assert admins_from_env("") == []
    with pytest.raises(ImproperlyConfigured):
        admins_from_env("Ada Admin")


def _manage(code: str, command: str = "shell", **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "ADMINS"))}
    clean.update({"ENV_FILE": "", "DEBUG": "true", **env})
    return subprocess.run(
        [sys.executable, "manage.py", command, *(["-c", code] if command == "shell" else [])],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


WRITE = "import logging; log = logging.getLogger('portfolio.check'); log.info('all well'); log.error('it broke')"


def test_with_log_format_json_lines_are_json_and_errors_go_to_stderr():
    result = _manage(WRITE, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    err = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(line["level"], line["message"]) for line in out] == [("INFO", "all well")]
    assert [(line["level"], line["message"]) for line in err] == [("ERROR", "it broke")]


def test_otherwise_lines_are_plain_text():
    result = _manage(WRITE)
    assert result.returncode == 0, result.stderr
    assert "INFO portfolio.check: all well" in result.stdout and "{" not in result.stdout
    assert "ERROR portfolio.check: it broke" in result.stderr and "all well" not in result.stderr


def test_an_unknown_log_format_or_bad_admins_stops_start_up():
    assert "LOG_FORMAT='xml' is neither json nor plain" in _manage("", "check", LOG_FORMAT="xml").stderr
    assert "ADMINS='nobody' is not a list of email addresses" in _manage("", "check", ADMINS="nobody").stderr
    result = _manage("from django.conf import settings; print(settings.ADMINS)", ADMINS="IT <it@college.example>")
    assert "[('IT', 'it@college.example')]" in result.stdout
