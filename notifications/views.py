"""The person's own notifications: the full list, dismissing one, and whether they are also emailed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from notifications import services
from notifications.forms import NotificationSettingsForm
from notifications.models import Notification
from people.access import active_role
from portfolio.redirects import same_site_path

PER_PAGE = 25


def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(user=request.user).order_by(
        F("done_at").desc(nulls_first=True), "-created_at", "-pk"
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_dismiss(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Someone else's notification is not theirs to know of: 404, as for anything they have no link to.
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    if services.notification_dismiss(notification=notification):
        messages.success(request, f"Dismissed: {notification.title}")
    # Back where they were when that is a page of this site; anything else ("abc", another site) goes to the list.
    return redirect(same_site_path(request.POST.get("next", ""), request) or reverse("notification_list"))


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
