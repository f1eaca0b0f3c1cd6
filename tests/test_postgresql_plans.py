"""PostgreSQL's plans for the searches tests/test_sqlite_plans.py checks on SQLite, after ANALYZE, with the same
data. A test database is small enough for a scan of a table to be cheaper than its index, so where what is checked
is that an index can serve the query at all, scans are turned off for the plan."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from exports.subject_access import audit_rows_about
from quality.sampling import population
from tests.test_sqlite_plans import audit_trail, judged_population

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def test_the_ivs_population_reads_their_judgements_once_however_many_units_it_holds(world):
    judged_population(world, units=30)
    analyze()

    found = population(world.iv, world.centre).values_list("pk").explain(analyze=True)

    # Each step reading the judgements runs once for the query: asked unit by unit, it ran thirty times.
    steps = [line for line in found.splitlines() if "claimjudgement" in line and "actual time" in line]
    assert steps, found
    assert all(re.search(r"loops=1\)$", line) for line in steps), found


def test_the_subject_access_export_finds_a_learners_audit_rows_off_indexes(world):
    audit_trail(world)
    analyze()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    found = audit_rows_about(world.learner).explain()

    # Each kind of row off its own index (audit 0007 for the targets and for what they did naming no unit): as one
    # OR, "on one of their units" could only be checked row by row, reading the whole table.
    for index in ("audit_portfolio_at", "audit_target", "audit_actor_portfolio"):
        assert f" {index} " in found, found
    assert "Seq Scan on audit_auditevent" not in found, found
