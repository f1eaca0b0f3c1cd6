"""Development only: the mail the app has sent, read back from the folder Django's file-based email backend
writes to (settings.EMAIL_FILE_PATH), so a developer can open a witness link or a set-password email without a
mail server. The URLs exist only with DEBUG on (portfolio/urls.py) and the views refuse to answer without it.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

# The file-based backend writes each message followed by a line of 79 dashes; its files are named
# <date>-<time>-<number>.log.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
FILE_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]+\.log$")
LIST_LIMIT = 200


@dataclass(frozen=True)
class SentMail:
    file: str
    index: int
    sent_at: datetime.datetime | None
    to: str
    sender: str
    subject: str
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


def dev_mail_allowed(user) -> bool:
    """Who may read the development mail: any signed-in person, and only while DEBUG is on."""
    return settings.DEBUG and user.is_authenticated


def _folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _messages_in(path: Path) -> list[SentMail]:
    found = []
    for index, chunk in enumerate(c for c in path.read_bytes().split(SEPARATOR) if c.strip()):
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
        sent_at = getattr(message["Date"], "datetime", None)
        if sent_at is not None and sent_at.tzinfo is None:
            # Django writes "-0000" (UTC, with no zone claimed), which reads back without a time zone.
            sent_at = sent_at.replace(tzinfo=datetime.UTC)
        found.append(
            SentMail(
                file=path.name,
                index=index,
                sent_at=sent_at,
                to=str(message["To"] or ""),
                sender=str(message["From"] or ""),
                subject=str(message["Subject"] or "").strip() or "(no subject)",
                message=message,  # type: ignore[arg-type]
            )
        )
    return found


def sent_mail() -> list[SentMail]:
    """Every message in the folder, newest first."""
    folder = _folder()
    if not folder.is_dir():
        return []
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    keyed = []
    for path in folder.iterdir():
        if FILE_NAME.match(path.name):
            # The Date header counts whole seconds; the file's time puts mail of the same second in order.
            written = path.stat().st_mtime_ns
            keyed += [((m.sent_at or oldest, written, m.index), m) for m in _messages_in(path)]
    return [m for _, m in sorted(keyed, key=lambda pair: pair[0], reverse=True)]


def _check(request: HttpRequest) -> None:
    if not dev_mail_allowed(request.user):
        raise Http404("Development mail is only shown with DEBUG on.")


@require_GET
def dev_mail_list(request: HttpRequest) -> HttpResponse:
    _check(request)
    mail = sent_mail()
    return render(
        request,
        "dev/mail_list.html",
        {"mail": mail[:LIST_LIMIT], "total": len(mail), "limit": LIST_LIMIT, "folder": _folder()},
    )


@require_GET
def dev_mail_detail(request: HttpRequest, file: str, index: int) -> HttpResponse:
    _check(request)
    # Only a name the backend could have written, of a file that is in the folder: nothing else can be read.
    path = _folder() / file
    if not FILE_NAME.match(file) or not path.is_file():
        raise Http404("No such message.")
    messages = _messages_in(path)
    if index >= len(messages):
        raise Http404("No such message.")
    return render(request, "dev/mail_detail.html", {"mail": messages[index]})
