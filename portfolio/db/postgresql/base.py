"""PostgreSQL through Django's backend, with the connection's health check asked only after a quiet spell.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request that reuses a connection,
so that one the database has dropped (a restart, a failover, an idle timeout) is replaced rather than failing the
request: a round trip on every signed-in page. Here a connection that served a request without a database error
within the last DATABASE_HEALTH_CHECK_IDLE seconds is trusted without asking, as pgbouncer trusts a server
connection used within its `server_check_delay` (30 s by default); one idle for longer is asked first, as Django
does. Inside that window a database restarted since the worker's last request fails that worker's next request
once; the error marks the connection, and Django checks it and replaces it before the request after.
0 asks before every request, Django's own behaviour.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # time.monotonic() when a request that used this connection last ended without a database error.
        self.answered_at: float | None = None

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < settings.DATABASE_HEALTH_CHECK_IDLE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Django calls this as each request starts and ends. A connection that this request opened, checked or
        # queried (health_check_done) with no error since has just answered; its errors_occurred is Django's own
        # mark of a failure other than bad data, after which it is checked before reuse whatever the window.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.answered_at = time.monotonic()
        super().close_if_unusable_or_obsolete()
