"""/healthz and /readyz: open to load balancers and monitoring without signing in, by any host name and over plain
HTTP, saying only fixed words."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import InMemoryStorage
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portfolio import health
from tests.worker import run_worker

# A load balancer probes by the machine's address, over HTTP, with none of the site's host names.
PROBE = {"HTTP_HOST": "10.0.0.7:8000"}


@pytest.fixture
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portfolio.example.org"]


def test_liveness_answers_without_the_database(client, production_like):
    # No database fixture: any query would fail the test.
    response = client.get("/healthz", **PROBE)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    # Any other page refuses that host name (and would redirect to HTTPS).
    assert client.get("/verify/", **PROBE).status_code == 400


def test_readiness_checks_database_storage_cache_and_worker(client, db, production_like):
    response = client.get("/readyz", **PROBE)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "cache": "ok", "worker": "ok"},
    }


def test_the_named_routes_answer_the_same_for_a_signed_in_person(client, world):
    client.force_login(world.learner)
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
    assert client.get(reverse("readyz")).json()["status"] == "ok"
    assert client.post(reverse("readyz")).status_code == 405


def test_the_storage_probe_is_written_and_removed(client, db, monkeypatch):
    saved = []
    save = InMemoryStorage.save
    monkeypatch.setattr(InMemoryStorage, "save", lambda *args: saved.append(save(*args)) or saved[-1])
    assert client.get("/readyz").status_code == 200
    assert len(saved) == 1 and saved[0].startswith("health/")
    assert not health.default_storage.exists(saved[0])


SECRET = "db-primary.internal.college.ac.uk:5432 password authentication failed for user portfolio_rw"


def _capture(monkeypatch, name: str) -> list[str]:
    """The text (with tracebacks) of what the named logger writes, however pytest's own log capture is set."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(logging.Formatter().format(record))
    monkeypatch.setattr(logging.getLogger(name), "handlers", [handler])
    return lines


def _refuse(*args, **kwargs):
    raise OperationalError(SECRET)


@pytest.mark.parametrize(
    ("failing", "patch"),
    [
        ("database", lambda: mock.patch.object(connection, "cursor", _refuse)),
        ("storage", lambda: mock.patch.object(InMemoryStorage, "save", _refuse)),
    ],
)
def test_a_failing_check_gives_503_naming_only_the_check(client, db, monkeypatch, settings, failing, patch):
    settings.ADMINS = [("College IT", "it@college.example")]
    logged = _capture(monkeypatch, "portfolio.health")
    with patch():
        response = client.get("/readyz", **PROBE)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["checks"][failing] == "failing"
    assert "internal" not in response.content.decode() and "password" not in response.content.decode()
    # The reason goes to the log, for whoever runs the site, but no email for each probe while it lasts.
    assert SECRET in "".join(logged)
    assert mail.outbox == []


def test_a_cache_that_forgets_is_not_ready(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing"


def test_a_task_no_worker_picks_up_in_time_is_reported_until_a_worker_runs_it(client, db, settings):
    from assessments.tasks import render_unit_record

    settings.TASKS_DELAYED_MINUTES = 10
    result = render_unit_record.enqueue(0)
    # Just queued: not delayed yet.
    assert client.get("/readyz").json()["checks"]["worker"] == "ok"
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - timedelta(minutes=11))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "delayed"
    run_worker()
    assert client.get("/readyz").status_code == 200


def test_a_task_queued_for_later_is_not_delayed_until_its_time_has_passed(client, db, settings):
    from assessments.tasks import verify_records_regularly

    settings.TASKS_DELAYED_MINUTES = 10
    later = verify_records_regularly.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    DBTaskResult.objects.filter(pk=later.id).update(enqueued_at=timezone.now() - timedelta(days=1))
    assert client.get("/readyz").json()["checks"]["worker"] == "ok"
    DBTaskResult.objects.filter(pk=later.id).update(run_after=timezone.now() - timedelta(minutes=11))
    assert client.get("/readyz").json()["checks"]["worker"] == "delayed"


def test_with_another_task_backend_the_worker_is_not_checked(client, db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == "not checked"
