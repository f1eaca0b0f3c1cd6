"""Uploads over the limits get the form back with a message, never a bare 400 or a reset connection: the learner's
evidence form and the assessor's record form both use these."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from assessments.evidence.uploads import MB, size_text


def upload_refusal(request: HttpRequest) -> tuple[str, int] | None:
    """Refuse an upload over the limits before reading it: a clear message, never a 500 or a reset."""
    if request.method != "POST":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.EVIDENCE_MAX_UPLOAD_MB * MB
    # The other fields are small; allow them a megabyte beside the files.
    if length > limit + MB:
        return (
            f"That upload was {size_text(length)}; one upload can be up to {size_text(limit)}. "
            "Nothing was saved: add the files in smaller batches.",
            413,
        )
    try:
        request.FILES  # noqa: B018 - parsing here is what raises
    except TooManyFilesSent:
        return (
            f"That was too many files at once; add up to {settings.EVIDENCE_MAX_FILES} at a time. Nothing was saved.",
            400,
        )
    except MultiPartParserError:
        return (
            "That upload could not be read, so nothing was saved. If a file has a very long name, rename it "
            "shorter and choose it again.",
            400,
        )
    return None


def upload_checked(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Look at an upload before the CSRF check reads it, so one over the limits gets the form and a message.

    Django's CSRF middleware reads the form before any view runs: for an upload that means the whole body, and
    too many files, or a part it cannot read, end there in a bare 400 page. These views are therefore exempt
    from the middleware and make the same check themselves (csrf_protect) once upload_refusal has looked. A
    refused upload is answered without that check: its view shows the empty form and reads and saves nothing.
    The view finds the refusal, or None, in `request.upload_refusal`.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        request.upload_refusal = upload_refusal(request)  # type: ignore[attr-defined]
        if request.upload_refusal:  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    return wrapped
