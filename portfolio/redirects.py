"""Where a person may be sent back to: only somewhere on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(url: str, request: HttpRequest) -> str | None:
    """The path (with its query) of `url` when it is a page of this site, else None.

    Takes a path ("/portfolios/3/") or a full address on this host, as a Referer header gives; refuses other sites,
    other schemes and anything that is not a path ("abc", "javascript:..."), which a redirect cannot follow."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
