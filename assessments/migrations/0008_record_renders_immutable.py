"""A stored record PDF and a record code are never changed: the database refuses UPDATE on both, and on
PostgreSQL DELETE too (SQLite keeps DELETE open for Django's test flush, as in 0006)."""

from django.db import migrations

from assessments.migrations._triggers import triggers_create

TABLES = ["assessments_recordrender", "assessments_recordcode"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION assessments_refuse_record_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stored records cannot be changed or deleted' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION assessments_refuse_record_change();
"""
    for table in TABLES
)
PG_REVERSE = "".join(f"DROP TRIGGER IF EXISTS {t}_immutable ON {t};" for t in TABLES) + (
    "DROP FUNCTION IF EXISTS assessments_refuse_record_change();"
)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, 'stored records cannot be changed'); END;"""
    for table in TABLES
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {t}_immutable;" for t in TABLES]


class Migration(migrations.Migration):
    dependencies = [("assessments", "0007_record_codes_renders")]
    operations = [
        triggers_create(
            postgresql=PG_FORWARD, postgresql_reverse=PG_REVERSE, sqlite=SQLITE_FORWARD, sqlite_reverse=SQLITE_REVERSE
        )
    ]
