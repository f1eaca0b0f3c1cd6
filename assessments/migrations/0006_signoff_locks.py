"""Lock in depth: once a unit is signed by its assessor, the database itself refuses changes to the evidence
behind it (the items, their mapping, files and judgements), and signatures can only ever be marked withdrawn.

A bulk `QuerySet.update`, a stray script or a bug in a view cannot slip past these triggers; moving the portfolio
back (a referral or a withdrawn signature, both audited) is the only way to unlock. On SQLite, the first-run
database, DELETE stays open because Django's test flush empties tables with it; PostgreSQL refuses it too.
"""

from django.db import migrations

from assessments.migrations._triggers import triggers_create

# Frozen here on purpose: a migration must not change when the model's constant does.
LOCKED = (
    "('assessor_signed', 'assessor_countersigned', 'iv_signed', 'iv_countersigned', 'iv_released', "
    "'ev_signed', 'complete')"
)
CHILD_TABLES = [
    "assessments_evidence_criteria",
    "assessments_evidence_range_items",
    "assessments_evidence_cross_references",
    "assessments_evidencefile",
    "assessments_claimjudgement",
]

PG_FORWARD = (
    f"""
CREATE OR REPLACE FUNCTION assessments_evidence_is_locked(eid bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM assessments_evidence e JOIN assessments_portfolio p ON p.id = e.portfolio_id
        WHERE e.id = eid AND p.status IN {LOCKED}
    ) OR EXISTS (
        SELECT 1 FROM assessments_evidence_cross_references x JOIN assessments_portfolio p ON p.id = x.portfolio_id
        WHERE x.evidence_id = eid AND p.status IN {LOCKED}
    );
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION assessments_refuse_locked() RETURNS trigger AS $$
DECLARE
    eid bigint;
BEGIN
    IF TG_TABLE_NAME = 'assessments_evidence' THEN
        IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM assessments_portfolio WHERE id = NEW.portfolio_id AND status IN {LOCKED}) THEN
                RAISE EXCEPTION 'portfolio % is signed off: evidence cannot be added', NEW.portfolio_id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END IF;
        eid := OLD.id;
    ELSIF TG_OP = 'INSERT' THEN
        eid := NEW.evidence_id;
    ELSE
        eid := OLD.evidence_id;
    END IF;
    IF assessments_evidence_is_locked(eid) THEN
        RAISE EXCEPTION 'evidence % is locked by a sign-off', eid USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER assessments_evidence_locked
    BEFORE INSERT OR UPDATE OR DELETE ON assessments_evidence
    FOR EACH ROW EXECUTE FUNCTION assessments_refuse_locked();
"""
    + "".join(
        f"""
CREATE TRIGGER {table}_locked
    BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION assessments_refuse_locked();
"""
        for table in CHILD_TABLES
    )
    + """
CREATE OR REPLACE FUNCTION assessments_signature_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'signatures cannot be deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.withdrawn_at IS NOT NULL
        OR NEW.portfolio_id <> OLD.portfolio_id OR NEW.kind <> OLD.kind OR NEW.round <> OLD.round
        OR NEW.signer_id <> OLD.signer_id OR NEW.signer_name <> OLD.signer_name OR NEW.role <> OLD.role
        OR NEW.statement <> OLD.statement OR NEW.signed_at <> OLD.signed_at
        OR NEW.record::text <> OLD.record::text OR NEW.digest <> OLD.digest THEN
        RAISE EXCEPTION 'a signature can only be marked withdrawn, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER assessments_signature_immutable
    BEFORE UPDATE OR DELETE ON assessments_signature
    FOR EACH ROW EXECUTE FUNCTION assessments_signature_guard();
"""
)

PG_REVERSE = (
    "DROP TRIGGER IF EXISTS assessments_signature_immutable ON assessments_signature;"
    "DROP FUNCTION IF EXISTS assessments_signature_guard();"
    "DROP TRIGGER IF EXISTS assessments_evidence_locked ON assessments_evidence;"
    + "".join(f"DROP TRIGGER IF EXISTS {table}_locked ON {table};" for table in CHILD_TABLES)
    + "DROP FUNCTION IF EXISTS assessments_refuse_locked();"
    "DROP FUNCTION IF EXISTS assessments_evidence_is_locked(bigint);"
)

SQLITE_LOCKED_EVIDENCE = f"""(
    EXISTS (SELECT 1 FROM assessments_evidence e JOIN assessments_portfolio p ON p.id = e.portfolio_id
            WHERE e.id = {{eid}} AND p.status IN {LOCKED})
    OR EXISTS (SELECT 1 FROM assessments_evidence_cross_references x
               JOIN assessments_portfolio p ON p.id = x.portfolio_id
               WHERE x.evidence_id = {{eid}} AND p.status IN {LOCKED})
)"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER assessments_evidence_locked_insert BEFORE INSERT ON assessments_evidence
    WHEN EXISTS (SELECT 1 FROM assessments_portfolio WHERE id = NEW.portfolio_id AND status IN {LOCKED})
    BEGIN SELECT RAISE(ABORT, 'portfolio is signed off: evidence cannot be added'); END;""",
    f"""CREATE TRIGGER assessments_evidence_locked_update BEFORE UPDATE ON assessments_evidence
    WHEN {SQLITE_LOCKED_EVIDENCE.format(eid="OLD.id")}
    BEGIN SELECT RAISE(ABORT, 'evidence is locked by a sign-off'); END;""",
    *(
        f"""CREATE TRIGGER {table}_locked_{op.lower()} BEFORE {op} ON {table}
    WHEN {SQLITE_LOCKED_EVIDENCE.format(eid=("NEW" if op == "INSERT" else "OLD") + ".evidence_id")}
    BEGIN SELECT RAISE(ABORT, 'evidence is locked by a sign-off'); END;"""
        for table in CHILD_TABLES
        for op in ("INSERT", "UPDATE")
    ),
    """CREATE TRIGGER assessments_signature_update BEFORE UPDATE ON assessments_signature
    WHEN OLD.withdrawn_at IS NOT NULL
        OR NEW.portfolio_id <> OLD.portfolio_id OR NEW.kind <> OLD.kind OR NEW.round <> OLD.round
        OR NEW.signer_id <> OLD.signer_id OR NEW.signer_name <> OLD.signer_name OR NEW.role <> OLD.role
        OR NEW.statement <> OLD.statement OR NEW.signed_at <> OLD.signed_at
        OR NEW.record <> OLD.record OR NEW.digest <> OLD.digest
    BEGIN SELECT RAISE(ABORT, 'a signature can only be marked withdrawn, once'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS assessments_evidence_locked_insert;",
    "DROP TRIGGER IF EXISTS assessments_evidence_locked_update;",
    *(f"DROP TRIGGER IF EXISTS {t}_locked_{op};" for t in CHILD_TABLES for op in ("insert", "update")),
    "DROP TRIGGER IF EXISTS assessments_signature_update;",
]


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_signoff_judgements_plans")]
    operations = [
        triggers_create(
            postgresql=PG_FORWARD, postgresql_reverse=PG_REVERSE, sqlite=SQLITE_FORWARD, sqlite_reverse=SQLITE_REVERSE
        )
    ]
