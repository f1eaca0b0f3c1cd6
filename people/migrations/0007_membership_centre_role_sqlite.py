"""On SQLite, the centre's people in one role read off an index of (centre, role), as the registrations list's
assessor search finds its assessors (assessments/centre/forms.py, people_with_role).

Django writes "is active" as the bare column on SQLite, which SQLite does not match against an index's equality, so
the index on (centre, is_active, role) (0004) narrowed such a lookup by the centre alone: a search among a centre's
2,500 assessors read all its 100,000 memberships (40 ms). With role before is_active, and the person in the index
too, it reads the centre's assessors from the index alone (under 1 ms). PostgreSQL matches `is_active` against the
existing index and has no need of this one."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes

NAME = "membership_centre_role"


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_membership_tallies"),
    ]

    operations = [
        sqlite_indexes({NAME: "people_membership (centre_id, role, is_active, user_id)"}),
    ]
