"""Background work of the assessments app, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from assessments.models import Portfolio


@task()
def render_unit_record(portfolio_id: int) -> None:
    from assessments.records.services.renders import record_render_store

    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is not None:
        record_render_store(portfolio=portfolio)


@task()
def verify_records_regularly() -> None:
    """Check every record, tell the centre admins of any break, and come back in RECORDS_VERIFY_HOURS."""
    from assessments.records.services.integrity import records_verify_and_notify, records_verify_schedule

    try:
        records_verify_and_notify()
    finally:
        records_verify_schedule(force=True)
