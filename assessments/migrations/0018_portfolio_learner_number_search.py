"""The registrations list's search by learner number reads off a trigram index on PostgreSQL, as the name and email
searches do (people 0003, which also enables pg_trgm). Nothing on SQLite, where the search keeps scanning."""

from django.db import migrations

NAME = "portfolio_learner_number_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The expression Django writes for `learner_number__icontains` on PostgreSQL, so the planner can use it.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON assessments_portfolio"
        " USING gin (UPPER(learner_number::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0017_assessor_record_locks"),
        ("people", "0003_search_trigram"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
