"""Indexes that only SQLite gets, for migrations: `operations = [sqlite_indexes({"name": "table (columns) ..."})]`.

SQLite's planner needs some that PostgreSQL does not: its statistics count all the empty values of a column as one
value (a partial index that leaves them out keeps a lookup by person on its index), and it does not match a boolean
column written bare against an index's equality. Each migration says which case its indexes are for.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import migrations


def sqlite_indexes(indexes: Mapping[str, str]) -> migrations.RunPython:
    """Create `indexes` ({name: "table (columns) [WHERE ...]"}) on SQLite, drop them when unapplied; nothing
    elsewhere."""

    def create(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for name, definition in indexes.items():
                schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for name in indexes:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
