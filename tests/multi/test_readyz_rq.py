"""/readyz with tasks on RQ (TASKS_BACKEND=rq): the worker check asks Redis whether a live worker listens to the task
queue (RQ's own worker registry, kept alive by each worker's heartbeat) and whether a queued task has waited longer
than TASKS_DELAYED_MINUTES. Against the local Redis, database 12, which nothing else of the project uses; skipped,
saying so, without a Redis."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

REDIS_URL = os.environ.get("TEST_READYZ_REDIS_URL", "redis://127.0.0.1:6379/12")
# Fixed words only: nothing about where Redis is or what it said.
WORDS = {"ok", "failing", "delayed", "not checked", "not running"}


@pytest.fixture
def rq_tasks(settings, db):
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") or os.environ.get("REQUIRE_MULTI_INSTANCE_TESTS"):
            pytest.fail(f"No Redis at {REDIS_URL}: the RQ readiness checks cannot run")
        pytest.skip(f"No Redis at {REDIS_URL}: the RQ readiness checks need one")
    connection.flushdb()
    settings.REDIS_URL = REDIS_URL
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    settings.TASKS = {**settings.TASKS, "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.TASKS_DELAYED_MINUTES = 10
    yield connection
    connection.flushdb()
    connection.close()


def _worker(connection):
    import django_rq
    from rq import Worker

    return Worker([django_rq.get_queue("default")], connection=connection)


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"].values()) <= WORDS
    assert REDIS_URL not in response.content.decode() and "6379" not in response.content.decode()
    return response.status_code, body


def test_with_no_rq_worker_running_the_site_is_not_ready(client, rq_tasks):
    status, body = _ready(client)
    assert status == 503
    assert body == {
        "status": "failing",
        "checks": {"database": "ok", "storage": "ok", "cache": "ok", "worker": "not running"},
    }


def test_a_live_rq_worker_makes_it_ready_and_one_that_stops_or_dies_does_not(client, rq_tasks):
    worker = _worker(rq_tasks)
    worker.register_birth()
    assert _ready(client) == (
        200,
        {"status": "ok", "checks": dict.fromkeys(("database", "storage", "cache", "worker"), "ok")},
    )

    # Stopped cleanly: it takes its name out of Redis.
    worker.register_death()
    assert _ready(client)[1]["checks"]["worker"] == "not running"

    # Died (killed, machine lost): its key stops being renewed by the heartbeat and expires; its name may linger in
    # the queue's set of workers, which must not count.
    dead = _worker(rq_tasks)
    dead.register_birth()
    rq_tasks.delete(dead.key)
    status, body = _ready(client)
    assert status == 503 and body["checks"]["worker"] == "not running"


def test_a_task_waiting_in_the_rq_queue_too_long_is_delayed(client, rq_tasks):
    import django_rq

    from assessments.tasks import render_unit_record

    _worker(rq_tasks).register_birth()
    result = render_unit_record.enqueue(0)
    # Just queued: not delayed yet.
    assert _ready(client)[1]["checks"]["worker"] == "ok"

    job = django_rq.get_queue("default").fetch_job(result.id)
    job.enqueued_at = timezone.now() - timedelta(minutes=11)
    job.save()
    status, body = _ready(client)
    assert status == 503 and body["checks"]["worker"] == "delayed"


def test_an_unreachable_redis_is_failing_and_says_nothing_of_it(client, rq_tasks, settings):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    status, body = _ready(client)
    assert status == 503 and body["checks"]["worker"] == "failing"
