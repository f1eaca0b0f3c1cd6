"""SQLite adds a column by rebuilding the table, which the triggers naming that table (the sign-off locks of 0006
and later) refuse. A migration that adds a column sets them aside for the rebuild and puts them back exactly as they
were. The name starts with an underscore so the migration loader does not take this module for a migration."""

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
