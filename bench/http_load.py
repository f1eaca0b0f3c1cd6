"""What the HTTP benchmarks share: gunicorn serving the app (with the floor view) on a free local port, and a small
closed-loop load generator (threads, one keep-alive connection each) that reports requests a second and latency."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness import ROOT, percentile95

BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(conn_max_age: int = 600) -> dict[str, str]:
    """The environment gunicorn runs the app with: the benchmark's settings (configure() has set them in this
    process), persistent database connections, and request log lines kept out of the way."""
    env = dict(os.environ)
    env.update(
        {
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_CONN_MAX_AGE": str(conn_max_age),
            "LOG_LEVEL": "WARNING",
            "LOG_REQUESTS": "false",
            "PYTHONWARNINGS": "ignore::UserWarning",  # no collected static files here: none are requested
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        }
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_gunicorn(workers: int, threads: int, conn_max_age: int = 600) -> Server:
    """gunicorn on a free port serving bench/floor_wsgi.py (the app plus the floor view), waiting until it answers.
    With threads > 1 the workers are gthread ones, which keep connections alive between requests."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "floor_wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(conn_max_age), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return Server(process, port)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited before answering") from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not answer within 60 s")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        values = sorted(self.latencies_ms)
        return values[len(values) // 2] if values else float("nan")

    @property
    def p95(self) -> float:
        return percentile95(self.latencies_ms) if self.latencies_ms else float("nan")


def load(port: int, path: str, cookie: str, concurrency: int, seconds: float, warmup: int = 2) -> LoadResult:
    """`concurrency` clients each requesting `path` again as soon as the last answer arrived, for `seconds`."""
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "Connection": "keep-alive"}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = 0.0

    def one(conn: http.client.HTTPConnection) -> tuple[http.client.HTTPConnection, int]:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            return conn, response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            return http.client.HTTPConnection("127.0.0.1", port, timeout=120), 0

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(warmup):
            conn, _status = one(conn)
        barrier.wait()
        go.wait()
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            conn, status = one(conn)
            mine.append((time.perf_counter() - start) * 1000)
            bad += status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    barrier = threading.Barrier(concurrency + 1)  # every client warmed up
    go = threading.Event()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    stop_at = started + seconds  # set before the clients are let go, so each reads it
    go.set()
    for thread in threads:
        thread.join()
    return LoadResult(len(latencies), time.perf_counter() - started, latencies, errors)
