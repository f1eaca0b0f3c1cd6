"""What WeasyPrint may load while it renders a record: nothing but the project's own static files, images
we made ourselves as data: URIs, and the thumbnails of the one portfolio being rendered.

Learners' text is escaped by the template, so it cannot add a tag; this is the second wall, should a URL
ever reach the renderer anyway: no file://, no http(s)://, no other portfolio's files.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "static"
IMAGE_SCHEME = "evidence-image"
# Only our own static files of these kinds: the print stylesheet and fonts, never templates or code.
STATIC_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".png": "image/png",
}


class RefusedURL(ValueError):
    pass


class RecordFetcher(URLFetcher):
    """`images` maps the ids this render may show to their thumbnails' storage names."""

    def __init__(self, images: dict[str, str] | None = None) -> None:
        super().__init__(allowed_protocols={STATIC_SCHEME, IMAGE_SCHEME, "data"})
        self.images = images or {}
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == STATIC_SCHEME:
            return self._static(url)
        if scheme == IMAGE_SCHEME:
            return self._image(url)
        self.refused.append(url)
        raise RefusedURL(f"The record renderer does not fetch {url[:80]!r}.")

    def _static(self, url: str) -> URLFetcherResponse:
        name = unquote(urlsplit(url).path).lstrip("/")
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ".." in name.split("/") or suffix not in STATIC_TYPES:
            self.refused.append(url)
            raise RefusedURL(f"Not a static file the record may use: {name[:80]!r}.")
        # The finders in development, the collected files (STATIC_ROOT) once deployed.
        path = finders.find(name) if settings.DEBUG or not staticfiles_storage.exists(name) else None
        if path:
            with open(path, "rb") as handle:
                body = handle.read()
        else:
            with staticfiles_storage.open(name) as handle:
                body = handle.read()
        return URLFetcherResponse(url, body, {"Content-Type": STATIC_TYPES[suffix]})

    def _image(self, url: str) -> URLFetcherResponse:
        key = urlsplit(url).netloc or urlsplit(url).path.lstrip("/")
        stored = self.images.get(key)
        if not stored:
            self.refused.append(url)
            raise RefusedURL("Not an image of this portfolio.")
        with default_storage.open(stored) as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(stored)[0] or "image/jpeg"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})
