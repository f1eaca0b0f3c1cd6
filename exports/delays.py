"""Background work no worker has picked up in TASKS_DELAYED_MINUTES, for the centre admin's exports page: an export
still waiting to start, and record PDFs of the centre still waiting to be made. With no worker running (or one
pointed at another queue), the page says so instead of "waiting to start" for ever; /readyz reports the same to the
IT team (portfolio/health.py). Both task queues are looked into: the database's (TASKS_BACKEND=database) and
Redis's (TASKS_BACKEND=rq)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from redis.exceptions import RedisError

from assessments.models import Portfolio
from assessments.tasks import render_unit_record
from exports.models import Export, ExportStatus
from exports.tasks import build_export
from people.models import Centre
from portfolio.tasks_backend import DATABASE, RQ, tasks_backend_kind

logger = logging.getLogger("exports.delays")


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
    except RedisError:
        # RQ's Redis cannot be reached: no worker can start it either. /readyz tells the IT team why.
        logger.warning("The task queue's Redis could not be reached to see whether export %s has started", export.pk)
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


# Job ids read from Redis at a time, each page fetched in one round trip.
RQ_PAGE = 500


def _db_waiting(cutoff: datetime.datetime) -> set[int]:
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().filter(task_path=render_unit_record.module_path, enqueued_at__lte=cutoff)
    return {row["args"][0] for row in waiting.values_list("args_kwargs", flat=True) if row.get("args")}


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # RQ stamps its jobs in UTC, with or without the zone depending on its version.
    return moment.replace(tzinfo=datetime.UTC) if timezone.is_naive(moment) else moment


def _rq_waiting(cutoff: datetime.datetime) -> set[int]:
    """The portfolios whose record PDF job sits in the RQ queue, not taken by a worker, since before the cutoff. A
    job a worker has taken leaves the queue's list, so whatever is in it is waiting."""
    import django_rq

    queue = django_rq.get_queue(render_unit_record.queue_name)
    waiting: set[int] = set()
    offset = 0
    while ids := queue.get_job_ids(offset, RQ_PAGE):
        jobs = queue.job_class.fetch_many(ids, connection=queue.connection, serializer=queue.serializer)
        for job in jobs:
            if job is None or job.enqueued_at is None:  # expired or deleted since the ids were read
                continue
            if _aware(job.enqueued_at) > cutoff:
                # Oldest first (no task here is queued at the front), so every later job is newer still.
                return waiting
            if job.func_name == render_unit_record.module_path and job.args:
                waiting.add(job.args[0])
        offset += len(ids)
    return waiting


def record_renders_delayed(centre: Centre, now: datetime.datetime | None = None) -> int | None:
    """How many of the centre's record PDFs have waited TASKS_DELAYED_MINUTES for a worker to make them, in the
    database's queue or RQ's; None when the queue is another (the tests' immediate one), with nothing to look into."""
    kind = tasks_backend_kind()
    if kind == DATABASE:
        portfolio_ids = _db_waiting(_cutoff(now))
    elif kind == RQ:
        try:
            portfolio_ids = _rq_waiting(_cutoff(now))
        except RedisError:
            # The page still opens; /readyz reports the queue failing to the IT team.
            logger.warning("The task queue's Redis could not be reached to count delayed record PDFs")
            return None
    else:
        return None
    if not portfolio_ids:
        return 0
    return Portfolio.objects.filter(pk__in=portfolio_ids, centre=centre).count()
