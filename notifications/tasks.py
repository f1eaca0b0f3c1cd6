"""Emails, sent by the task worker once the change they announce has committed, never during the web request: a slow
or failing mail server then holds up no page, and an email never announces a change that was rolled back."""

from __future__ import annotations

from django_tasks import task


@task()
def send_email(sealed: str) -> None:
    from notifications.services import email_deliver

    email_deliver(sealed=sealed)


@task()
def send_notification_email(notification_id: int) -> None:
    from notifications.services import notification_email_send

    notification_email_send(notification_id=notification_id)
