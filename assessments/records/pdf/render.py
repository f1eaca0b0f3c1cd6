"""Turn a portfolio's record into an A4 PDF with WeasyPrint.

The stylesheet is parsed once per process and the font configuration is
shared, so a warm worker only lays out and writes. PDFs are tagged (PDF/UA-1)
for screen readers.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA
from weasyprint.text.fonts import FontConfiguration

from assessments.records.pdf.content import RecordContent
from assessments.records.pdf.fetcher import RecordFetcher

# WeasyPrint is not documented as thread-safe; one render at a time per process keeps the shared
# font configuration and stylesheet safe, and costs nothing in a single-threaded worker.
_RENDER_LOCK = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@cache
def _stylesheet() -> CSS:
    return CSS(url="static:pdf/record.css", url_fetcher=RecordFetcher(), font_config=_fonts())


# WeasyPrint's own stylesheet for HTML gives styles to the pseudo-elements of list markers, footnotes and notes with
# selectors that match every element, so it worked out six pseudo-element styles for each element of a record, five
# times the work of the elements' own styles. Records have no lists, footnotes or notes; their rules are left out.
_UNUSED_UA_RULES = re.compile(
    r"^::(?:marker|footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n", re.MULTILINE
)


@cache
def _user_agent_stylesheet() -> CSS:
    # Counter styles come from WeasyPrint's own parse of the full sheet (_ua_counter_style); a throwaway store keeps
    # this parse from defining them again there.
    return CSS(string=_UNUSED_UA_RULES.sub("", UA), counter_style=CounterStyle())


class _RecordHTML(HTML):
    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_user_agent_stylesheet()]


@contextmanager
def _render_alone() -> Iterator[None]:
    """One render at a time, with Python's cycle collector paused for its duration.

    A render builds tens of thousands of short-lived objects, and the collector otherwise walks them over and over
    as they pile up (2-5% of a render). Reference counting still frees nearly all of them as it goes; what cycles
    are left are collected once the render is over. The pause is process-wide: in a threaded worker, other threads
    go without cycle collection for the render's fraction of a second, which only delays freeing cyclic garbage.
    The collector's previous state is restored, so a caller that had paused it keeps it paused.
    """
    with _RENDER_LOCK:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()


def verification_url(code: str) -> str:
    return settings.SITE_URL + reverse("record_verify_code", args=[code])


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2, dark="#000", light="#fff")


def record_html(content: RecordContent) -> str:
    code = content.code
    url = verification_url(code.code) if code else ""
    return render_to_string(
        "pdf/unit_record.html",
        {
            "c": content,
            "p": content.portfolio,
            "verify_url": url,
            "qr": qr_data_uri(url) if url else "",
            "rendered_at": timezone.now(),
            "site_name": settings.SITE_NAME,
        },
    )


def render_pdf(content: RecordContent) -> bytes:
    html = record_html(content)
    fetcher = RecordFetcher(images=content.image_files)
    with _render_alone():
        return _RecordHTML(string=html, url_fetcher=fetcher, base_url="static:/").write_pdf(
            stylesheets=[_stylesheet()], font_config=_fonts(), pdf_variant="pdf/ua-1"
        )


def render_html_pdf(html: str) -> bytes:
    """Another document in the record's style (an export's index), with the same fetcher walls."""
    with _render_alone():
        return _RecordHTML(string=html, url_fetcher=RecordFetcher(), base_url="static:/").write_pdf(
            stylesheets=[_stylesheet()], font_config=_fonts(), pdf_variant="pdf/ua-1"
        )
