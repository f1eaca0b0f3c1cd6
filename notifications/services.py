"""Open and close notifications, and send emails. Call these inside the transaction of the change they announce:
their emails are queued once it commits and sent by the task worker (notifications/tasks.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import audit_log
from notifications.models import Notification


def _key(target: models.Model) -> tuple[str, str]:
    return target._meta.label_lower, str(target.pk)


def notify(
    *,
    user: Any,
    kind: str,
    target: models.Model,
    title: str,
    url: str,
    centre: Any = None,
    body: str = "",
) -> Notification | None:
    """Tell `user` that `target` needs their action. Nothing new if the same work is already waiting for them.

    The email goes once the change commits, and only if the user has not switched emails off.
    """
    if user is None or not getattr(user, "is_active", True):
        return None
    target_type, target_id = _key(target)
    existing = Notification.objects.filter(
        user=user, kind=kind, target_type=target_type, target_id=target_id, done_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    notification = Notification.objects.create(
        user=user,
        centre=centre,
        kind=kind,
        title=title[:300],
        body=body,
        url=url,
        target_type=target_type,
        target_id=target_id,
    )
    if user.email_notifications and user.email:
        transaction.on_commit(lambda: _enqueue_notification_email(notification.pk))
    return notification


def notifications_done(
    *, target: models.Model, kind: str | None = None, user: Any = None, kinds: Iterable[str] | None = None
) -> int:
    """The work on `target` has been done (or is no longer needed): close what announced it (of `kind`, or of
    any of `kinds`)."""
    target_type, target_id = _key(target)
    open_ = Notification.objects.filter(target_type=target_type, target_id=target_id, done_at__isnull=True)
    return _close(open_, kind=kind, kinds=kinds, user=user)


def notifications_done_among(*, targets: models.QuerySet, kinds: Iterable[str], user: Any = None) -> int:
    """As notifications_done, for every object of `targets` at once, in one query."""
    # Targets are keyed by their primary key as text: compare them as text in the database.
    target_ids = targets.order_by().annotate(key=Cast("pk", models.CharField())).values("key")
    open_ = Notification.objects.filter(
        target_type=targets.model._meta.label_lower, target_id__in=target_ids, done_at__isnull=True
    )
    return _close(open_, kinds=kinds, user=user)


def _close(
    open_: models.QuerySet, *, kind: str | None = None, kinds: Iterable[str] | None = None, user: Any = None
) -> int:
    if kind is not None:
        open_ = open_.filter(kind=kind)
    if kinds is not None:
        open_ = open_.filter(kind__in=list(kinds))
    if user is not None:
        open_ = open_.filter(user=user)
    return open_.update(done_at=timezone.now())


def _enqueue_notification_email(notification_id: int) -> None:
    from notifications.tasks import send_notification_email

    send_notification_email.using(backend=settings.EMAIL_TASKS_BACKEND).enqueue(notification_id)


def notification_email_send(*, notification_id: int) -> None:
    """The worker's part: email the notification, unless it was done, or emailed, before the worker got to it."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.done_at is not None or notification.emailed_at is not None:
        return
    context = {"notification": notification, "site_url": settings.SITE_URL.rstrip("/")}
    send_mail(
        subject=notification.title,
        message=render_to_string("notifications/email.txt", context),
        from_email=None,
        recipient_list=[notification.user.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def _sealer() -> MultiFernet:
    # A key of its own, made from SECRET_KEY (and its fallbacks, so a message queued before the key changed is still
    # read): the body of a queued email may hold a witness's or a set-password link, which is a key to the site, and
    # the queue (the database's task table, or Redis) must not give it to whoever can read the queue.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [salted_hmac("notifications.email", "", secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


def email_send(*, subject: str, body: str, to: list[str]) -> None:
    """Queue an email for the task worker now: for a request that changes nothing (a password reset link)."""
    from notifications.tasks import send_email

    sealed = _sealer().encrypt(json.dumps({"subject": subject, "body": body, "to": list(to)}).encode()).decode()
    send_email.using(backend=settings.EMAIL_TASKS_BACKEND).enqueue(sealed)


def email_send_later(*, subject: str, body: str, to: list[str]) -> None:
    """Email `to` once the current transaction commits (at once outside one), by the task worker. Nothing is sent if
    the transaction rolls back."""
    transaction.on_commit(lambda: email_send(subject=subject, body=body, to=to))


def email_deliver(*, sealed: str) -> None:
    """The worker's part of email_send_later."""
    try:
        message = json.loads(_sealer().decrypt(sealed.encode()))
    except InvalidToken:
        raise ValueError("A queued email could not be opened: was SECRET_KEY changed without a fallback?") from None
    send_mail(subject=message["subject"], message=message["body"], from_email=None, recipient_list=message["to"])


def notification_dismiss(*, notification: Notification) -> bool:
    """Its user puts it aside. The work it announced, if any, is not done by this: their caseload still shows it."""
    return bool(Notification.objects.filter(pk=notification.pk, done_at__isnull=True).update(done_at=timezone.now()))


@transaction.atomic
def email_notifications_set(*, user: Any, enabled: bool, role: str = "") -> bool:
    """Switch the user's notification emails on or off. Returns whether anything changed."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.email_notifications == enabled:
        return False
    user.email_notifications = enabled
    user.save(update_fields=["email_notifications"])
    audit_log(
        actor=user,
        actor_role=role,
        action="notifications.settings_changed",
        target=user,
        summary=f"{user.full_name} switched notification emails {'on' if enabled else 'off'}",
        data={"email_notifications": enabled},
    )
    return True
