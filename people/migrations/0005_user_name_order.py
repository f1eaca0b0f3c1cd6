"""People in name order (the cohort page's learners, a page at a time) read off an index instead of sorting them all."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_membership_centre_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["full_name", "email"], name="user_name_order"),
        ),
    ]
