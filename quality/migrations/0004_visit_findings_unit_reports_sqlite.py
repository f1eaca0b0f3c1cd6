"""On SQLite, indexes of an EV's findings by their visit and of IV reports by their unit, holding only the rows that
name one.

Findings an EV records outside a visit have no visit, and an IV's reports on an assessor's criterion have no unit.
ANALYZE (which the daily maintenance runs on SQLite) counts the empty ones as one value shared by all of them: with
few visits, or with criterion reports outnumbering the units reported on, the planner takes a visit's findings or a
unit's reports for a large share of the table. The visit's page (quality/views/visits.py, visit_detail) then found
the visit's findings by reading every registration on the findings' unit, at every centre, and the reports on its
sample by reading every IV report there is. These indexes leave the empty ones out, so their statistics count the rows that name a visit or a unit
alone (as assessments 0021 does for evidence by who decided it). PostgreSQL's statistics know the share of empty
values and need no such indexes."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_sample_item_unit_learner_sqlite"),
    ]

    operations = [
        sqlite_indexes(
            {
                "ev_finding_visit_set": "quality_evfinding (visit_id) WHERE visit_id IS NOT NULL",
                "iv_report_portfolio_set": "quality_ivreport (portfolio_id) WHERE portfolio_id IS NOT NULL",
            }
        ),
    ]
