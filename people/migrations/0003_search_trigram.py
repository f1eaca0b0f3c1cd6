"""Name and email searches read off trigram indexes on PostgreSQL.

The searches (`icontains`, which PostgreSQL runs as `UPPER(column::text) LIKE UPPER('%text%')`) cannot use a b-tree
index, so at a centre of 100,000 learners each one read the whole people table. A GIN index of the same expression
with pg_trgm's operator class answers a `LIKE '%...%'` from the trigrams of the text instead. PostgreSQL only: SQLite
has neither the extension nor GIN, and there the searches keep scanning (the embedded default serves small centres).
The extension is left in place on reversal, as other database objects may have come to use it.
"""

from django.db import migrations

# The expressions must match what Django writes for `icontains` on PostgreSQL, or the planner cannot use them.
INDEXES = {
    "people_user_full_name_trgm": "people_user USING gin (UPPER(full_name::text) gin_trgm_ops)",
    "people_user_email_trgm": "people_user USING gin (UPPER(email::text) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_user_email_notifications"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
