"""Emails are sent by the task worker once the change they announce has committed, never inside the web request's
transaction, and what waits in the queue cannot be read there."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from assessments.models import Evidence
from assessments.tests.test_witness_views import form_data as witness_form
from assessments.tests.test_witness_views import link_in
from notifications.models import Notification
from notifications.services import email_deliver, email_send_later, notifications_done, notify
from notifications.tasks import send_email
from people.models import Role
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_the_worker(settings):
    """Emails queued on the real task queue (the database), as in production, rather than sent at once."""
    settings.EMAIL_TASKS_BACKEND = "default"


def commit(callbacks, capture) -> None:
    """Run what waited for the commit, and what that in turn queues for after it."""
    with capture(execute=True):
        for callback in callbacks:
            callback()


def witness_item(client, world) -> Evidence:
    """A learner adds witness testimony through the page, which emails the witness their link."""
    client.force_login(world.learner)
    response = client.post(reverse("evidence_add", args=[world.portfolio.pk]), witness_form())
    assert response.status_code == 302
    return Evidence.objects.get(portfolio=world.portfolio)


def test_the_witness_email_is_not_sent_inside_the_request_but_once_it_commits(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        witness_item(client, world)
    # The request is over and its transaction not yet committed: nothing has gone.
    assert mail.outbox == []
    assert callbacks
    commit(callbacks, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["sam@shop.example"]]
    assert link_in(mail.outbox[0])


def test_nothing_is_sent_when_the_change_is_rolled_back(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                email_send_later(subject="Your link", body="Not to be sent", to=["someone@example.org"])
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    assert mail.outbox == []


def test_on_the_worker_the_email_waits_in_the_queue_sealed_until_the_worker_sends_it(
    client, world, on_the_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        witness_item(client, world)
    assert mail.outbox == []
    queued = DBTaskResult.objects.get(task_path=send_email.module_path)
    stored = str(queued.args_kwargs)
    # The link is a key to the witness's answer: whoever reads the queue must not be able to use it.
    assert "sam@shop.example" not in stored and "/witness/" not in stored and "Sam Supervisor" not in stored

    run_worker()
    assert [m.to for m in mail.outbox] == [["sam@shop.example"]]
    assert link_in(mail.outbox[0])
    assert mail.outbox[0].subject == "Please confirm your witness statement for Lena Learner"


def test_a_password_reset_link_is_sent_by_the_worker(client, world, on_the_worker):
    response = client.post(reverse("password_reset"), {"email": world.learner.email})
    assert response.status_code == 302
    assert mail.outbox == []
    run_worker()
    assert [m.to for m in mail.outbox] == [[world.learner.email]]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_a_notification_done_before_the_worker_runs_is_not_emailed(
    world, on_the_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kept = notify(user=world.assessor, kind="review", target=world.portfolio, title="Review E1", url="/")
        dropped = notify(user=world.iv, kind="review", target=world.portfolio, title="Sample it", url="/")
    assert mail.outbox == []
    notifications_done(target=world.portfolio, user=world.iv)
    run_worker()
    assert [(m.to, m.subject) for m in mail.outbox] == [([world.assessor.email], "Review E1")]
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert kept.emailed_at is not None and dropped.emailed_at is None
    assert Notification.objects.filter(user=world.iv, emailed_at__isnull=True).exists()


def test_a_queued_email_is_still_read_after_the_secret_key_changes_with_the_old_one_kept_as_a_fallback(
    world, settings, on_the_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email_send_later(subject="Your link", body="The link", to=["someone@example.org"])
    sealed = DBTaskResult.objects.get().args_kwargs["args"][0]
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old]
    email_deliver(sealed=sealed)
    assert [(m.subject, m.body) for m in mail.outbox] == [("Your link", "The link")]
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="could not be opened"):
        email_deliver(sealed=sealed)


def test_an_admin_adding_a_person_sends_the_set_password_email_after_the_commit(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("centre_person_add"),
            {"email": "new.person@example.org", "full_name": "New Person", "role": Role.LEARNER, "qualification": ""},
        )
    assert response.status_code == 302
    assert mail.outbox == []
    commit(callbacks, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["new.person@example.org"]]
