"""A small production-like site on this machine, for the tests of running on several machines: two gunicorn
instances on two ports, an RQ worker, files in a bucket on the local S3 server (tests/s3.py), the cache and the task
queue in the local Redis, one PostgreSQL database, and one address in front (RoundRobinProxy) that sends each request
to the next instance in turn, as a load balancer without sticky sessions may.

Every process has its own empty MEDIA_ROOT and temporary folder, as separate machines would: anything the code kept
on local disk for a later request would be missing when that request reaches the other instance.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from rq import Worker

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent

# Not passed on by a proxy: they describe the one connection, not the request.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    method: str
    path: str
    status: int
    instance: int


class RoundRobinProxy:
    """One address in front of several web instances: each request goes to the next one in turn, whatever the
    browser's connection or cookies, and every request is noted with the instance that answered it."""

    def __init__(self, upstreams: list[tuple[str, int]]) -> None:
        self.upstreams = upstreams
        self.served: list[Served] = []
        self._turn = itertools.cycle(range(len(upstreams)))
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="round-robin-proxy", daemon=True)

    def start(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def counts(self, *, method: str | None = None) -> Counter:
        return Counter(s.instance for s in self.served if method is None or s.method == method)

    def _next(self) -> int:
        with self._lock:
            return next(self._turn)

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # One request per connection: the browser opens a new one each time, and every request is dealt out.
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # the test's output is no place for an access log
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                if body is not None:
                    headers["Content-Length"] = str(len(body))
                headers["X-Forwarded-For"] = self.client_address[0]
                instance = proxy._next()
                host, port = proxy.upstreams[instance]
                upstream = http.client.HTTPConnection(host, port, timeout=180)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    content = response.read()
                except OSError as error:
                    self.send_error(502, f"instance {instance} did not answer: {error}")
                    proxy.served.append(Served(self.command, self.path, 502, instance))
                    return
                finally:
                    upstream.close()
                proxy.served.append(Served(self.command, self.path, response.status, instance))
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _forward

        return Handler


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


@dataclass
class Cluster:
    """The running site: its processes, the address in front of them, and the environment they share."""

    env: dict[str, str]
    proxy: RoundRobinProxy
    ports: list[int]
    processes: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    def logs(self) -> str:
        return "\n\n".join(f"--- {p.name} (exit {p.popen.poll()}) ---\n{p.tail()}" for p in self.processes)

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """A management command run as on one of the machines (its own MEDIA_ROOT and temporary folder)."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.proxy.stop()


def machine_env(base: dict[str, str], folder: Path) -> dict[str, str]:
    """The shared environment, with this machine's own local folders."""
    (folder / "media").mkdir(parents=True, exist_ok=True)
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    return {**base, "MEDIA_ROOT": str(folder / "media"), "TMPDIR": str(folder / "tmp")}


def start(name: str, command: list[str], env: dict[str, str], folder: Path) -> Process:
    log = folder / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return Process(name, popen, log)


def wait_until(check, *, timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in cluster.processes:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} stopped while waiting for {what}:\n{cluster.logs()}")
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"Timed out waiting for {what}:\n{cluster.logs()}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def start_cluster(base_env: dict[str, str], folder: Path, *, instances: int = 2, workers_each: int = 2) -> Cluster:
    """Collect the static files once (as a release does, into the STATIC_ROOT every machine has the same copy of),
    then start the web instances, the RQ worker and the proxy, and wait for each web instance to answer /healthz
    and for the worker to be listening."""
    ports = [free_port() for _ in range(instances)]
    proxy = RoundRobinProxy([("127.0.0.1", port) for port in ports]).start()
    env = {**base_env, "SITE_URL": proxy.url, "STATIC_ROOT": str(folder / "static")}
    cluster = Cluster(env=env, proxy=proxy, ports=ports)
    try:
        collected = cluster.manage("collectstatic", "--noinput", "-v0")
        if collected.returncode != 0:
            raise RuntimeError(f"collectstatic failed:\n{collected.stderr[-3000:]}")
        for n, port in enumerate(ports):
            here = machine_env(env, folder / f"web-{n}")
            command = [str(BIN / "gunicorn"), "portfolio.wsgi", "--bind", f"127.0.0.1:{port}"]
            command += ["--workers", str(workers_each), "--timeout", "120", "--graceful-timeout", "5"]
            cluster.processes.append(start(f"web-{n}", command, here, folder / f"web-{n}"))
        worker_env = machine_env(env, folder / "worker")
        # The deployed command: the worker of TASKS_BACKEND (rq here), with its heartbeat.
        command = [sys.executable, "manage.py", "tasks_worker"]
        cluster.processes.append(start("worker", command, worker_env, folder / "worker"))
        for port in ports:
            wait_until(
                lambda port=port: answers(f"http://127.0.0.1:{port}/healthz"),
                timeout=60,
                what=f"the instance on port {port}",
                cluster=cluster,
            )
        # The worker has registered itself in Redis (what /readyz looks for) before the first page is asked for.
        queue = redis.Redis.from_url(env["REDIS_URL"])
        try:
            wait_until(lambda: bool(Worker.all(connection=queue)), timeout=60, what="the RQ worker", cluster=cluster)
        finally:
            queue.close()
    except BaseException:
        cluster.stop()
        raise
    return cluster
