"""Sessions in the database, each read by SQL built once (see the package's docstring)."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session

from portfolio.sessions import session_read


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        return session_read(self)
