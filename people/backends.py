"""The sign-in backend: Django's, with the signed-in user read by SQL built once per process.

Every signed-in request reads its user by the id in the session; Django's backend builds that query each time,
which costs more CPU than running it (portfolio/sql_once.py). The user is still read from the database on every
request, so a deactivated account or a changed password (the session's hash) stops working at once.
"""

from __future__ import annotations

from django.contrib.auth import backends

from people.models import User
from portfolio.sql_once import PreparedGet

_BY_ID = PreparedGet(lambda: User._default_manager.all())


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        user = _BY_ID.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
