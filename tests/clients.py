"""The test client every view test uses: CSRF enforced, as in production.

A browser's POST carries the token its page's form rendered and an Origin header; this client sends the same
(the token from its CSRF cookie, minting one as the first page would have) unless a test sends its own token, or
asks for none with `csrf=False` to see the refusal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client


class CsrfClient(Client):
    def __init__(self, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **defaults)

    def _csrf_secret(self) -> str:
        cookie = self.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is None or not cookie.value:
            self.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
            cookie = self.cookies[settings.CSRF_COOKIE_NAME]
        return cookie.value

    def generic(  # type: ignore[override]
        self, method: str, path: str, data: Any = "", content_type: str = "application/octet-stream",
        secure: bool = False, *, csrf: bool = True, **extra: Any,
    ):
        if csrf and method.upper() not in {"GET", "HEAD", "OPTIONS", "TRACE"}:
            extra.setdefault("HTTP_X_CSRFTOKEN", self._csrf_secret())
            extra.setdefault("HTTP_ORIGIN", f"{'https' if secure else 'http'}://testserver")
        return super().generic(method, path, data, content_type, secure, **extra)
