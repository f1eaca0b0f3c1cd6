"""Parts of assessments' pages that an app above it fills in.

The unit's sign-off page shows IV reports and EV findings, and the assessor's, IV's and EV's dashboards show action
points, samples due and visits: all quality's, which assessments may not import (README, "Architecture"). Quality
hands in a function for each part when it starts (`QualityConfig.ready`, in quality/page_parts.py); the page merges
what they return into its template context. A part takes the request and the page's object: the portfolio on the
sign-off page, the active role on a dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

SIGNOFF = "signoff"

PagePart = Callable[[HttpRequest, Any], dict[str, Any]]
_parts: dict[str, list[PagePart]] = {}


def dashboard(role: str) -> str:
    """The page name of one role's dashboard."""
    return f"dashboard:{str(role)}"


def add_page_part(page: str, part: PagePart) -> None:
    parts = _parts.setdefault(page, [])
    if part not in parts:
        parts.append(part)


def page_parts(page: str, request: HttpRequest, obj: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for part in _parts.get(page, ()):
        context.update(part(request, obj))
    return context
