"""On SQLite, an index of exports by the learner they are of, holding only the learner and portable exports.

A cohort export is of no one learner, so its learner is empty. ANALYZE (which the daily maintenance runs on SQLite)
counts the empty ones as one value shared by all of them: at a centre that exports its cohorts more often than single
learners, the planner takes "this learner's exports" for most of the table, and the learner's export page
(exports/views.py, export_learner) read every export of the centre, newest first, to find the learner's few. This
index leaves the cohorts out, so its statistics count the learners' exports alone (as assessments 0021 does for
evidence by who decided it). PostgreSQL's statistics know the share of empty values and need no such index."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes

NAME = "export_learner_set"


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
    ]

    operations = [
        sqlite_indexes({NAME: "exports_export (learner_id) WHERE learner_id IS NOT NULL"}),
    ]
