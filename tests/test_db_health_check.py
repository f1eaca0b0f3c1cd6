"""The PostgreSQL connection's health check, asked only after a quiet spell (portfolio/db/postgresql/base.py).

Each test drives a connection of its own as the web server does: Django's `close_old_connections` as a request
starts and ends, queries in between, and the server dropping the connection (pg_terminate_backend, as a restart or
an idle timeout would) between two requests.
"""

from __future__ import annotations

import time

import pytest
from django.db import DatabaseError, connection, connections
from django.test import override_settings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the health check is PostgreSQL's backend's"),
]


@pytest.fixture
def worker():
    """A database connection of its own, like a web worker's, closed at the end."""
    own = connections.create_connection("default")
    yield own
    own.close()


def request(worker) -> int:
    """One request that reads from the database: the id of the server process that answered it."""
    worker.close_if_unusable_or_obsolete()  # as Django does when a request starts
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        worker.close_if_unusable_or_obsolete()  # and when it ends


def dropped_by_the_server(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # the server process ends shortly after it is told to
            # A transaction sees one snapshot of the statistics views unless told to take another.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"server process {pid} did not end")


def pings(worker, monkeypatch) -> list[int]:
    """Counts the health check's `SELECT 1`s, which still run as Django sends them."""
    asked = []
    real = worker.is_usable

    def is_usable():
        asked.append(1)
        return real()

    monkeypatch.setattr(worker, "is_usable", is_usable)
    return asked


@override_settings(DATABASE_HEALTH_CHECK_IDLE=30)
def test_a_connection_that_just_answered_is_not_asked_again(worker, monkeypatch):
    asked = pings(worker, monkeypatch)
    first = request(worker)
    assert [request(worker) for _ in range(3)] == [first] * 3
    assert asked == []


@override_settings(DATABASE_HEALTH_CHECK_IDLE=30)
def test_an_idle_connection_dropped_by_the_server_is_replaced_without_an_error(worker, monkeypatch):
    first = request(worker)
    worker.answered_at -= 31  # the worker then serves nothing for 31 seconds
    dropped_by_the_server(first)
    asked = pings(worker, monkeypatch)
    second = request(worker)
    assert second != first
    assert asked == [1]


@override_settings(DATABASE_HEALTH_CHECK_IDLE=30)
def test_within_the_window_a_dropped_connection_fails_one_request_and_is_replaced_before_the_next(worker):
    first = request(worker)
    dropped_by_the_server(first)
    with pytest.raises(DatabaseError):
        request(worker)
    assert worker.connection is None  # found unusable as that request ended, and closed
    assert request(worker) not in (first, None)


@override_settings(DATABASE_HEALTH_CHECK_IDLE=0)
def test_a_window_of_zero_asks_before_every_request_as_django_does(worker, monkeypatch):
    first = request(worker)
    dropped_by_the_server(first)
    asked = pings(worker, monkeypatch)
    second = request(worker)
    assert second != first
    assert request(worker) == second
    assert asked == [1, 1]


@override_settings(DATABASE_HEALTH_CHECK_IDLE=30)
def test_a_request_that_did_not_use_the_connection_does_not_extend_its_window(worker, monkeypatch):
    request(worker)
    answered = worker.answered_at
    worker.close_if_unusable_or_obsolete()  # a request that read nothing from the database, start and end
    worker.close_if_unusable_or_obsolete()
    assert worker.answered_at == answered
