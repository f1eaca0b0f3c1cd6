"""Health checks for load balancers and monitoring: /healthz (the process answers) and /readyz (it can do its
work: database, file storage, cache and the task worker).

Both answer before any other middleware (HealthCheckMiddleware, first in MIDDLEWARE): a probe comes from the load
balancer by the machine's own address and over plain HTTP, so the host check and the HTTPS redirect would refuse it,
and it needs no session. The answers are fixed words only: no host names, versions or exception text, since anyone
may ask. What failed, and why, goes to the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

logger = logging.getLogger("portfolio.health")

OK, FAILING, DELAYED, NOT_CHECKED = "ok", "failing", "delayed", "not checked"
# No worker is listening to the queue (RQ's list of live workers, or the database workers' heartbeats): what is
# queued waits until one starts.
NOT_RUNNING = "not running"
# How far into an RQ queue the delayed count looks: the oldest jobs are first, and one delayed is enough to know.
RQ_LOOK_AHEAD = 500


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return OK if cursor.fetchone() == (1,) else FAILING


def _storage() -> str:
    # Written and removed through the same storage as evidence, so a full disk, a read-only mount or a bucket the
    # credentials cannot write to all show here.
    name = default_storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(b"ready"))
    try:
        with default_storage.open(name, "rb") as probe:
            readable = probe.read() == b"ready"
    finally:
        default_storage.delete(name)
    return OK if readable else FAILING


def _cache() -> str:
    key = f"health:probe:{uuid.uuid4().hex}"
    cache.set(key, "ready", 30)
    try:
        return OK if cache.get(key) == "ready" else FAILING
    finally:
        cache.delete(key)


def _rq_backend():
    """The default task backend when it is RQ's, else None."""
    from django_tasks import task_backends

    backend = task_backends["default"]
    return backend if type(backend).__module__.startswith("django_tasks_rq") else None


def _rq_queues(backend) -> list:
    import django_rq

    return [django_rq.get_queue(name) for name in sorted(backend.queues)]


def _rq_delayed(backend, cutoff) -> int:
    """Jobs in the backend's queues enqueued before the cutoff and not yet taken by a worker. A job set for later
    waits in the scheduler's registry, not the queue, and is enqueued (and stamped) only when it falls due."""
    delayed = 0
    for queue in _rq_queues(backend):
        for job in queue.get_jobs(0, RQ_LOOK_AHEAD - 1):
            enqueued = job.enqueued_at
            if enqueued is not None and _aware(enqueued) <= cutoff:
                delayed += 1
    return delayed


def _aware(moment: datetime) -> datetime:
    # RQ stamps its jobs in UTC, with or without the zone depending on its version.
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment


def delayed_tasks_count() -> int | None:
    """Tasks due to run that no worker has picked up within TASKS_DELAYED_MINUTES, or None when the task backend's
    queue is neither the database nor RQ's (there is nothing to look into)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    cutoff = timezone.now() - timedelta(minutes=settings.TASKS_DELAYED_MINUTES)
    rq_backend = _rq_backend()
    if rq_backend is not None:
        return _rq_delayed(rq_backend, cutoff)
    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    # A task is due from when it was queued, or from its run_after when it was queued for later (the records check
    # waits a day); the worker claims the oldest first, so any due task older than the cutoff means none is working.
    waiting = DBTaskResult.objects.ready().filter(enqueued_at__lte=cutoff)
    return waiting.exclude(run_after__gt=cutoff, run_after__lt=get_date_max()).count()


def _rq_worker_listening(backend) -> bool:
    """Whether every queue the tasks go to has at least one live RQ worker. A worker registers itself in Redis with
    a key it renews by its heartbeat; one that stops cleanly removes it, one that dies lets it expire (RQ's worker
    TTL), so a worker that is not running drops out of this list by itself. (Worker.count would still count a dead
    worker's name, left in the queue's set until some worker cleans it up.)"""
    from rq import Worker

    return all(Worker.all(queue=queue) for queue in _rq_queues(backend))


def _db_workers_gone() -> bool:
    """Whether every database-queue worker that has said it is alive has since gone quiet (portfolio/heartbeat.py).
    With no worker ever heard from (one started by `db_worker` itself), the queue alone tells."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from portfolio.heartbeat import workers_alive

    return isinstance(task_backends["default"], DatabaseBackend) and workers_alive() is False


def _worker() -> str:
    rq_backend = _rq_backend()
    if rq_backend is not None and not _rq_worker_listening(rq_backend):
        logger.warning("No RQ worker is listening to the task queue: is `manage.py tasks_worker` running?")
        return NOT_RUNNING
    if rq_backend is None and _db_workers_gone():
        logger.warning("No task worker has said it is alive lately: is `manage.py tasks_worker` running?")
        return NOT_RUNNING
    delayed = delayed_tasks_count()
    if delayed is None:
        return NOT_CHECKED
    if delayed:
        logger.warning(
            "%d task(s) waiting longer than %d minutes: is the worker (manage.py tasks_worker) running?",
            delayed,
            settings.TASKS_DELAYED_MINUTES,
        )
        return DELAYED
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "storage": _storage,
    "cache": _cache,
    "worker": _worker,
}


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # The site's own headers come from middleware these answers skip; JSON needs none of what a page may load.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not get every web process
    restarted by its supervisor."""
    return _no_store(JsonResponse({"status": OK}))


@login_not_required
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when every check passes (a check that does not apply, such as the worker's queue on another
    task backend, is "not checked"), otherwise 503 so the load balancer sends requests elsewhere."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:
            logger.exception("Readiness check %r failed", name)
            results[name] = FAILING
    ready = all(result in (OK, NOT_CHECKED) for result in results.values())
    response = JsonResponse({"status": OK if ready else FAILING, "checks": results}, status=200 if ready else 503)
    # Each failing check has logged why; Django's own "Service Unavailable" line for every probe, mailed to ADMINS,
    # would flood them for as long as the outage lasts.
    response._has_been_logged = True
    return _no_store(response)


PATHS = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answers the health paths before the host check, the HTTPS redirect, sessions and sign-in run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = PATHS.get(request.path_info.rstrip("/") or "/")
        return view(request) if view is not None else self.get_response(request)
