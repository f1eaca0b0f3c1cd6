"""A form that creates something takes each submission once.

A double tap on a slow phone sends the same form twice, sometimes at the same moment. Each such form carries a
fresh random token (`{% once_token %}`, a template built-in, inside the form) and its view is wrapped with
`@once_per_token`. The view runs in one transaction; when it has saved (it sends the browser on, with no error
message) the token is recorded as used in that same transaction, under a unique constraint. So of two identical
submissions only one can commit: the other is rolled back whole, whatever it had written, and is sent where the
first went with "That was already saved.", as is a repeat that its view refuses only because the first went
through ("a summative report is already written"). A repeat that arrives after the first has finished is answered
before its view runs at all (uploads excepted: their body is the view's to read, and refuse, first).

A form shown again with errors renders a new token; a refused submission leaves its token unused, so sending the
same page again is tried again. A post without a token (a page opened before this was added) is handled as before.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django import template
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html

from submissions.models import UsedFormToken

FIELD = "once_token"
ALREADY_SAVED = "That was already saved."
KEEP = timedelta(days=1)
_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")

register = template.Library()


@register.simple_tag
def once_token() -> str:
    """The hidden field that makes this rendering of the form one submission."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, secrets.token_urlsafe(24))


class _AlreadyUsed(Exception):
    pass


def _token(request: HttpRequest) -> str:
    """The submission's key: its form's token with the address it was sent to, since one form may send to several
    (a button per row, each with its own formaction), and each of those is a submission of its own."""
    value = request.POST.get(FIELD, "")
    if not _SHAPE.fullmatch(value):
        return ""
    return hashlib.sha256(f"{value} {request.path}".encode()).hexdigest()


def _sent_on_to(response: HttpResponse) -> str:
    """Where a response sends the browser next (a redirect, or htmx's HX-Redirect), or "" if it does not."""
    if response.has_header("HX-Redirect"):
        return response["HX-Redirect"]
    if 300 <= response.status_code < 400 and response.has_header("Location"):
        return response["Location"]
    return ""


def _queued(request: HttpRequest) -> list:
    # Django's message storage offers no public way to look at what this request added without using it all up.
    return getattr(messages.get_messages(request), "_queued_messages", [])


def _refused(request: HttpRequest) -> bool:
    """Whether the view sent the browser on with an error message, having saved nothing."""
    return any(m.level >= messages.ERROR for m in _queued(request))


def _already_saved(request: HttpRequest, token: str) -> HttpResponse:
    used = UsedFormToken.objects.get(user=request.user, token=token)
    # What this attempt said about itself was rolled back with it.
    _queued(request).clear()
    messages.info(request, ALREADY_SAVED)
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": used.location})
    return HttpResponseRedirect(used.location)


def once_per_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view's POST at most once per form token (see the module's docstring)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method != "POST" or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        token = ""
        if request.content_type != "multipart/form-data":
            token = _token(request)
            if token and UsedFormToken.objects.filter(user=request.user, token=token).exists():
                return _already_saved(request, token)
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                # A refusal before the form was read (an upload over the limits) is left as it is, unread.
                token = token or (_token(request) if response.status_code < 400 else "")
                location = _sent_on_to(response)
                if token and location and not _refused(request):
                    try:
                        with transaction.atomic():
                            UsedFormToken.objects.create(user=request.user, token=token, location=location)
                    except IntegrityError:
                        # Another submission of this form committed first: roll this one back, all of it.
                        raise _AlreadyUsed from None
                elif token and UsedFormToken.objects.filter(user=request.user, token=token).exists():
                    # Refused only because the first went through ("already reported"): say what happened.
                    raise _AlreadyUsed
                else:
                    token = ""
        except _AlreadyUsed:
            return _already_saved(request, token)
        if token:
            UsedFormToken.objects.filter(used_at__lt=timezone.now() - KEEP).delete()
        return response

    return wrapped
