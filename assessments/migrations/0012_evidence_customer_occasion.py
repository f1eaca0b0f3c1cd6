"""Each evidence item may name its customer and occasion (by a short reference), for the sufficiency ledger."""

from django.db import migrations, models

from assessments.migrations._triggers import triggers_set_aside

# The triggers naming the table are set aside for SQLite's rebuild of it (see _triggers).
SET_ASIDE, PUT_BACK = triggers_set_aside("assessments_evidence")


class Migration(migrations.Migration):
    dependencies = [("assessments", "0011_portfolio_centre_newest")]

    operations = [
        SET_ASIDE,
        migrations.AddField(
            model_name="evidence",
            name="customer_ref",
            field=models.CharField(blank=True, max_length=60, verbose_name="customer reference"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="occasion_ref",
            field=models.CharField(blank=True, max_length=60, verbose_name="occasion reference"),
        ),
        PUT_BACK,
    ]
