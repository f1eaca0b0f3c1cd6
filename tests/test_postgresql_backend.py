"""The PostgreSQL backend's health check: a kept connection is looked at, not asked `SELECT 1`, before a request
first uses it, and one the server has ended is still replaced before that first query."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connections

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL's backend"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def connection():
    """The wrapper itself, not the proxy in front of it, as the test's thread has it now."""
    return connections["default"]


def end_from_elsewhere(pid: int) -> None:
    """What a server restart or an administrator does to a worker's idle connection."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def wait_for_the_farewell(sock: int) -> None:
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + 5
    while not poller.poll(50):
        assert time.monotonic() < deadline, "the server did not end the connection"


def backend_pid() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_project_runs_on_its_own_postgresql_backend(connection):
    from portfolio.postgresql.base import DatabaseWrapper

    assert isinstance(connection, DatabaseWrapper)
    assert connection.health_check_enabled


def test_a_healthy_kept_connection_is_kept_without_a_query(monkeypatch, connection):
    pid = backend_pid()
    raw = connection.connection
    monkeypatch.setattr(type(connection), "is_usable", lambda self: pytest.fail("asked the server SELECT 1"))
    close_old_connections()  # what the start of each request does
    assert connection.health_check_done is False
    assert backend_pid() == pid
    assert connection.connection is raw


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it(connection):
    pid = backend_pid()
    sock = connection.connection.pgconn.socket
    end_from_elsewhere(pid)
    wait_for_the_farewell(sock)
    close_old_connections()
    assert backend_pid() != pid


def test_a_signed_in_page_after_a_database_restart_is_answered_not_an_error(client, world, connection):
    client.force_login(world.learner)
    assert client.get("/").status_code == 200
    sock = connection.connection.pgconn.socket
    end_from_elsewhere(backend_pid())
    wait_for_the_farewell(sock)
    close_old_connections()
    assert client.get("/").status_code == 200


def test_a_connection_left_inside_a_transaction_is_asked_as_django_asks(monkeypatch, connection):
    asked = []
    real = type(connection).is_usable
    monkeypatch.setattr(type(connection), "is_usable", lambda self: asked.append(1) or real(self))
    backend_pid()
    connection.connection.execute("BEGIN")  # not idle: something went wrong in the last request
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert asked == [1]
    connection.connection.execute("ROLLBACK") if connection.connection is not None else None
