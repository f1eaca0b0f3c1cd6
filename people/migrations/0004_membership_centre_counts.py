"""The admin dashboard counts a centre's active people by role from an index on (centre, is_active, role) alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_search_trigram"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["centre", "is_active", "role"], name="membership_centre_counts"),
        ),
    ]
