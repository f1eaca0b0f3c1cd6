"""A centre's registrations as the admin's dashboard totals them (current: not withdrawn; complete; unassigned:
current without an assessor or without an IV), kept as a tally by the database (portfolio/db_triggers.py,
tally_triggers): every write to assessments_portfolio, whatever makes it (a service, a bulk update, the Django admin,
a raw import), moves its centre's totals, so the dashboard reads one row instead of counting the centre. A change of
status, assessor, IV or centre that moves no total writes nothing to the tally. The tallies of the registrations
already there are written here too, after the triggers exist and in the same transaction, so none is missed or
counted twice."""

import django.db.models.deletion
from django.db import migrations, models

from portfolio.db_triggers import tally_triggers

# Frozen here on purpose, as the statuses are in 0006: a migration must not change when the model's constants do.
TALLY = tally_triggers(
    table="assessments_portfolio",
    tally="assessments_registrationtally",
    keys=["centre_id"],
    counts={
        "current": "CASE WHEN {row}.status <> 'withdrawn' THEN 1 ELSE 0 END",
        "complete": "CASE WHEN {row}.status = 'complete' THEN 1 ELSE 0 END",
        "unassigned": (
            "CASE WHEN {row}.status <> 'withdrawn' AND ({row}.assessor_id IS NULL OR {row}.iv_id IS NULL) "
            "THEN 1 ELSE 0 END"
        ),
    },
)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0019_portfolio_centre_totals"),
        ("people", "0005_user_name_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistrationTally",
            fields=[
                (
                    "centre",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="registration_tally",
                        serialize=False,
                        to="people.centre",
                    ),
                ),
                ("current", models.IntegerField(default=0)),
                ("complete", models.IntegerField(default=0)),
                ("unassigned", models.IntegerField(default=0)),
            ],
        ),
        *TALLY.operations(),
    ]
