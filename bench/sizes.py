"""Comparing one page at two sizes of centre, side by side in one run: the benchmarks of pages that must not grow
with the centre (registrations, sampling, caseload) share it."""

from __future__ import annotations

import statistics
import time

from harness import percentile95

GOAL = 1.5


def compare(pages: list[tuple[str, object, str, object, str]], runs: int, sizes: tuple[str, str]) -> bool:
    """For each page (label, client at the small centre, its URL, client at the large one, its URL): every round
    requests each once, so a busy moment on the machine falls on both alike. Prints the queries, the median request
    CPU (this process: Python and the template) and the median wall time (which includes the database's own work,
    done in another process on PostgreSQL) at each size, the ratios, and PASS when the queries are the same and
    both ratios are within GOAL. Returns whether every page passed."""
    import logging

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    logging.getLogger("portfolio.requests").setLevel(logging.WARNING)  # a line per request would drown the table
    small, large = sizes
    cpu: dict[tuple[str, int], list[float]] = {}
    wall: dict[tuple[str, int], list[float]] = {}
    queries: dict[tuple[str, int], int] = {}
    for _label, *pairs in pages:
        for side in (0, 1):
            pairs[2 * side].get(pairs[2 * side + 1])  # warm up: sessions, caches
    for _ in range(runs):
        for label, *pairs in pages:
            for side in (0, 1):
                client, url = pairs[2 * side], pairs[2 * side + 1]
                with CaptureQueriesContext(connection) as ctx:
                    start_cpu, start = time.process_time(), time.perf_counter()
                    response = client.get(url)
                    end_cpu, end = time.process_time(), time.perf_counter()
                assert response.status_code == 200, (url, response.status_code)
                cpu.setdefault((label, side), []).append((end_cpu - start_cpu) * 1000)
                wall.setdefault((label, side), []).append((end - start) * 1000)
                queries[(label, side)] = len(ctx.captured_queries)

    print(
        f"{'Page':34} {'queries':>9} {'CPU ms ' + small:>13} {'CPU ms ' + large:>13} {'ratio':>6}"
        f" {'wall ms ' + small:>14} {'wall ms ' + large:>14} {'p95':>7} {'ratio':>6}"
    )
    verdicts = []
    for label, *_ in pages:
        c0, c1 = (statistics.median(cpu[(label, s)]) for s in (0, 1))
        w0, w1 = (statistics.median(wall[(label, s)]) for s in (0, 1))
        q0, q1 = queries[(label, 0)], queries[(label, 1)]
        print(
            f"{label:34} {f'{q0}/{q1}':>9} {c0:13.1f} {c1:13.1f} {c1 / c0:6.2f}"
            f" {w0:14.1f} {w1:14.1f} {percentile95(wall[(label, 1)]):7.1f} {w1 / w0:6.2f}"
        )
        verdicts.append((label, q0 == q1 and c1 / c0 <= GOAL and w1 / w0 <= GOAL, c1 / c0, w1 / w0, q0 == q1))
    print()
    for label, ok, c, w, same in verdicts:
        print(
            f"{'PASS' if ok else 'FAIL'}  {label}: {large} vs {small} CPU {c:.2f}x, wall {w:.2f}x "
            f"(goal <= {GOAL}x), {'same' if same else 'different'} queries"
        )
    return all(ok for _, ok, *_ in verdicts)
