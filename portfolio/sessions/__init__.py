"""Session stores that read the session row by SQL the ORM builds once per process (portfolio/sql_once.py).

Every signed-in request reads its session; Django's stores build `Session.objects.get(session_key=...,
expire_date__gt=now)` each time, and building that query costs more CPU than running it. Here the row is read by
its key and its expiry checked in Python: the same answer (an expired or missing session is no session, and the
store forgets its key so a new one is made), in the same one query. `SESSION_ENGINE` names `portfolio.sessions.db`,
or `portfolio.sessions.cached_db` with a shared cache (settings.py says why only then).
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.utils import timezone

from portfolio.sql_once import PreparedGet

_BY_KEY = PreparedGet(lambda: Session.objects.all())


def session_read(store: SessionBase) -> Session | None:
    """The store's unexpired session row, or None (and the store's key dropped), as Django's own stores answer."""
    session = _BY_KEY.get(store.session_key) if store.session_key else None
    if session is None or session.expire_date <= timezone.now():
        store._session_key = None
        return None
    return session
