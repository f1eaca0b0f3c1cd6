"""The sign-in backend: Django's, with the signed-in user read with their roles by SQL written once per process.

Every signed-in request reads its user by the id in the session, then the roles they hold (people/roles.py);
Django's backend builds the user's query each time, which costs more CPU than running it. Here one query, its SQL
written once, reads both. The user is still read from the database on every request, so a deactivated account or a
changed password (the session's hash) stops working at once, and so a role taken away.
"""

from __future__ import annotations

from django.contrib.auth import backends

from people.models import User
from people.roles import user_with_roles


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
