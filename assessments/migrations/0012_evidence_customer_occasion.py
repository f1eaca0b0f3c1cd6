"""Each evidence item may name its customer and occasion (by a short reference), for the sufficiency ledger."""

from django.db import migrations, models

# SQLite adds a NOT NULL column by rebuilding the table, which the sign-off lock triggers (0006) that name the
# evidence table refuse: they are set aside for the rebuild and put back exactly as they were.
_saved: list[str] = []


def _set_aside(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%assessments_evidence%'"
        )
        rows = cursor.fetchall()
    _saved[:] = [sql for _, sql in rows]
    for name, _ in rows:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def _put_back(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in _saved:
        schema_editor.execute(sql)
    _saved.clear()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0011_portfolio_centre_newest")]

    operations = [
        migrations.RunPython(_set_aside, _put_back),
        migrations.AddField(
            model_name="evidence",
            name="customer_ref",
            field=models.CharField(blank=True, max_length=60, verbose_name="customer reference"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="occasion_ref",
            field=models.CharField(blank=True, max_length=60, verbose_name="occasion reference"),
        ),
        migrations.RunPython(_put_back, _set_aside),
    ]
