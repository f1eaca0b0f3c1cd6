"""Benchmark: the learner's unit page at 1,000 evidence items over HTTP, served by gunicorn on PostgreSQL.

Fills a portfolio of ITEMS evidence items (as bench/evidence_pages.py does), starts gunicorn with persistent
database connections (DATABASE_CONN_MAX_AGE) and a worker count for 2 cores, then loads the unit page and, beside
it, the floor view (the same evidence rows as JSON in one query) with 1, 8 and 32 clients at once, each sending its
next request as soon as the last is answered. Prints requests a second and the median and 95th-percentile latency
for each, and the page's rate as a share of the floor's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py                # SQLite in a temporary folder, for comparison
    ... bench/throughput.py --workers 2 --threads 4     # gthread workers instead of sync ones

The load generator runs on the same machine as the server, so it takes some of the cores it measures: the
figures are the whole machine's, server and clients.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, prepare_postgres, start_django  # noqa: E402
from http_load import load, start_gunicorn  # noqa: E402


def signed_in_cookie(user) -> str:
    """A session for `user` kept in the database, as the Cookie header the clients send."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3: 2 cores + 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads a worker; above 1, gthread workers")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each load (default 8 s)")
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
        prepare_postgres()
        start_django()
        from django.db import connection
        from django.urls import reverse
        from evidence_pages import fill, route_floor

        route_floor()
        portfolio = fill(5, learner_no=1)  # sets the database up
        portfolio = fill(args.items, learner_no=2)
        cookie = signed_in_cookie(portfolio.learner)
        connection.close()  # the server's workers have the database to themselves
        pages = {
            "floor": reverse("bench_floor", args=[portfolio.pk]),
            "unit page": reverse("portfolio_detail", args=[portfolio.pk]),
        }
        kind = f"gthread, {args.threads} threads each" if args.threads > 1 else "sync"
        print(
            f"gunicorn: {args.workers} {kind} workers on {os.cpu_count()} cores, {connection.vendor}, "
            f"persistent connections (CONN_MAX_AGE 600); {args.items} evidence items; {args.seconds:.0f} s a load; "
            f"load average {os.getloadavg()[0]:.1f} at the start\n"
        )
        server = start_gunicorn(args.workers, args.threads)
        try:
            print(f"{'page':10} {'clients':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
            rates: dict[tuple[str, int], float] = {}
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                for label, path in pages.items():
                    result = load(server.port, path, cookie, concurrency, args.seconds)
                    rates[label, concurrency] = result.rate
                    print(
                        f"{label:10} {concurrency:7d} {result.rate:7.1f} {result.p50:8.1f} {result.p95:8.1f} "
                        f"{result.errors:6d}"
                    )
                    time.sleep(1)
            print()
            for (label, concurrency), rate in rates.items():
                if label != "floor" and rate:
                    floor = rates["floor", concurrency]
                    print(
                        f"{label} at {concurrency} clients: {rate:.1f} req/s, {rate / floor:.2f} of the floor's "
                        f"{floor:.1f} (the floor costs {floor / rate:.1f}x less a request)"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
