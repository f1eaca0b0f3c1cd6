"""A centre's active memberships in each role, kept as a tally by the database (portfolio/db_triggers.py,
tally_triggers): every write to people_membership, whatever makes it (a service, a bulk update, the Django admin, a
raw import), adds to or takes from its centre's row for its role, so the admin's dashboard reads four rows instead
of counting a centre's people. The tallies of the memberships already there are written here too, after the
triggers exist and in the same transaction, so none is missed or counted twice."""

import django.db.models.deletion
from django.db import migrations, models

from portfolio.db_triggers import tally_triggers

# Frozen here on purpose: a migration must not change when the model does.
TALLY = tally_triggers(
    table="people_membership",
    tally="people_membershiptally",
    keys=["centre_id", "role"],
    counts={"active": "CASE WHEN {row}.is_active THEN 1 ELSE 0 END"},
)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_user_name_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="MembershipTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(max_length=20)),
                ("active", models.IntegerField(default=0)),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="membership_tallies",
                        to="people.centre",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("centre", "role"), name="membership_tally_unique")],
            },
        ),
        *TALLY.operations(),
    ]
