"""Chain the audit rows: each carries the hash of the row before it at its centre. Rows already there are chained
in id order; the trigger that refuses UPDATE is set aside for that one pass and put back (on SQLite it is made
again in any case: changing a column there rebuilds the table without its triggers)."""

from django.db import migrations, models

import audit.models
from audit.chain import GENESIS, link_hash
from audit.models import audit_event_fields


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_immutable")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
    heads = {}
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        prev = heads.get(event.centre_id or 0, GENESIS)
        digest = link_hash(prev, audit_event_fields(event))
        AuditEvent.objects.filter(pk=event.pk).update(chain_prev=prev, chain_hash=digest)
        heads[event.centre_id or 0] = digest
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_immutable")
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_auditevent_portfolio_auditevent_audit_portfolio_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='chain hash'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_prev',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='previous chain hash'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='at',
            field=models.DateTimeField(db_index=True, default=audit.models.event_time, editable=False),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
