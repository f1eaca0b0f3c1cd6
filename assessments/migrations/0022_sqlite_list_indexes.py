"""On SQLite, indexes that keep three pages' plans when the planner has statistics (which the daily maintenance
gathers there, portfolio/management/commands/maintenance.py); without statistics SQLite guessed its way onto the
same plans or onto ones as good. PostgreSQL plans these pages well from the indexes it has (bench/registrations.py,
bench/sampling_page.py), so it is not given them.

- The registrations list filtered by status, newest first: by (centre, status, id) the page is read in order and
  stops after 51 rows. With statistics SQLite otherwise read every registration of that status at the centre
  through (centre, status, ...) and sorted them: 11,000 at a centre of 100,000.
- The registrations needing an assessor or an IV: an index of those rows alone, by (centre, id). Its condition is
  written as the view writes it (assessments/centre/views.py), or SQLite cannot tell that the query asks only for
  rows the index holds. ANALYZE counts an empty assessor or IV as one value shared by every row without one, so
  SQLite takes "no IV" for a few hundred rows, looks them up by the assessor and IV indexes and sorts them; at a
  centre of 100,000 with a tenth unassigned that was 10,000 rows a page.
- The evidence of the IV's units counted by method (quality/sampling.py, method_counts): by (portfolio, method),
  read from the index alone. With statistics SQLite otherwise takes each method in turn and reads every item of
  the IV's units once per method."""

from django.db import migrations

from portfolio.sqlite_indexes import sqlite_indexes

INDEXES = {
    "portfolio_centre_status_newest": "assessments_portfolio (centre_id, status, id DESC)",
    "portfolio_centre_unassigned": (
        "assessments_portfolio (centre_id, id DESC) WHERE NOT (assessor_id IS NOT NULL AND iv_id IS NOT NULL)"
    ),
    "evidence_portfolio_method": "assessments_evidence (portfolio_id, method_id)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0021_evidence_decided_by_sqlite"),
    ]

    operations = [
        sqlite_indexes(INDEXES),
    ]
