"""Background work of the quality app, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def close_ended_ev_visits() -> None:
    from quality.services.visits import ev_visits_close

    ev_visits_close()
