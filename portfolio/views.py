"""Pages the project itself answers with, whichever app the request was for."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from portfolio.redirects import same_site_path


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: the site's own page, in plain words, with a way back.

    Django's reason is for the log, not for the person: the usual causes are a page left open while the session
    changed, and cookies blocked for this site."""
    came_from = same_site_path(request.headers.get("referer", ""), request)
    back = came_from or reverse("home")
    return render(request, "403_csrf.html", {"back": back, "back_is_home": came_from is None}, status=403)
