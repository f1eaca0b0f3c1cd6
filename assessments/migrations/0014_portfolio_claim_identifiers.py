"""The identifiers an awarding body asks for when a certificate is claimed, and when it was claimed."""

from django.db import migrations, models

import assessments.models.portfolio
from assessments.migrations._triggers import triggers_set_aside

# The triggers naming the table are set aside for SQLite's rebuild of it (see _triggers).
SET_ASIDE, PUT_BACK = triggers_set_aside("assessments_portfolio")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0013_sufficiency_thresholds"),
    ]

    operations = [
        SET_ASIDE,
        migrations.AddField(
            model_name="portfolio",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="portfolio",
            name="enrolment_number",
            field=models.CharField(
                blank=True,
                help_text="As the awarding body issued it.",
                max_length=30,
                verbose_name="awarding body's enrolment number",
            ),
        ),
        migrations.AddField(
            model_name="portfolio",
            name="uln",
            field=models.CharField(
                blank=True,
                help_text="10 digits.",
                max_length=10,
                validators=[assessments.models.portfolio.validate_uln],
                verbose_name="unique learner number",
            ),
        ),
        PUT_BACK,
    ]
