"""The person's own notifications: the full list and dismissing one. Whether they are also emailed is set on
the account page (people/views/account.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from notifications import services
from notifications.models import Notification
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
