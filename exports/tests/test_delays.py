"""Stuck work is visible: an export, or a centre's record PDF, that no worker has started within
TASKS_DELAYED_MINUTES shows as delayed on the admin's exports page, rather than "waiting to start" for ever."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.tasks import render_unit_record
from exports.models import Export, ExportStatus
from exports.services import export_build
from exports.tests.test_views import cohort_export, text_of
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def queued_export(world, capture, *, minutes_ago: int) -> Export:
    """An export asked for `minutes_ago`, its task on the queue since then, and no worker running."""
    with capture(execute=True):
        export = cohort_export(world)
    export.refresh_from_db()
    assert export.task_id
    then = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    Export.objects.filter(pk=export.pk).update(created_at=then)
    DBTaskResult.objects.filter(pk=export.task_id).update(enqueued_at=then)
    export.refresh_from_db()
    return export


def status_cell(response, export: Export) -> str:
    page = response.content.decode()
    row = page[page.index(reverse("export_detail", args=[export.pk])) :]
    cell = row[: row.index("</tr>")]
    cell = cell[cell.index(">", cell.index('data-label="Status"')) + 1 :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def test_an_export_no_worker_has_started_in_time_shows_as_delayed(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS_DELAYED_MINUTES = 10
    export = queued_export(world, django_capture_on_commit_callbacks, minutes_ago=11)
    listed = admin_client.get(reverse("export_list"))
    assert status_cell(listed, export) == "Delayed No background worker has started it in 10 minutes"
    progress = admin_client.get(reverse("export_progress", args=[export.pk]))
    assert "Delayed: no background worker has started this export in 10 minutes" in text_of(progress)
    # It still polls: once a worker starts it, the page moves on by itself.
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    detail = admin_client.get(reverse("export_detail", args=[export.pk]))
    assert 'id="export-delayed"' in detail.content.decode()


def test_an_export_within_the_time_is_only_waiting(admin_client, world, settings, django_capture_on_commit_callbacks):
    settings.TASKS_DELAYED_MINUTES = 10
    export = queued_export(world, django_capture_on_commit_callbacks, minutes_ago=9)
    listed = admin_client.get(reverse("export_list"))
    assert status_cell(listed, export) == "Waiting to start"
    assert "Delayed" not in text_of(admin_client.get(reverse("export_progress", args=[export.pk])))


def test_an_export_a_worker_has_started_or_finished_is_not_delayed(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS_DELAYED_MINUTES = 10
    export = queued_export(world, django_capture_on_commit_callbacks, minutes_ago=30)
    DBTaskResult.objects.filter(pk=export.task_id).update(status="RUNNING", started_at=timezone.now())
    assert "Delayed" not in text_of(admin_client.get(reverse("export_progress", args=[export.pk])))
    export_build(str(export.pk))
    listed = admin_client.get(reverse("export_list"))
    assert status_cell(listed, export) == "Ready to download"


def test_an_export_that_never_reached_the_queue_shows_as_delayed(admin_client, world, settings):
    settings.TASKS_DELAYED_MINUTES = 10
    export = cohort_export(world)  # its on-commit enqueue never ran: as if the queue service was down
    assert export.task_id == ""
    Export.objects.filter(pk=export.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    assert "Delayed" in status_cell(admin_client.get(reverse("export_list")), export)


def test_a_retried_export_counts_from_when_it_was_queued_again(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS_DELAYED_MINUTES = 10
    export = queued_export(world, django_capture_on_commit_callbacks, minutes_ago=60)
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("export_retry", args=[export.pk]))
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED
    assert "Delayed" not in status_cell(admin_client.get(reverse("export_list")), export)


def test_record_pdfs_of_the_centre_waiting_too_long_are_shown_to_its_admin(admin_client, world, settings):
    settings.TASKS_DELAYED_MINUTES = 10
    elsewhere = PortfolioFactory(centre=world.other_centre)
    for portfolio in (world.portfolio, elsewhere):
        render_unit_record.enqueue(portfolio.pk)
    assert 'id="renders-delayed"' not in admin_client.get(reverse("export_list")).content.decode()

    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=11))
    page = admin_client.get(reverse("export_list"))
    assert (
        "Delayed: 1 unit record PDF at this centre has waited more than 10 minutes for the background worker"
        in text_of(page)
    )
