"""The person's own account settings: whether what needs their action is also emailed. The setting and its service
are notifications'; the page is here, with the account, because the audit row names the role the person is acting
in, which notifications (below every app) may not ask people for."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notifications import services
from notifications.forms import NotificationSettingsForm
from people.access import active_role


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            role = active_role(request)
            services.email_notifications_set(
                user=user, enabled=form.cleaned_data["email_notifications"], role=role.role if role else ""
            )
            messages.success(request, "Your notification settings are saved.")
            return redirect("notification_settings")
    else:
        form = NotificationSettingsForm(initial={"email_notifications": user.email_notifications})  # type: ignore[union-attr]
    return render(request, "notifications/settings.html", {"form": form})
