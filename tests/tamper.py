"""Changing stored records the way someone with database or file access would: raw SQL with the database's own
guards switched off, and files rewritten through the storage API. Shared by the integrity tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.db import connection


@contextmanager
def triggers_off(*tables: str) -> Iterator[None]:
    """Run raw SQL past the triggers. PostgreSQL: as a replica, which fires no ordinary trigger (what a database
    administrator can do). SQLite cannot switch triggers off, so they are dropped inside the test's transaction,
    which puts them back when it rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
            return
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        for name, table in cursor.fetchall():
            if table not in tables:
                continue
            cursor.execute(f'DROP TRIGGER "{name}"')
        yield


def raw_sql(sql: str, params: list | None = None, *tables: str) -> None:
    with triggers_off(*tables), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def rewrite_file(field, content: bytes) -> None:
    """Replace a stored file's bytes under the same name, as someone with the server's files could."""
    storage, name = field.storage, field.name
    storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    assert saved == name


def status_guard_on() -> None:
    """Switch on, for this test's transaction, the PostgreSQL trigger that the test session keeps off so that
    tests may start from any status (conftest.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE assessments_portfolio ENABLE TRIGGER assessments_portfolio_status")
