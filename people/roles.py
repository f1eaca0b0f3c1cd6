"""The role a signed-in person is acting in right now.

A person may be an assessor at one centre, an IV at another and an EV for an
awarding body. They act in one role at a time, chosen from a switcher; the
choice lives in the session and is checked against the database on every
request, so a role taken away by an admin stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router
from django.http import HttpRequest

from people.models import Centre, ExternalVerifier, Membership, Role, User

SESSION_KEY = "active_role"


@dataclass(frozen=True)
class ActiveRole:
    key: str
    role: Role
    centre: Centre | None = None
    membership: Membership | None = None
    external_verifier: ExternalVerifier | None = None

    @property
    def label(self) -> str:
        if self.external_verifier is not None:
            return f"External verifier for {self.external_verifier.awarding_body.name}"
        assert self.centre is not None
        return f"{self.role.label} at {self.centre.name}"

    @property
    def in_sentence(self) -> str:
        """The label for the middle of a sentence: "assessor at Northgate Training"."""
        return self.label[0].lower() + self.label[1:]

    @property
    def is_qualifying(self) -> bool:
        return self.membership is not None and self.membership.is_qualifying


def roles_for(user: User) -> list[ActiveRole]:
    """Every active role the user holds, centre roles first, in a stable order."""
    return _read(user.pk)[1]


def user_with_roles(user_id: int) -> User | None:
    """The user by id, with every active role they hold read in the same query (`roles_read_with`).

    Every signed-in request reads its user (people/backends.py) and then their roles (roles are checked against
    the database on each request): one query rather than two, a tenth of a signed-in file download's CPU."""
    user, roles = _read(user_id)
    if user is not None:
        user._roles_read_with_it = roles  # type: ignore[attr-defined]
    return user


def roles_read_with(user: User) -> list[ActiveRole] | None:
    """The roles `user_with_roles` read with this user in this request, if it did."""
    return getattr(user, "_roles_read_with_it", None)


def _read(user_id: int) -> tuple[User | None, list[ActiveRole]]:
    """The user's row and their roles' rows, in one query whose SQL is written once per database (`_roles_query`)
    rather than built by the ORM on each request: the memberships with their centres, the EV roles with their
    awarding bodies, then the user."""
    alias = router.db_for_read(Membership)
    connection = connections[alias]
    sql, parts = _roles_query(connection.vendor, alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, True, True, user_id, True, user_id])
        rows = cursor.fetchall()
    user, roles = None, []
    for row in rows:
        if row[0] == 0:
            membership, centre = (_instance(alias, connection, part, row) for part in parts[:2])
            membership.centre = centre
            roles.append(
                ActiveRole(key=f"m{membership.pk}", role=Role(membership.role), centre=centre, membership=membership)
            )
        elif row[0] == 1:
            ev, body = (_instance(alias, connection, part, row) for part in parts[2:4])
            ev.awarding_body = body
            roles.append(ActiveRole(key=f"ev{ev.pk}", role=Role.EV, external_verifier=ev))
        else:
            user = _instance(alias, connection, parts[4], row)
    return user, roles


def _instance(alias: str, connection, part: tuple, row: tuple):
    """One model's instance from its columns of a row, through the fields' converters (SQLite's 0/1 to booleans,
    its text to aware datetimes), as the ORM would."""
    model, start, fields, converters = part
    values = list(row[start : start + len(fields)])
    for index, expression, field_converters in converters:
        for convert in field_converters:
            values[index] = convert(values[index], expression, connection)
    return model.from_db(alias, [f.attname for f in fields], values)


_ROLES_SQL: dict[tuple[str, str], tuple[str, list[tuple]]] = {}


def _roles_query(vendor: str, alias: str) -> tuple[str, list[tuple]]:
    """The SQL of `_read` and where each model's columns are in its rows: memberships (kind 0) joined to their
    centres, by centre name and role, then EV roles (kind 1) joined to their awarding bodies, by id, then the user
    (kind 2); each branch padded with NULLs where the others' columns are."""
    key = (vendor, alias)
    if key not in _ROLES_SQL:
        from units.models import AwardingBody

        connection = connections[alias]
        qn = connection.ops.quote_name
        tables = [(Membership, "m"), (Centre, "c"), (ExternalVerifier, "ev"), (AwardingBody, "ab"), (User, "u")]
        parts, columns, nulls, start = [], [], [], 1
        for model, table_alias in tables:
            fields = list(model._meta.concrete_fields)
            converters = []
            for index, field in enumerate(fields):
                expression = field.get_col(model._meta.db_table)
                found = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
                if found:
                    converters.append((index, expression, found))
            parts.append((model, start, fields, converters))
            columns.append([f"{table_alias}.{qn(f.column)}" for f in fields])
            # Typed: PostgreSQL takes a column that is NULL in the first two branches for text.
            nulls.append([f"CAST(NULL AS {f.cast_db_type(connection)})" for f in fields])
            start += len(fields)
        m, c, ev, ab, u = (qn(model._meta.db_table) for model, _ in tables)
        centre_roles = ", ".join(
            [
                "0",
                *columns[0],
                *columns[1],
                *nulls[2],
                *nulls[3],
                *nulls[4],
                f"c.{qn('name')}",
                f"m.{qn('role')}",
                f"m.{qn('id')}",
            ]
        )
        ev_roles = ", ".join(
            ["1", *nulls[0], *nulls[1], *columns[2], *columns[3], *nulls[4], "NULL", "NULL", f"ev.{qn('id')}"]
        )
        the_user = ", ".join(
            ["2", *nulls[0], *nulls[1], *nulls[2], *nulls[3], *columns[4], "NULL", "NULL", f"u.{qn('id')}"]
        )
        width = start + 3
        sql = (
            f"SELECT {centre_roles} FROM {m} m INNER JOIN {c} c ON m.{qn('centre_id')} = c.{qn('id')} "
            f"WHERE m.{qn('user_id')} = %s AND m.{qn('is_active')} = %s AND c.{qn('is_active')} = %s "
            f"UNION ALL SELECT {ev_roles} FROM {ev} ev "
            f"INNER JOIN {ab} ab ON ev.{qn('awarding_body_id')} = ab.{qn('id')} "
            f"WHERE ev.{qn('user_id')} = %s AND ev.{qn('is_active')} = %s "
            f"UNION ALL SELECT {the_user} FROM {u} u WHERE u.{qn('id')} = %s "
            f"ORDER BY 1, {width - 2}, {width - 1}, {width}"
        )
        _ROLES_SQL[key] = (sql, parts)
    return _ROLES_SQL[key]


# The order in which a new session picks a role when the person holds several:
# the busiest working role first.
_DEFAULT_ORDER = [Role.ADMIN, Role.IV, Role.ASSESSOR, Role.EV, Role.LEARNER]


def resolve(request: HttpRequest) -> tuple[ActiveRole | None, list[ActiveRole]]:
    user = request.user
    if not user.is_authenticated:
        return None, []
    available = roles_read_with(user)  # type: ignore[arg-type]
    if available is None:
        available = roles_for(user)  # type: ignore[arg-type]
    if not available:
        return None, []
    wanted = request.session.get(SESSION_KEY)
    for candidate in available:
        if candidate.key == wanted:
            return candidate, available
    chosen = min(available, key=lambda r: _DEFAULT_ORDER.index(r.role))
    request.session[SESSION_KEY] = chosen.key
    return chosen, available


def switch(request: HttpRequest, key: str) -> ActiveRole | None:
    _, available = resolve(request)
    for candidate in available:
        if candidate.key == key:
            request.session[SESSION_KEY] = key
            return candidate
    return None
