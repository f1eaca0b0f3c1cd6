"""Run the real task worker (`manage.py db_worker --batch`) inside a test.

The worker calls `close_old_connections` between tasks, which drops a connection found inside a transaction:
right for production, fatal to a test wrapped in one on PostgreSQL. Inside tests that call is a no-op; claiming,
running and recording each task is the worker's own code.
"""

from __future__ import annotations

from unittest import mock

from django.core.management import call_command


def run_worker() -> None:
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, verbosity=0)
