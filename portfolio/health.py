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
from datetime import timedelta

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


def delayed_tasks_count() -> int | None:
    """Tasks due to run that no worker has picked up within TASKS_DELAYED_MINUTES, or None when the task backend is
    not the database (its queue is not in the database to look at)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    cutoff = timezone.now() - timedelta(minutes=settings.TASKS_DELAYED_MINUTES)
    # A task is due from when it was queued, or from its run_after when it was queued for later (the records check
    # waits a day); the worker claims the oldest first, so any due task older than the cutoff means none is working.
    waiting = DBTaskResult.objects.ready().filter(enqueued_at__lte=cutoff)
    return waiting.exclude(run_after__gt=cutoff, run_after__lt=get_date_max()).count()


def _worker() -> str:
    delayed = delayed_tasks_count()
    if delayed is None:
        return NOT_CHECKED
    if delayed:
        logger.warning(
            "%d task(s) waiting longer than %d minutes: is the worker (manage.py db_worker) running?",
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
