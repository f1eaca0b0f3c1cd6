"""The database task queue's workers say they are alive (portfolio.models.WorkerHeartbeat): `manage.py tasks_worker`
beats when it starts and then every HEARTBEAT_SECONDS from a thread of its own, for as long as the worker runs, even
through a long export. /readyz reports the worker as not running when every worker it has heard from has gone quiet.
A site whose workers were never started by tasks_worker has no rows, and /readyz then judges by the queue alone."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from types import TracebackType

from django.db import connections
from django.utils import timezone

from portfolio.models import WorkerHeartbeat

logger = logging.getLogger("portfolio.tasks")

HEARTBEAT_SECONDS = 30
# Quiet for this long, a worker has stopped: four beats missed, so a slow database does not make it look dead.
STALE_AFTER = timedelta(seconds=HEARTBEAT_SECONDS * 4)
# Rows of workers gone this long are removed by the next worker that starts (never while none is alive).
FORGET_AFTER = timedelta(days=1)


def beat(*, worker_id: str, started_at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def workers_alive() -> bool | None:
    """Whether a database-queue worker has beaten lately: None when none ever has (the queue alone can tell)."""
    rows = WorkerHeartbeat.objects.all()
    if not rows.exists():
        return None
    return rows.filter(seen_at__gte=timezone.now() - STALE_AFTER).exists()


class Heartbeat:
    """`with Heartbeat(worker_id):` around a worker's run: beats at once (so the worker counts as alive from its
    start), then every `every` seconds until the block ends."""

    def __init__(self, worker_id: str, every: float = HEARTBEAT_SECONDS) -> None:
        self.worker_id = worker_id
        self.every = every
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{worker_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        beat(worker_id=self.worker_id, started_at=self.started_at)
        WorkerHeartbeat.objects.filter(seen_at__lt=timezone.now() - FORGET_AFTER).delete()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    beat(worker_id=self.worker_id, started_at=self.started_at)
                except Exception:
                    # The next beat tries again; a database that stays away fails /readyz's own check anyway.
                    logger.warning("Worker heartbeat not recorded", exc_info=True)
        finally:
            # This thread's own database connection.
            connections.close_all()
