"""Sessions in the shared cache, the database on a miss read by SQL built once (see the package's docstring)."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session

from portfolio.sessions import session_read


class SessionStore(cached_db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        return session_read(self)
