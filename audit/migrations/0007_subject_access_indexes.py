"""A subject-access export looks up the audit rows on a person's account and on their qualification registrations
by target, and what they did that names no registration by (actor, registration): without these indexes that search
read the whole audit table, or every row naming no registration. Adding an index changes no row, so the triggers
refusing UPDATE and DELETE (0003) are not in its way; the index of the actor alone stays, as dropping it would have
SQLite rebuild the table and lose them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_chain_head_index")]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor", "portfolio"], name="audit_actor_portfolio"),
        ),
    ]
