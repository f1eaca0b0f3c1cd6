"""On SQLite, an index of evidence by who decided it that holds only the items someone has decided.

SQLite's statistics (ANALYZE, which `manage.py maintenance` runs there, portfolio/management/commands/maintenance.py)
count the items not yet decided, whose decided_by is empty, as one value shared by all of them: with most of a
portfolio's items waiting, the planner takes "decided by this person" to match thousands of rows, and the test of
whether an IV made decisions in a unit (assessments/policy.py, decided_by) scans all the evidence once for every unit
of the IV's population (3 s a query at 40,000 items). This index leaves the empty ones out, so its statistics count
decided items alone, and the planner keeps looking the person up. PostgreSQL's statistics know the share of empty
values already, so it has no need of this index."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes

NAME = "evidence_decided_by_set"


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0020_registration_tallies"),
    ]

    operations = [
        sqlite_indexes({NAME: "assessments_evidence (decided_by_id) WHERE decided_by_id IS NOT NULL"}),
    ]
