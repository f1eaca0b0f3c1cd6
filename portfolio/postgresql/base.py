"""Django's PostgreSQL backend, with a health check that costs no round trip.

A connection kept between requests (CONN_MAX_AGE) is checked before a request first uses it; Django's check sends
`SELECT 1` and waits for the answer, a fifteenth of the CPU of a signed-in file download. A connection the server
has ended (a restart, an administrator's `pg_terminate_backend`, an idle timeout) is one whose socket has something
to read while the connection is idle: PostgreSQL sends its last error and closes, and the app, which listens for no
notifications, is sent nothing else between queries. So the socket is looked at instead, and only a connection in
any other state than idle and open (or one that errors have touched: Django checks those itself) is asked
`SELECT 1`. Something to read that is not a farewell costs a reconnect, nothing worse.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return super().close_if_health_check_failed()
        pgconn = self.connection.pgconn
        healthy = not _has_something_to_read(pgconn) if _idle_and_open(pgconn) else self.is_usable()
        if not healthy:
            self.close()
        self.health_check_done = True


def _idle_and_open(pgconn: pq.abc.PGconn) -> bool:
    return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE


def _has_something_to_read(pgconn: pq.abc.PGconn) -> bool:
    """Whether the socket of an idle connection has anything to read, or has been closed."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
