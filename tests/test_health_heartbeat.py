"""/readyz and the database queue's workers: each worker started by `manage.py tasks_worker` says it is alive when it
starts and every HEARTBEAT_SECONDS after (portfolio/heartbeat.py), so a worker that has stopped or died is reported as
"not running" even with nothing queued, as RQ's are; a site whose workers never said so is judged by its queue."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

from django.core.management import call_command
from django.utils import timezone

from portfolio import heartbeat
from portfolio.models import WorkerHeartbeat


def _worker_check(client) -> tuple[int, str]:
    response = client.get("/readyz")
    return response.status_code, response.json()["checks"]["worker"]


def _run_tasks_worker() -> None:
    # As tests/worker.py: the worker's own connection handling would drop the test's transaction.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("tasks_worker", "--burst", verbosity=0)


def test_a_worker_that_stops_is_reported_not_running_until_one_starts_again(client, db):
    # Never heard from any worker: the queue alone tells, and it is empty.
    assert _worker_check(client) == (200, "ok")
    _run_tasks_worker()
    row = WorkerHeartbeat.objects.get()
    assert row.seen_at > timezone.now() - timedelta(seconds=5) and row.pid > 0
    assert _worker_check(client) == (200, "ok")
    # Quiet for longer than four beats: stopped or died, though nothing waits in the queue.
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - heartbeat.STALE_AFTER - timedelta(seconds=1))
    assert _worker_check(client) == (503, "not running")
    _run_tasks_worker()
    assert _worker_check(client) == (200, "ok")
    assert WorkerHeartbeat.objects.count() == 2


def test_a_worker_long_gone_is_forgotten_by_the_next_one_to_start(db):
    WorkerHeartbeat.objects.create(
        worker_id="gone", host="old-box", pid=1, started_at=timezone.now(), seen_at=timezone.now() - timedelta(days=2)
    )
    _run_tasks_worker()
    assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()
    assert WorkerHeartbeat.objects.count() == 1


def test_the_rq_backend_ignores_the_database_heartbeats(client, db, monkeypatch):
    from portfolio import health

    WorkerHeartbeat.objects.create(
        worker_id="w", host="h", pid=1, started_at=timezone.now(), seen_at=timezone.now() - timedelta(days=1)
    )
    monkeypatch.setattr(health, "_rq_backend", lambda: object())
    monkeypatch.setattr(health, "_rq_worker_listening", lambda backend: True)
    monkeypatch.setattr(health, "_rq_delayed", lambda backend, cutoff: 0)
    assert _worker_check(client) == (200, "ok")


def test_the_heartbeat_beats_at_start_then_on_its_own_until_the_worker_ends(monkeypatch):
    beats = []
    three = threading.Event()

    def counting(**kwargs):
        beats.append(kwargs["worker_id"])
        if len(beats) >= 3:
            three.set()

    monkeypatch.setattr(heartbeat, "beat", counting)
    monkeypatch.setattr(heartbeat.WorkerHeartbeat.objects, "filter", mock.MagicMock())
    monkeypatch.setattr(heartbeat, "connections", mock.MagicMock())
    with heartbeat.Heartbeat("w1", every=0.01) as running:
        assert beats[:1] == ["w1"]  # at once, before the worker takes its first task
        assert three.wait(5)
    assert not running._thread.is_alive()
    ended = len(beats)
    threading.Event().wait(0.05)
    assert len(beats) == ended


def test_a_beat_that_fails_is_logged_and_the_next_one_tried(monkeypatch):
    calls = []
    again = threading.Event()

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database away")
        if len(calls) >= 3:
            again.set()

    monkeypatch.setattr(heartbeat, "beat", flaky)
    monkeypatch.setattr(heartbeat.WorkerHeartbeat.objects, "filter", mock.MagicMock())
    monkeypatch.setattr(heartbeat, "connections", mock.MagicMock())
    warned = []
    monkeypatch.setattr(heartbeat.logger, "warning", lambda *args, **kwargs: warned.append(args[0]))
    with heartbeat.Heartbeat("w2", every=0.01):
        assert again.wait(5)
    assert warned[:1] == ["Worker heartbeat not recorded"]
