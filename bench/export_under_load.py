"""Benchmark: the web pages' latency while the worker builds a cohort export, at normal and at lower priority.

Seeds two cohorts of LEARNERS learners (as bench/cohort_export.py does: a few items each, half signed), and a
learner with 1,000 evidence items; starts gunicorn (persistent connections) and measures the unit
page's p95 with CLIENTS clients at once:

  idle                        no export running
  export, normal priority     while `manage.py db_worker --batch` builds the first cohort's export
  export, nice 10             while the worker, started under `nice -n 10` as deploy/ starts it, builds the second's

Each export is a cold one (nothing stored yet), so the two do the same work. For each, the worker's CPU time and peak
memory (from the kernel's accounting of the finished process), and both scaled to 500 learners (the export's
work is one record a learner, so it grows in proportion; say which size was measured).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench .venv/bin/python bench/export_under_load.py
    .venv/bin/python bench/export_under_load.py          # SQLite in a temporary folder, shared by web and worker
    ... bench/export_under_load.py --learners 500        # the goal's size, if there is the time (about 10 min)

Goals (issue 14): a cohort export of 500 learners within 10 minutes of worker CPU and 500 MB peak memory; the web
p95 during an export within 1.5x of idle.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, configure, percentile95, prepare_postgres, start_django  # noqa: E402
from http_load import load, server_env, start_gunicorn  # noqa: E402

GOAL_CPU_MINUTES, GOAL_MB, GOAL_P95 = 10.0, 500.0, 1.5
NICE = 10


def run_worker(niceness: int | None) -> tuple[float, float, float]:
    """`manage.py db_worker --batch` (every queued task, then exit), under `nice` if asked, as its own process.
    Returns its wall time, CPU time (user and system) in seconds, and peak resident memory in MB."""
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
    if niceness is not None:
        command = ["nice", "-n", str(niceness), *command]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)  # the rusage of this process alone, not all children's
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"the worker exited with {process.returncode}"
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def web_during(port: int, path: str, cookie: str, clients: int, until: threading.Event) -> list[float]:
    """The unit page's latencies, loaded by `clients` clients in slices of 2 s until `until` is set."""
    latencies: list[float] = []
    while not until.is_set():
        latencies += load(port, path, cookie, clients, 2.0, warmup=0).latencies_ms
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=60, help="learners in each cohort (default 60)")
    parser.add_argument("--items", type=int, default=6, help="evidence items a learner (default 6)")
    parser.add_argument("--clients", type=int, default=2, help="web clients at once (default 2)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from cohort_export import seed
        from django.db import connection
        from django.urls import reverse
        from evidence_pages import fill
        from throughput import signed_in_cookie

        from exports.models import Export, ExportKind
        from exports.services import export_request
        from people.models import Role

        started = time.perf_counter()
        portfolio = fill(1000, learner_no=1)
        cohorts = [seed(args.learners, args.items, centre_number=f"9100{n}", prefix=f"c{n}-") for n in (1, 2)]
        print(
            f"Seeded a learner with 1,000 items and two cohorts of {args.learners} learners x {args.items} items "
            f"in {time.perf_counter() - started:.0f} s on {connection.vendor}"
        )
        cookie = signed_in_cookie(portfolio.learner)
        path = reverse("portfolio_detail", args=[portfolio.pk])
        connection.close()
        run_worker(None)  # the signed records' renders the seeding queued: not part of any export
        # A worker with nothing to do: its start-up (Django, WeasyPrint) is taken off each export's CPU before scaling.
        base_cpu = run_worker(None)[1]
        server = start_gunicorn(args.workers, 1)
        try:
            print(
                f"gunicorn {args.workers} workers; the unit page (1,000 items) with {args.clients} clients at once; "
                f"load average {os.getloadavg()[0]:.1f}\n"
            )
            idle = load(server.port, path, cookie, args.clients, args.idle_seconds).latencies_ms
            rows = [("idle", percentile95(idle), len(idle), None)]
            for (admin, centre, portfolios), niceness in zip(cohorts, (None, NICE), strict=True):
                export = export_request(
                    actor=admin,
                    role=Role.ADMIN,
                    centre=centre,
                    kind=ExportKind.COHORT,
                    portfolios=portfolios,
                    description="bench",
                )
                connection.close()
                done = threading.Event()
                latencies: list[float] = []
                loader = threading.Thread(
                    target=lambda into=latencies, until=done: into.extend(
                        web_during(server.port, path, cookie, args.clients, until)
                    )
                )
                loader.start()
                figures = run_worker(niceness)
                done.set()
                loader.join()
                assert Export.objects.get(pk=export.pk).status == "done"
                label = "export, normal priority" if niceness is None else f"export, nice {niceness}"
                rows.append((label, percentile95(latencies), len(latencies), figures))
            idle_after = load(server.port, path, cookie, args.clients, args.idle_seconds).latencies_ms
            rows.append(("idle again", percentile95(idle_after), len(idle_after), None))
        finally:
            server.stop()

    idle_p95 = (rows[0][1] + rows[-1][1]) / 2
    print(f"{'':26} {'web p95 ms':>10} {'x idle':>7} {'requests':>8} {'worker s':>9} {'CPU s':>7} {'peak MB':>8}")
    for label, p95, count, figures in rows:
        worker = f"{figures[0]:9.1f} {figures[1]:7.1f} {figures[2]:8.0f}" if figures else ""
        print(f"{label:26} {p95:10.1f} {p95 / idle_p95:7.2f} {count:8d} {worker}")
    print()
    scale = 500 / args.learners
    for label, p95, _count, figures in rows:
        if figures:
            ratio = p95 / idle_p95
            print(
                f"{'PASS' if ratio <= GOAL_P95 else 'FAIL'}  {label}: web p95 {ratio:.2f}x idle (goal <= {GOAL_P95}x)"
            )
            cpu_minutes = (base_cpu + (figures[1] - base_cpu) * scale) / 60
            print(
                f"{'PASS' if cpu_minutes <= GOAL_CPU_MINUTES else 'FAIL'}  {label}: worker CPU {figures[1]:.1f} s "
                f"for {args.learners} learners ({base_cpu:.1f} s of it starting up), {cpu_minutes:.1f} min scaled "
                f"to 500 (goal <= {GOAL_CPU_MINUTES:.0f})"
            )
            print(
                f"{'PASS' if figures[2] <= GOAL_MB else 'FAIL'}  {label}: worker peak memory {figures[2]:.0f} MB "
                f"at {args.learners} learners (goal <= {GOAL_MB:.0f} MB at 500: compare two sizes, or run "
                f"--learners 500)"
            )


if __name__ == "__main__":
    main()
