"""SQLite's query plans once its planner has statistics (the daily `manage.py maintenance` gathers them there).

ANALYZE counts a column's empty values as one value shared by every row that has none, so an index of a column
that is mostly empty looks to the planner as if any lookup in it matched most of the table. Where that would turn a
lookup into a scan of the table, SQLite has an index of the filled rows alone (assessments 0021)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from assessments.models import Decision, Evidence, EvidenceSetting
from portfolio.management.commands.maintenance import steps
from quality.sampling import population
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner and statistics")


def plan(queryset) -> list[str]:
    """EXPLAIN QUERY PLAN, a line for each step."""
    return [line.split(maxsplit=3)[3] for line in queryset.explain().splitlines() if line.strip()]


def test_with_statistics_the_ivs_population_looks_up_their_decisions_rather_than_scan_the_evidence(world):
    # Ten learners' units, their items mostly waiting for a decision (decided_by empty), a few decided.
    units = [world.portfolio] + [
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv) for _ in range(9)
    ]
    method = world.portfolio.unit.methods.first()
    now = timezone.now()
    decided = {"decision": Decision.ACCEPTED, "decided_by": world.assessor, "decided_at": now}
    Evidence.objects.bulk_create(
        Evidence(
            portfolio=portfolio,
            number=n,
            title=f"Item {n}",
            method=method,
            activity_date=datetime.date(2026, 1, 1),
            setting=EvidenceSetting.REAL_WORK,
            created_by=portfolio.learner,
            **(decided if n == 1 else {}),
        )
        for portfolio in units
        for n in range(1, 41)
    )
    dict(steps())["sqlite_statistics"]()

    found = plan(population(world.iv, world.centre).values_list("pk"))

    # Whether the IV decided any item of a unit is looked up by the IV, never by reading every item of every unit.
    assert "SCAN U0" not in found, found
    assert "SEARCH U0 USING INDEX evidence_decided_by_set (decided_by_id=?)" in found, found
