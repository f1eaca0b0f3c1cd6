"""Background work no worker has picked up in TASKS_DELAYED_MINUTES, for the centre admin's exports page: an export
still waiting to start, and record PDFs of the centre still waiting to be made. With no worker running (or one
pointed at another queue), the page says so instead of "waiting to start" for ever; /readyz reports the same to the
IT team (portfolio/health.py)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from assessments.models import Portfolio
from assessments.tasks import render_unit_record
from exports.models import Export, ExportStatus
from exports.tasks import build_export
from people.models import Centre


def _cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(minutes=settings.TASKS_DELAYED_MINUTES)


def _waiting_since(export: Export) -> datetime.datetime | None:
    """When the export's task was queued, if no worker has started it; None once one has."""
    if not export.task_id:
        # Never reached the queue (the queue service was down as the request committed): waiting since it was asked.
        return export.created_at
    try:
        result = build_export.get_result(export.task_id)
    except TaskResultDoesNotExist:
        # The queue has lost it (a Redis flushed or restarted without its data): no worker will ever start it.
        return export.created_at
    if result.started_at is not None or result.status != TaskResultStatus.READY:
        return None
    return result.enqueued_at or export.created_at


def exports_delayed(exports: list[Export], now: datetime.datetime | None = None) -> set:
    """The ids of those exports still waiting to start TASKS_DELAYED_MINUTES after they were queued."""
    cutoff = _cutoff(now)
    delayed = set()
    for export in exports:
        # Only a waiting export asks the queue, so a page of finished ones costs nothing more.
        if export.status != ExportStatus.QUEUED or export.created_at > cutoff:
            continue
        since = _waiting_since(export)
        if since is not None and since <= cutoff:
            delayed.add(export.pk)
    return delayed


def record_renders_delayed(centre: Centre, now: datetime.datetime | None = None) -> int | None:
    """How many of the centre's record PDFs have waited TASKS_DELAYED_MINUTES for a worker to make them; None when the
    queue is not the database's, which this cannot look into (/readyz still checks the worker there)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[render_unit_record.backend], DatabaseBackend):
        return None
    waiting = DBTaskResult.objects.ready().filter(
        task_path=render_unit_record.module_path, enqueued_at__lte=_cutoff(now)
    )
    portfolio_ids = {row["args"][0] for row in waiting.values_list("args_kwargs", flat=True) if row.get("args")}
    if not portfolio_ids:
        return 0
    return Portfolio.objects.filter(pk__in=portfolio_ids, centre=centre).count()
