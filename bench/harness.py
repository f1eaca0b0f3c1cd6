"""What every benchmark here shares: settings for a throwaway database, and timing a page in-process."""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def configure(tmp: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portfolio.settings",
            "ENV_FILE": "",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "MEDIA_ROOT": str(tmp / "media"),
        }
    )
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")


def prepare_postgres() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(url)
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def start_django() -> None:
    """Set Django up as the test client needs it, with the noise of sign-ins and missing static files off."""
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    logging.getLogger("axes").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")


def percentile95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up: first request saves the session, fills caches
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return statistics.median(times), percentile95(times), queries


def measure_cpu(client, urls: dict[str, str], runs: int) -> dict[str, tuple[float, float, int]]:
    """The CPU time of requests (the process's, so waiting on anything else costs nothing), side by side: each
    round requests every URL once, so a busy moment on the machine falls on all alike. For each label, the median
    and p95 in ms over `runs` rounds after one warm-up, and the queries of one more request.

    The timed requests run without capturing their queries: Django's capture asks SQLite for each query's text with
    its parameters quoted (a query of its own), which would charge a page with more queries for the instrument. The
    queries are counted in a request of their own after the timing."""
    from django.db import connection
    from django.template import Template
    from django.test.utils import CaptureQueriesContext, _TestState

    for url in urls.values():
        client.get(url)
    times: dict[str, list[float]] = {label: [] for label in urls}
    # Nor with the test environment's template renderer, which sends a signal for each template rendered so that
    # the test client can keep a copy of its context: a cost of the instrument that only pages with templates pay.
    instrumented, Template._render = Template._render, _TestState.saved_data.template_render
    try:
        for _ in range(runs):
            for label, url in urls.items():
                start = time.process_time()
                response = client.get(url)
                times[label].append((time.process_time() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
    finally:
        Template._render = instrumented
    queries: dict[str, int] = {}
    for label, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries[label] = len(ctx.captured_queries)
    return {label: (statistics.median(t), percentile95(t), queries[label]) for label, t in times.items()}


def status_guard_off() -> None:
    """Let a fill set statuses in bulk, as the test session does (conftest.py): on PostgreSQL a trigger refuses any
    status move the sign-off services did not make. Only for a throwaway benchmark database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE assessments_portfolio DISABLE TRIGGER assessments_portfolio_status")


def gather_statistics(*, vacuum: bool = False) -> None:
    """Fresh planner statistics after a fill, as a live database would have them: on PostgreSQL what autovacuum
    gathers after so many inserts (ANALYZE; with `vacuum`, VACUUM ANALYZE, which also merges the trigram indexes'
    pending entries), on SQLite what the daily `manage.py maintenance` gathers (its sqlite_statistics step, as
    nothing on SQLite gathers them by itself)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    elif connection.vendor == "sqlite":
        from portfolio.management.commands.maintenance import steps

        dict(steps())["sqlite_statistics"]()
