"""On PostgreSQL, a portfolio's status moves only through the sign-off services: a trigger refuses any UPDATE that
changes it unless the transaction announced exactly that move (`status_move_allow` in services/signoff.py, which
runs only after the move is checked and right before it is audited). Moving a signed unit back behind the
services' back would unlock its evidence; this closes that door. SQLite, the first-run database, has no session
settings to announce with: there `manage.py verify_records` compares each status with the last audited move."""

from django.db import migrations

from assessments.migrations._triggers import triggers_create

PG_FORWARD = """
CREATE OR REPLACE FUNCTION assessments_portfolio_status_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
        AND coalesce(current_setting('assessments.status_move', true), '') <> NEW.id::text || ':' || NEW.status THEN
        RAISE EXCEPTION 'the status of portfolio % moves only through the sign-off services', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER assessments_portfolio_status
    BEFORE UPDATE OF status ON assessments_portfolio
    FOR EACH ROW EXECUTE FUNCTION assessments_portfolio_status_guard();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS assessments_portfolio_status ON assessments_portfolio;
DROP FUNCTION IF EXISTS assessments_portfolio_status_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("assessments", "0009_signature_chain")]
    operations = [triggers_create(postgresql=PG_FORWARD, postgresql_reverse=PG_REVERSE)]
