"""`manage.py tasks_worker`: the task worker for whichever queue TASKS_BACKEND names, so the systemd unit, compose file
and README give one command that stays right when the setting changes (db_worker alone takes nothing from RQ's queue,
and rqworker nothing from the database's)."""

from __future__ import annotations

import logging

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from portfolio.heartbeat import Heartbeat
from portfolio.tasks_backend import DATABASE, RQ, task_queue_names, tasks_backend_kind

logger = logging.getLogger("portfolio.tasks")


class Command(BaseCommand):
    help = (
        "Run the task worker of the configured TASKS_BACKEND: django-tasks' db_worker for the database, "
        "RQ's worker (with its scheduler, for tasks queued for later) for TASKS_BACKEND=rq."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-tasks",
            type=int,
            default=None,
            help="Stop after this many tasks, so a supervisor starts a fresh process (WeasyPrint's memory back).",
        )
        parser.add_argument("--burst", action="store_true", help="Run the tasks due now, then stop.")

    def handle(self, *args, max_tasks: int | None, burst: bool, verbosity: int, **options) -> None:
        kind = tasks_backend_kind()
        queues = task_queue_names()
        if kind is None:
            raise CommandError("The default task backend is neither the database nor RQ: it has no worker to run.")
        logger.info(
            "Task worker starting: %s, queues %s",
            kind,
            ", ".join(queues),
            extra={"fields": {"backend": kind, "queues": queues, "max_tasks": max_tasks}},
        )
        if kind == DATABASE:
            # The database queue keeps no list of its workers, as RQ's does: each says it is alive (/readyz asks).
            worker_id = get_random_string(32)
            argv = ["--queue-name", ",".join(queues), "--worker-id", worker_id]
            argv += ["--max-tasks", str(max_tasks)] if max_tasks else []
            argv += ["--batch"] if burst else []
            with Heartbeat(worker_id):
                call_command("db_worker", *argv, verbosity=verbosity)
        elif kind == RQ:
            argv = [*queues, "--with-scheduler"]
            argv += ["--max-jobs", str(max_tasks)] if max_tasks else []
            argv += ["--burst"] if burst else []
            call_command("rqworker", *argv, verbosity=verbosity)
