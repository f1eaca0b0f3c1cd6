"""The assessor's records (0015) are locked with the evidence they belong to: once the unit is signed, the database
refuses changes to an observation, its notes, question and answer pairs and their criteria, and a discussion, as
0006 does for the evidence rows. A discussion's recording is an evidence file, locked by 0006 already.

A row is locked when the evidence item it hangs off is (0006's `assessments_evidence_is_locked`: its own unit or a
unit it is cross-referenced to is signed). The services change these rows only while the unit is open (the policy
refuses an edit or the learner's acknowledgement after signing), so in use the triggers never fire and need no way
through. Unlike 0006, an UPDATE is checked against the row's new evidence item as well as its old one, so a row
cannot be moved under a signed item either. SQLite keeps DELETE open for Django's test flush, as in 0006.
SQLite drops a table's triggers when a later migration rebuilds it: such a migration sets them aside and puts them
back (_triggers.triggers_set_aside); test_record_locks fails for any table left without them.
"""

from django.db import migrations

from assessments.migrations._triggers import triggers_create

# Frozen here on purpose, as in 0006: a migration must not change when the model's constant does.
LOCKED = (
    "('assessor_signed', 'assessor_countersigned', 'iv_signed', 'iv_countersigned', 'iv_released', "
    "'ev_signed', 'complete')"
)
# Each table with the way from one of its rows (NEW or OLD) to the evidence item's id.
TABLES = {
    "assessments_observation": "{row}.evidence_id",
    "assessments_questionanswer": "{row}.evidence_id",
    "assessments_discussion": "{row}.evidence_id",
    "assessments_observationnote": "(SELECT evidence_id FROM assessments_observation WHERE id = {row}.observation_id)",
    "assessments_questionanswer_criteria": (
        "(SELECT evidence_id FROM assessments_questionanswer WHERE id = {row}.questionanswer_id)"
    ),
}


def _pg_branch(table: str, way: str) -> str:
    return f"""
    {{kw}} TG_TABLE_NAME = '{table}' THEN
        IF TG_OP <> 'INSERT' THEN
            old_eid := {way.format(row="OLD")};
        END IF;
        IF TG_OP <> 'DELETE' THEN
            new_eid := {way.format(row="NEW")};
        END IF;"""


PG_FORWARD = (
    """
CREATE OR REPLACE FUNCTION assessments_refuse_locked_record() RETURNS trigger AS $$
DECLARE
    old_eid bigint;
    new_eid bigint;
BEGIN"""
    + "".join(
        _pg_branch(table, way).format(kw="IF" if n == 0 else "ELSIF") for n, (table, way) in enumerate(TABLES.items())
    )
    + """
    END IF;
    IF assessments_evidence_is_locked(old_eid) OR assessments_evidence_is_locked(new_eid) THEN
        RAISE EXCEPTION 'the assessor''s record on evidence % is locked by a sign-off', coalesce(old_eid, new_eid)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
    + "".join(
        f"""
CREATE TRIGGER {table}_locked
    BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION assessments_refuse_locked_record();
"""
        for table in TABLES
    )
)
PG_REVERSE = "".join(f"DROP TRIGGER IF EXISTS {table}_locked ON {table};" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS assessments_refuse_locked_record();"
)

# 0006's test, word for word, so both migrations lock the same items.
SQLITE_LOCKED_EVIDENCE = f"""(
    EXISTS (SELECT 1 FROM assessments_evidence e JOIN assessments_portfolio p ON p.id = e.portfolio_id
            WHERE e.id = {{eid}} AND p.status IN {LOCKED})
    OR EXISTS (SELECT 1 FROM assessments_evidence_cross_references x
               JOIN assessments_portfolio p ON p.id = x.portfolio_id
               WHERE x.evidence_id = {{eid}} AND p.status IN {LOCKED})
)"""


def _sqlite_when(way: str, op: str) -> str:
    rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW")}[op]
    return " OR ".join(SQLITE_LOCKED_EVIDENCE.format(eid=way.format(row=row)) for row in rows)


SQLITE_FORWARD = [
    f"""CREATE TRIGGER {table}_locked_{op.lower()} BEFORE {op} ON {table}
    WHEN {_sqlite_when(way, op)}
    BEGIN SELECT RAISE(ABORT, 'the assessor''s record is locked by a sign-off'); END;"""
    for table, way in TABLES.items()
    for op in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {t}_locked_{op};" for t in TABLES for op in ("insert", "update")]


class Migration(migrations.Migration):
    dependencies = [("assessments", "0016_qualification_registrations")]
    operations = [
        triggers_create(
            postgresql=PG_FORWARD, postgresql_reverse=PG_REVERSE, sqlite=SQLITE_FORWARD, sqlite_reverse=SQLITE_REVERSE
        )
    ]
