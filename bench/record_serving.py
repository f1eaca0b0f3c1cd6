"""Benchmark: serving the unit record PDF, beside WhiteNoise serving a file of the same size.

Builds the portfolio of bench/record_pdf.py (12 evidence items, 3 with a photo). Before anyone signs, downloads
its draft: the first request renders it, the repeats come from the draft cache (keyed by the record's digest).
Then signs it through the services, stores its PDF as the worker would, copies the same bytes into STATIC_ROOT
for WhiteNoise, and requests, side by side in each round: the record view's full download, its revalidation
(If-None-Match, answered 304), WhiteNoise's full download of the same bytes and WhiteNoise's 304. Bodies are read
to the end, as a client would; the queries are counted in a request of their own after the timing. Prints the
request CPU (median and p95), the queries, whether any ran SELECT ... FOR UPDATE, and the ratio to WhiteNoise (and
what the access check of any portfolio page costs on its own, from a bench-only view that answers 204 once it has
passed), with PASS or FAIL against issue 14's goals:
<= 4 queries of the view's own (beyond the session, and the user with their roles, that every signed-in request
reads), no lock, <= 5x WhiteNoise, a second fetch answered 304.

Then the same two files served as production serves them: gunicorn (one sync worker, as deploy/ runs them, with
the request log on and persistent database connections) answering HTTP requests from this process, in rounds that
alternate the record and WhiteNoise. The figure is the worker's CPU a request (the kernel's scheduler count for
every thread of the worker, over each round), which adds what an HTTP server pays for any request to both sides:
reading the request, building the WSGI environ, writing the response to the socket.

    .venv/bin/python bench/record_serving.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/record_serving.py

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, percentile95, prepare_postgres, start_django  # noqa: E402
from http_load import server_env, start_gunicorn  # noqa: E402
from record_pdf import fill, sign_all  # noqa: E402

GOAL_Q, GOAL_RATIO = 4, 5.0
SESSION_AND_USER = 2  # every signed-in request reads these before the view runs: the session, the user with their roles


def access_floor(request, portfolio_id: int):
    """What any page of a portfolio pays before doing anything of its own: the middleware, the session, the user
    and the access check (the portfolio and the viewer's roles), answering 204."""
    from django.http import HttpResponse

    from assessments.access import get_portfolio_for_user

    get_portfolio_for_user(request, portfolio_id)
    return HttpResponse(status=204)


def route_floor() -> None:
    from django.urls import clear_url_caches, path

    import portfolio.urls

    portfolio.urls.urlpatterns.append(path("bench/access/<int:portfolio_id>/", access_floor))
    clear_url_caches()


def fetch(client, url: str, headers: dict | None = None) -> tuple[float, int, int]:
    """One request read to its last byte, without capturing its queries: CPU ms, status, the body's length.

    Timed as `harness.measure_cpu` times pages: Django's query capture asks SQLite for each query's text with its
    parameters quoted (a query of its own) and keeps a log entry for each on any database, a cost of the instrument
    that only the record view, not WhiteNoise, would be charged. The queries are counted by `queries_of`."""
    start = time.process_time()
    response = client.get(url, headers=headers or {})
    size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
    if hasattr(response, "close"):
        response.close()
    return (time.process_time() - start) * 1000, response.status_code, size


def queries_of(client, url: str, headers: dict | None = None) -> tuple[list[str], int]:
    """The SQL of one more request, and how many of its queries are the view's own (beyond the session and user)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fetch(client, url, headers)
    sql = [q["sql"] for q in ctx.captured_queries]
    return sql, max(0, len(sql) - SESSION_AND_USER)


def worker_cpu_ns(pid: int) -> int:
    """Time on a CPU of every thread of a process so far, in ns (Linux's scheduler statistics)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        total += int((task / "schedstat").read_text().split()[0])
    return total


def served_over_http(paths: dict[str, str], cookie: str, rounds: int, batch: int = 100) -> dict[str, list[float]]:
    """Each path's worker CPU a request (ms), one figure a batch, the paths' batches alternating within each round.

    The server logs its requests as production does (the line is part of what any request costs)."""
    import http.client
    import subprocess

    import http_load

    def production_env(conn_max_age: int = 600) -> dict[str, str]:
        return {**server_env(conn_max_age), "LOG_REQUESTS": "true", "LOG_LEVEL": "INFO"}

    http_load.server_env = production_env
    server = start_gunicorn(workers=1, threads=1)
    try:
        worker = int(subprocess.check_output(["pgrep", "-P", str(server.process.pid)]).split()[0])
        headers = {"Cookie": cookie, "Host": "127.0.0.1"}

        def per_request(path: str, n: int) -> float:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            start = worker_cpu_ns(worker)
            for _ in range(n):
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                assert response.status == 200, (path, response.status)
                if response.will_close:  # a sync worker answers one request a connection, as behind a proxy
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            conn.close()
            return (worker_cpu_ns(worker) - start) / n / 1e6

        for path in paths.values():  # warm up: the connection, the caches, the file's first integrity check
            per_request(path, 50)
        figures: dict[str, list[float]] = {label: [] for label in paths}
        for _ in range(rounds):
            for label, path in paths.items():
                figures[label].append(per_request(path, batch))
        return figures
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="rounds of requests after the warm-up (default 200)")
    parser.add_argument("--http-rounds", type=int, default=15, help="rounds over HTTP, 100 requests a batch")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        static_root = Path(tmp) / "static"
        os.environ["STATIC_ROOT"] = str(static_root)
        prepare_postgres()
        start_django()
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from assessments.records.services.renders import record_render_store

        route_floor()

        started = time.perf_counter()
        portfolio = fill(12, 3, sign=False)
        print(f"Built a unit with 12 evidence items (3 with a photo) in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(portfolio.learner)
        url = reverse("record_pdf", args=[portfolio.pk])

        first, status, _ = fetch(client, url)
        assert status == 200, status
        drafts = []
        for _ in range(max(10, args.runs // 10)):
            cpu, status, _ = fetch(client, url)
            assert status == 200, status
            drafts.append(cpu)
        draft_sql, _ = queries_of(client, url)

        portfolio = sign_all(portfolio)
        render = record_render_store(portfolio=portfolio)  # as the worker does once the signature commits
        with render.file.open("rb") as handle:
            pdf = handle.read()
        static_root.joinpath("bench").mkdir(parents=True)
        static_root.joinpath("bench", "record.pdf").write_bytes(pdf)
        static_url = "/static/bench/record.pdf"
        # A new client loads the middleware afresh, so WhiteNoise finds the file just written.
        client = Client()
        client.force_login(portfolio.learner)

        etags = {}
        for label, target in (("view", url), ("whitenoise", static_url)):  # warm up, and learn each ETag
            response = client.get(target)
            assert response.status_code == 200, (target, response.status_code)
            b"".join(response.streaming_content)
            etags[label] = response["ETag"]
        requests = {
            "Record view, full download": (url, None),
            "Record view, revalidated (If-None-Match)": (url, {"if-none-match": etags["view"]}),
            "WhiteNoise, same file, full download": (static_url, None),
            "WhiteNoise, revalidated (If-None-Match)": (static_url, {"if-none-match": etags["whitenoise"]}),
            "Access floor: a portfolio URL answering 204": (f"/bench/access/{portfolio.pk}/", None),
        }
        times: dict[str, list[float]] = {label: [] for label in requests}
        seen: dict[str, tuple[int, list[str], int, int]] = {}
        for _ in range(args.runs):  # side by side: a busy moment on the machine falls on all alike
            for label, (target, headers) in requests.items():
                cpu, status, size = fetch(client, target, headers)
                times[label].append(cpu)
                assert status == seen.setdefault(label, (status, [], size, 0))[0], (label, status)
        for label, (target, headers) in requests.items():
            status, _, size, _ = seen[label]
            sql, own = queries_of(client, target, headers)
            seen[label] = (status, sql, size, own)

        print(f"Database: {connection.vendor}; the stored record is {len(pdf) / 1024:.0f} KiB ({len(pdf):,} bytes)")
        print(f"\n{args.runs} rounds after a warm-up; request CPU time in ms, bodies read to the end\n")
        print(f"{'Request':42} {'status':>6} {'median':>8} {'p95':>8} {'queries':>8} {'own':>4}")
        for label, t in times.items():
            status, sql, _, own = seen[label]
            print(f"{label:42} {status:6} {statistics.median(t):8.2f} {percentile95(t):8.2f} {len(sql):8} {own:4}")
        print(
            f"{'Draft, first request (renders it)':42} {200:6} {first:8.1f} {'':>8} {'':>8}\n"
            f"{'Draft, repeat (from the draft cache)':42} {200:6} {statistics.median(drafts):8.2f} "
            f"{percentile95(drafts):8.2f} {len(draft_sql):8} {max(0, len(draft_sql) - SESSION_AND_USER):4}"
        )

        view = statistics.median(times["Record view, full download"])
        floor = statistics.median(times["WhiteNoise, same file, full download"])
        status, sql, size, own = seen["Record view, full download"]
        locks = [q for label in requests for q in seen[label][1] if "FOR UPDATE" in q.upper()]
        revalidated = seen["Record view, revalidated (If-None-Match)"][0]
        ratio = view / floor
        checks = [
            (f"queries of the view's own <= {GOAL_Q}", f"{own} (+{SESSION_AND_USER}: session, user)", own <= GOAL_Q),
            ("no SELECT ... FOR UPDATE", f"{len(locks)} run", not locks),
            (f"<= {GOAL_RATIO:.0f}x WhiteNoise", f"{ratio:.1f}x ({view:.2f}/{floor:.2f} ms)", ratio <= GOAL_RATIO),
            ("a second fetch is a 304", f"{revalidated}", revalidated == 304),
            ("the whole file streamed", f"{size:,} of {len(pdf):,} bytes", size == len(pdf)),
        ]
        print()
        for goal, figure, passed in checks:
            print(f"{goal:40} {figure:40} {'PASS' if passed else 'FAIL'}")
        access = statistics.median(times["Access floor: a portfolio URL answering 204"])
        print(
            f"{'of which the access floor':40} {f'{access:.2f} ms, {access / floor:.1f}x WhiteNoise':40}\n"
            f"{'the record view beyond it':40} {f'{view - access:.2f} ms, {(view - access) / floor:.1f}x WhiteNoise'}"
        )
        repeat = statistics.median(drafts)
        print(f"{'draft repeat, beside the stored record':40} {f'{repeat / view:.1f}x the stored record':40}")

        from throughput import signed_in_cookie

        served = served_over_http(
            {"Record view": url, "WhiteNoise": static_url}, signed_in_cookie(portfolio.learner), args.http_rounds
        )
        record, whitenoise = (statistics.median(served[label]) for label in ("Record view", "WhiteNoise"))
        print(
            f"\nServed over HTTP by gunicorn (one sync worker, request log on): the worker's CPU a request, "
            f"median of {args.http_rounds} rounds of 100 each\n"
        )
        for label, figures in served.items():
            print(f"{label:42} {statistics.median(figures):8.2f} ms  (rounds {min(figures):.2f}-{max(figures):.2f})")
        ratio = record / whitenoise
        figure = f"{ratio:.1f}x ({record:.2f}/{whitenoise:.2f} ms)"
        verdict = "PASS" if ratio <= GOAL_RATIO else "FAIL"
        print(f"\n{f'served: <= {GOAL_RATIO:.0f}x WhiteNoise':40} {figure:40} {verdict}")


if __name__ == "__main__":
    main()
