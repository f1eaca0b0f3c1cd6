"""The admin dashboard's totals of a centre's registrations (current, complete, needing an assessor or IV) read from
an index on (centre, status, assessor, iv) alone, without the rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0018_portfolio_learner_number_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="portfolio",
            index=models.Index(fields=["centre", "status", "assessor", "iv"], name="portfolio_centre_totals"),
        ),
    ]
