"""Stuck work is visible with tasks on RQ too (TASKS_BACKEND=rq): the admin's exports page counts the centre's record
PDFs waiting in the Redis queue longer than TASKS_DELAYED_MINUTES, and marks an export no worker has started.
Against the local Redis, database 11, which nothing else of the project uses; skipped, saying so, without a Redis."""

from __future__ import annotations

import datetime
import os

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from assessments.tasks import render_unit_record
from exports import delays
from exports.delays import exports_delayed, record_renders_delayed
from exports.models import Export
from exports.tests.test_delays import admin_client, status_cell  # noqa: F401 (a fixture)
from exports.tests.test_views import cohort_export, text_of
from tests.factories import PortfolioFactory

REDIS_URL = os.environ.get("TEST_DELAYS_REDIS_URL", "redis://127.0.0.1:6379/11")
SAYS = "Delayed: {n} unit record PDF{s} at this centre {have} waited more than 10 minutes for the background worker"

pytestmark = pytest.mark.django_db


@pytest.fixture
def rq_tasks(settings):
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"No Redis at {REDIS_URL}: the delayed-work checks on RQ cannot run")
        pytest.skip(f"No Redis at {REDIS_URL}: the delayed-work checks on RQ need one")
    connection.flushdb()
    settings.REDIS_URL = REDIS_URL
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    settings.TASKS = {**settings.TASKS, "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.TASKS_DELAYED_MINUTES = 10
    yield connection
    connection.flushdb()
    connection.close()


def _queue():
    import django_rq

    return django_rq.get_queue("default")


def _age(job_id: str, minutes: int) -> None:
    """As if the job was queued `minutes` ago."""
    job = _queue().fetch_job(job_id)
    job.enqueued_at = timezone.now() - datetime.timedelta(minutes=minutes)
    job.save()


def _renders(admin_client) -> str:  # noqa: F811 (the fixture)
    page = admin_client.get(reverse("export_list"))
    assert page.status_code == 200
    return page.content.decode()


def test_record_pdfs_of_the_centre_waiting_in_redis_too_long_are_shown_to_its_admin(admin_client, world, rq_tasks):  # noqa: F811
    elsewhere = PortfolioFactory(centre=world.other_centre)
    second = PortfolioFactory(centre=world.centre)
    jobs = {p.pk: render_unit_record.enqueue(p.pk).id for p in (world.portfolio, elsewhere, second)}
    assert len(_queue()) == 3
    # Just queued: nothing delayed, and the count is a number, not "cannot tell".
    assert record_renders_delayed(world.centre) == 0
    assert 'id="renders-delayed"' not in _renders(admin_client)

    for pk in (world.portfolio.pk, elsewhere.pk):
        _age(jobs[pk], 11)
    # Only this centre's count: the other centre's PDF is its admin's to see.
    assert record_renders_delayed(world.centre) == 1 and record_renders_delayed(world.other_centre) == 1
    assert SAYS.format(n=1, s="", have="has") in text_of(admin_client.get(reverse("export_list")))

    _age(jobs[second.pk], 30)
    page = _renders(admin_client)
    assert page.count('id="renders-delayed"') == 1
    assert SAYS.format(n=2, s="s", have="have") in text_of(admin_client.get(reverse("export_list")))


def test_a_record_pdf_a_worker_has_taken_or_another_task_is_not_counted(world, rq_tasks):
    taken = render_unit_record.enqueue(world.portfolio.pk).id
    _age(taken, 30)
    assert record_renders_delayed(world.centre) == 1
    # A worker takes a job off the queue's list as it starts it.
    _queue().remove(taken)
    assert record_renders_delayed(world.centre) == 0
    # An export's task waiting as long is an export, shown on its own row, not a record PDF.
    export = cohort_export(world)
    from exports.tasks import build_export

    result = build_export.enqueue(str(export.pk))
    _age(result.id, 30)
    assert record_renders_delayed(world.centre) == 0


def test_the_queue_is_read_page_by_page_past_the_first(world, rq_tasks, monkeypatch):
    monkeypatch.setattr(delays, "RQ_PAGE", 2)
    portfolios = [world.portfolio, *(PortfolioFactory(centre=world.centre) for _ in range(4))]
    for p in portfolios:
        _age(render_unit_record.enqueue(p.pk).id, 20)
    assert record_renders_delayed(world.centre) == 5
    # A newer job ends the look: everything queued after it is newer still.
    fresh = PortfolioFactory(centre=world.centre)
    render_unit_record.enqueue(fresh.pk)
    assert record_renders_delayed(world.centre) == 5


def test_an_export_waiting_in_redis_shows_as_delayed_and_one_started_does_not(
    admin_client,  # noqa: F811
    world,
    rq_tasks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        export = cohort_export(world)
    export.refresh_from_db()
    assert export.task_id and _queue().fetch_job(export.task_id) is not None
    then = timezone.now() - datetime.timedelta(minutes=11)
    Export.objects.filter(pk=export.pk).update(created_at=then)
    export.refresh_from_db()
    # The job was queued just now, as a retried one is: it counts from then, not from the row.
    assert exports_delayed([export]) == set()
    assert status_cell(admin_client.get(reverse("export_list")), export) == "Waiting to start"

    _age(export.task_id, 11)
    assert exports_delayed([export]) == {export.pk}
    assert status_cell(admin_client.get(reverse("export_list")), export) == (
        "Delayed No background worker has started it in 10 minutes"
    )

    job = _queue().fetch_job(export.task_id)
    job.started_at = timezone.now()
    job.set_status("started")
    job.save()
    assert exports_delayed([export]) == set()


def test_an_unreachable_redis_leaves_the_page_working(admin_client, world, rq_tasks, settings):  # noqa: F811
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    export = cohort_export(world)
    Export.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=11), task_id="lost-with-redis"
    )
    assert record_renders_delayed(world.centre) is None
    page = _renders(admin_client)
    assert 'id="renders-delayed"' not in page
    # No worker can start it while its queue cannot be reached.
    assert "Delayed" in status_cell(admin_client.get(reverse("export_list")), export)
