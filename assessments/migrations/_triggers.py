"""What the migrations that guard signed records share: creating their triggers in each database's own dialect, and,
since SQLite adds a column by rebuilding the table, which the triggers naming that table refuse, setting those
triggers aside for the rebuild and putting them back exactly as they were. The name starts with an underscore so the
migration loader does not take this module for a migration."""

from collections.abc import Sequence

from django.db import migrations


def triggers_set_aside(table: str) -> tuple[migrations.RunPython, migrations.RunPython]:
    """Two operations to put around the table's rebuild: before, the triggers naming `table` are saved and
    dropped; after, they are created again from what was saved. Both do nothing on other databases."""
    saved: list[str] = []

    def set_aside(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s", [f"%{table}%"])
            rows = cursor.fetchall()
        saved[:] = [sql for _, sql in rows]
        for name, _ in rows:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')

    def put_back(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in saved:
            schema_editor.execute(sql)
        saved.clear()

    # Unapplying runs the operations in reverse order with their reverse functions: the second one sets the
    # triggers aside before the column goes, the first puts them back after.
    return migrations.RunPython(set_aside, put_back), migrations.RunPython(put_back, set_aside)


def triggers_create(
    *,
    postgresql: str = "",
    postgresql_reverse: str = "",
    sqlite: Sequence[str] = (),
    sqlite_reverse: Sequence[str] = (),
) -> migrations.RunPython:
    """One operation that creates the triggers in the database's dialect and drops them when unapplied. The
    PostgreSQL text runs without parameters: function bodies use % placeholders of their own (RAISE's)."""

    def run(schema_editor, pg_text: str, sqlite_statements: Sequence[str]) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql" and pg_text:
            schema_editor.execute(pg_text, params=None)
        elif vendor == "sqlite":
            for statement in sqlite_statements:
                schema_editor.execute(statement)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, postgresql, sqlite),
        lambda apps, schema_editor: run(schema_editor, postgresql_reverse, sqlite_reverse),
    )
