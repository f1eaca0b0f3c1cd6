"""Chain the signatures: each carries the hash of the centre's signature before it. Signatures already there are
chained in id order; then the guard from 0006 refuses a change to the chain fields too."""

from django.db import migrations, models

from assessments.models.signoff import signature_fields
from audit.chain import GENESIS, link_hash

GUARDED = (
    "OLD.withdrawn_at IS NOT NULL"
    " OR NEW.portfolio_id <> OLD.portfolio_id OR NEW.kind <> OLD.kind OR NEW.round <> OLD.round"
    " OR NEW.signer_id <> OLD.signer_id OR NEW.signer_name <> OLD.signer_name OR NEW.role <> OLD.role"
    " OR NEW.statement <> OLD.statement OR NEW.signed_at <> OLD.signed_at"
    " OR NEW.record{cast} <> OLD.record{cast} OR NEW.digest <> OLD.digest"
)
CHAIN_GUARD = " OR NEW.chain_prev <> OLD.chain_prev OR NEW.chain_hash <> OLD.chain_hash"


def _pg_guard(condition):
    return f"""
CREATE OR REPLACE FUNCTION assessments_signature_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'signatures cannot be deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {condition} THEN
        RAISE EXCEPTION 'a signature can only be marked withdrawn, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _sqlite_guard(condition):
    return (
        "CREATE TRIGGER assessments_signature_update BEFORE UPDATE ON assessments_signature "
        f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'a signature can only be marked withdrawn, once'); END;"
    )


def chain_existing(apps, schema_editor):
    Signature = apps.get_model("assessments", "Signature")
    heads = {}
    for signature in Signature.objects.select_related("portfolio").order_by("pk").iterator(chunk_size=2000):
        key = signature.portfolio.centre_id
        prev = heads.get(key, GENESIS)
        digest = link_hash(prev, signature_fields(signature))
        Signature.objects.filter(pk=signature.pk).update(chain_prev=prev, chain_hash=digest)
        heads[key] = digest


def guard_chain(apps, schema_editor, *, with_chain=True):
    vendor = schema_editor.connection.vendor
    extra = CHAIN_GUARD if with_chain else ""
    if vendor == "postgresql":
        schema_editor.execute(_pg_guard(GUARDED.format(cast="::text") + extra), params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS assessments_signature_update")
        schema_editor.execute(_sqlite_guard(GUARDED.format(cast="") + extra))


def unguard_chain(apps, schema_editor):
    guard_chain(apps, schema_editor, with_chain=False)


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0008_record_renders_immutable'),
    ]

    operations = [
        migrations.AddField(
            model_name='signature',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='chain hash'),
        ),
        migrations.AddField(
            model_name='signature',
            name='chain_prev',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='previous chain hash'),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(guard_chain, unguard_chain),
    ]
