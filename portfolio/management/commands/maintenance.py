"""`manage.py maintenance`: the daily housekeeping (deploy/systemd/portfolio-maintenance.timer), one command for
whichever task backend is configured. Old task results are removed from the database by django-tasks' prune, and from
Redis by cleaning RQ's registries (RQ expires finished jobs by itself; the registries keep their ids until cleaned).
The centres' tallies are recounted, which puts right any written past their triggers. On SQLite the search indexes
are rebuilt from their tables for the same reason, and the query planner's statistics are gathered again
(PostgreSQL's autovacuum does that by itself). Every step runs even when one fails, and the command fails if any did,
so the timer's unit shows it."""

from __future__ import annotations

import io
import logging
import sqlite3
import time
from collections.abc import Callable

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portfolio.tasks_backend import DATABASE, RQ, task_queue_names, tasks_backend_kind
from portfolio.text_search import search_tables_rebuild

logger = logging.getLogger("portfolio.maintenance")

# Finished task results are kept this long in the database: long enough to answer "why did my export fail last week".
TASK_RESULTS_KEEP_DAYS = 30


def _command(name: str, *args: str) -> Callable[[], str]:
    """A management command as a step; what it says goes into the step's log line rather than a line of its own."""

    def run() -> str:
        said = io.StringIO()
        call_command(name, *args, stdout=said)
        return " ".join(said.getvalue().split())

    return run


def _clean_rq_registries() -> str:
    import django_rq
    from rq.registry import clean_registries

    queues = task_queue_names()
    for name in queues:
        clean_registries(django_rq.get_queue(name))
    return f"Cleaned RQ's registries of {', '.join(queues)}."


# From this version `PRAGMA optimize` can look at every table, not only those its own connection has queried.
OPTIMIZE_ALL_TABLES_SINCE = (3, 46, 0)


def _sqlite_statistics() -> str:
    """The statistics SQLite's planner chooses indexes by (sqlite_stat1). Without them it guesses that any index
    narrows a lookup to a few rows, and may read a centre's 100,000 registrations through the centre's index where
    the assessor's or IV's would find their forty (bench/caseload.py, bench/sampling_page.py). SQLite's advice is
    `PRAGMA optimize`, which runs ANALYZE only on tables whose statistics are missing or out of date; before 3.46 it
    only looks at the tables its own connection has queried, none in a fresh command, so there ANALYZE itself runs
    (under a second at a centre of 100,000 learners). Statistics also lead SQLite astray where a column is mostly
    empty (it counts the empty ones as one value): SQLite-only indexes keep those plans (assessments 0021 to 0023,
    people 0007; tests/test_sqlite_plans.py)."""
    with connection.cursor() as cursor:
        if sqlite3.sqlite_version_info >= OPTIMIZE_ALL_TABLES_SINCE:
            cursor.execute("PRAGMA optimize=0x10002")
            return f"PRAGMA optimize on every table (SQLite {sqlite3.sqlite_version})."
        cursor.execute("ANALYZE")
        return f"ANALYZE (SQLite {sqlite3.sqlite_version})."


def _search_tables_rebuild() -> str:
    """SQLite's search indexes (portfolio/text_search.py) rebuilt from their tables: rows written past their
    triggers are found again. About 2 s at a centre of 100,000 learners, holding the database's write lock."""
    return f"Rebuilt {', '.join(search_tables_rebuild()) or 'no search tables'}."


def steps() -> list[tuple[str, Callable[[], str]]]:
    """Each step by name, in order, for the configured task backend."""
    found = [
        ("exports_prune", _command("exports_prune")),
        ("ev_visits_close", _command("ev_visits_close")),
        ("tallies_recount", _command("tallies_recount")),
    ]
    kind = tasks_backend_kind()
    if kind == DATABASE:
        days = str(TASK_RESULTS_KEEP_DAYS)
        found.append(
            ("prune_db_task_results", _command("prune_db_task_results", "--queue-name", "*", "--min-age-days", days))
        )
    elif kind == RQ:
        found.append(("rq_clean_registries", _clean_rq_registries))
    found.append(("clearsessions", _command("clearsessions")))
    if connection.vendor == "sqlite":
        found.append(("search_rebuild", _search_tables_rebuild))
        # Last, so the statistics count the rows the steps above removed.
        found.append(("sqlite_statistics", _sqlite_statistics))
    return found


class Command(BaseCommand):
    help = (
        "Daily housekeeping: expired exports and kept upload files, ended EV visits, centres' tallies recounted, old "
        "task results (database or RQ, whichever TASKS_BACKEND names), expired sessions, and on SQLite the search "
        "indexes rebuilt and the query planner's statistics."
    )

    def handle(self, *args, **options) -> None:
        failed = []
        planned = steps()
        for name, step in planned:
            started = time.perf_counter()
            try:
                said = step()
            except Exception:
                logger.exception(
                    "Maintenance step %s failed", name, extra={"fields": {"step": name, "status": "failed"}}
                )
                failed.append(name)
                continue
            duration = round((time.perf_counter() - started) * 1000, 1)
            logger.info(
                "Maintenance step %s done",
                name,
                extra={"fields": {"step": name, "status": "done", "duration_ms": duration, "said": said}},
            )
        if failed:
            raise CommandError(f"Maintenance steps failed: {', '.join(failed)} (their errors are logged above).")
        logger.info("Maintenance done", extra={"fields": {"steps": [name for name, _ in planned]}})
