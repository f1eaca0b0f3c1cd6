"""The identifiers an awarding body asks for when a certificate is claimed, and when it was claimed."""

from django.db import migrations, models

import assessments.models.portfolio

# SQLite adds a column by rebuilding the table, which the triggers naming the portfolio table (the sign-off locks)
# refuse: they are set aside for the rebuild and put back exactly as they were.
_saved: list[str] = []


def _set_aside(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%assessments_portfolio%'"
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
    dependencies = [
        ("assessments", "0013_sufficiency_thresholds"),
    ]

    operations = [
        migrations.RunPython(_set_aside, _put_back),
        migrations.AddField(
            model_name="portfolio",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="portfolio",
            name="enrolment_number",
            field=models.CharField(
                blank=True,
                help_text="As the awarding body issued it.",
                max_length=30,
                verbose_name="awarding body's enrolment number",
            ),
        ),
        migrations.AddField(
            model_name="portfolio",
            name="uln",
            field=models.CharField(
                blank=True,
                help_text="10 digits.",
                max_length=10,
                validators=[assessments.models.portfolio.validate_uln],
                verbose_name="unique learner number",
            ),
        ),
        migrations.RunPython(_put_back, _set_aside),
    ]
