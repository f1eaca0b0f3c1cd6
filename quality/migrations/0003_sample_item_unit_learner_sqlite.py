"""On SQLite, indexes of sample items by the unit and by the learner they sample, holding only the items that do.

A sample item names a unit, a learner or an assessor's criterion (one of the three, by its scope), so most items
have no learner and many no unit. ANALYZE (which the daily maintenance runs on SQLite) counts the empty ones as one
value shared by all of them: where learners are sampled rarely, the planner takes "this learner's items" for the
whole table, and finding the IV's items that cover a unit as it writes a report (quality/services/reports.py,
_covering_items) read every item of every plan at the centre rather than look the unit and the learner up. These
indexes leave the empty ones out, so their statistics count the sampled units and learners alone (as assessments
0021 does for evidence by who decided it). PostgreSQL's statistics know the share of empty values and need no such
indexes."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0002_ev_visit_closed_at"),
    ]

    operations = [
        sqlite_indexes(
            {
                "sample_item_portfolio_set": "quality_sampleitem (portfolio_id) WHERE portfolio_id IS NOT NULL",
                "sample_item_learner_set": "quality_sampleitem (learner_id) WHERE learner_id IS NOT NULL",
            }
        ),
    ]
