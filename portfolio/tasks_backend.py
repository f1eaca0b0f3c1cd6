"""Which kind of queue the site's tasks go to (TASKS_BACKEND), asked by whatever must act differently for each: the
worker command, the daily maintenance and the health check."""

from __future__ import annotations

from typing import Literal

DATABASE, RQ = "database", "rq"


def tasks_backend_kind() -> Literal["database", "rq"] | None:
    """ "database" or "rq" for the default task backend, None for any other (the tests' immediate backend)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends["default"]
    if isinstance(backend, DatabaseBackend):
        return DATABASE
    if type(backend).__module__.startswith("django_tasks_rq"):
        return RQ
    return None


def task_queue_names() -> list[str]:
    from django_tasks import task_backends

    return sorted(task_backends["default"].queues)
