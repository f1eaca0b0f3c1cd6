"""The head of a centre's audit chain (its newest row by id) is read at every insert: index it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_chain")]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["centre", "-id"], name="audit_centre_chain"),
        ),
    ]
