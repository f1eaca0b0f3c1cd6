from __future__ import annotations

from django import forms


class NotificationSettingsForm(forms.Form):
    email_notifications = forms.BooleanField(
        label="Email me when something needs my action",
        required=False,
        help_text="Your dashboard lists what needs your action either way.",
    )
