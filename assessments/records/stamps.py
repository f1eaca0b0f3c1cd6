"""Record stamps: what the draft cache keys on instead of reading the whole record.

The database moves a portfolio's stamp (RecordStamp) on every write to what its draft shows, and stamp 0 on every
write to the rows all records share, whatever makes the write: a service, `queryset.update()`, the Django admin, raw
SQL. The triggers are made in migration assessments 0025 (which tables, and how their rows map to portfolios), from
portfolio/db_triggers.py's stamp_triggers. So the draft's key is two numbers, read in the download's one query beside
the signatures (or one small query of their own), where the record's digest read every item, claim, judgement and
file (eleven queries).

What the triggers cannot see: rows written past them. A restore of the rows without their triggers (a data-only
restore, `session_replication_role = replica`), a TRUNCATE, or a SQLite table rebuilt without triggers_set_aside
leaves the stamps where they were while the rows change, and a kept draft of the old rows would be served. After
any of those, run `manage.py record_stamps_move`: it moves stamp 0 past any value it has held, so every draft is
rendered afresh on its next request. The test assessments/tests/test_record_stamps.py fails if a table the draft
reads has no trigger in the database, which catches a rebuild that dropped them and a table added to the record
without its triggers.
"""

from __future__ import annotations

import time

from django.db import connection, transaction

from assessments.models import Portfolio, RecordStamp
from units.models import UnitCode


def stamps_sql() -> str:
    """The portfolio's stamp and the shared one as two scalar subqueries, to ride along in another statement (the
    download's one query, assessments/records/services/renders.py); one parameter, the portfolio's id."""
    stamp = RecordStamp._meta.db_table
    return (
        f"(SELECT version FROM {stamp} WHERE portfolio_id = %s), "
        f"(SELECT version FROM {stamp} WHERE portfolio_id = {RecordStamp.SHARED})"
    )


def record_stamps(portfolio: Portfolio) -> tuple[tuple[int, int], str | None]:
    """The portfolio's stamp and the shared stamp (0 for a stamp never moved), and the unit's number under the
    learner's awarding body, in one query."""
    code = UnitCode._meta.db_table
    sql = (
        f"SELECT {stamps_sql()}, (SELECT c.code FROM {code} c WHERE c.unit_id = %s AND c.awarding_body_id = %s LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [portfolio.pk, portfolio.unit_id, portfolio.awarding_body_id])
        own, shared, number = cursor.fetchone()
    return (own or 0, shared or 0), number


@transaction.atomic
def record_stamps_move() -> int:
    """Move the shared stamp past any value it has held (to the microseconds since 1970, if that is further on), so
    every draft key is one never used before, even if the stamps came back from a backup older than the drafts
    kept. Returns the new value."""
    row, _ = RecordStamp.objects.select_for_update().get_or_create(portfolio_id=RecordStamp.SHARED)
    row.version = max(row.version + 1, time.time_ns() // 1000)
    row.save(update_fields=["version"])
    return row.version
