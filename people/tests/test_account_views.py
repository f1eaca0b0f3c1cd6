"""The account settings page: whether what needs the person's action is also emailed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_settings_page_has_a_labelled_checkbox_ticked_by_default(client, world):
    client.force_login(world.learner)
    page = client.get(reverse("notification_settings")).content.decode()

    label = '<label class="form-check-label" for="id_email_notifications">Email me when something needs my action'
    assert label in page
    assert 'id="id_email_notifications" aria-describedby="email-notifications-help" checked>' in page
    assert "learner@example.org" in page


def test_unticking_saves_with_a_message_and_an_audit_row_and_ticking_again_turns_emails_back_on(client, world):
    client.force_login(world.learner)

    response = client.post(reverse("notification_settings"), {}, follow=True)

    assert response.redirect_chain == [(reverse("notification_settings"), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Your notification settings are saved."]
    world.learner.refresh_from_db()
    assert world.learner.email_notifications is False
    assert 'aria-describedby="email-notifications-help">' in response.content.decode()
    [event] = AuditEvent.objects.filter(action="notifications.settings_changed")
    assert (event.actor, event.data) == (world.learner, {"email_notifications": False})

    client.post(reverse("notification_settings"), {"email_notifications": "on"})

    world.learner.refresh_from_db()
    assert world.learner.email_notifications is True
    assert AuditEvent.objects.filter(action="notifications.settings_changed").count() == 2


def test_saving_without_a_change_leaves_no_audit_row(client, world):
    client.force_login(world.learner)
    client.post(reverse("notification_settings"), {"email_notifications": "on"})
    assert not AuditEvent.objects.filter(action="notifications.settings_changed").exists()
