"""On SQLite, an index of units by the qualification registration they were registered under, holding only the units
that were. ANALYZE (which the daily maintenance runs on SQLite) counts the units registered on their own, whose
qualification registration is empty, as one value shared by all of them: at a centre that registers units singly
the planner takes a registration's units for the whole table and reads every registration there is to find them.
This index leaves the empty ones out, so its statistics count registered units alone (as assessments 0021 does for
evidence by who decided it). PostgreSQL's statistics know the share of empty values and need no such index."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes

NAME = "portfolio_qualification_registration_set"


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0022_sqlite_list_indexes"),
    ]

    operations = [
        sqlite_indexes(
            {
                NAME: "assessments_portfolio (qualification_registration_id) WHERE qualification_registration_id IS NOT NULL"
            }
        ),
    ]
