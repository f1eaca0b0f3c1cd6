"""The export task, run by the worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def build_export(export_id: str) -> None:
    from exports.services import export_build

    export_build(export_id)
