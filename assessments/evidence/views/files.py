"""Evidence files, served only after an access check.

Uploaded content is untrusted: the type sent is the one worked out from the
content when it was checked, browsers are told not to guess another
(nosniff), only images and PDFs may show in the browser, and the sandbox
policy stops anything in them from running as the site.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assessments.access import get_evidence_file_for_user
from assessments.models import EvidenceFile
from assessments.records.integrity import checked_sha256
from assessments.records.services.integrity import stored_file_refused
from people.access import active_role
from portfolio.storage import stored_file_response


def altered_file_refused(
    request: HttpRequest, *, target, portfolio, what: str, expected: str, actual: str | None, back: str
) -> HttpResponse:
    """A stored file whose bytes no longer match its hash is not handed out as genuine: 409, said in words,
    and audited."""
    role = active_role(request)
    stored_file_refused(
        actor=request.user,
        role=str(role.role) if role else "",
        target=target,
        portfolio=portfolio,
        what=what,
        expected=expected,
        actual=actual,
    )
    context = {"what": what, "missing": actual is None, "back": back}
    return render(request, "assessments/file_altered.html", context, status=409)


def _file_response(field, *, content_type: str, filename: str, inline: bool, may_redirect: bool = True) -> HttpResponse:
    # Streamed, or for a large file in a bucket a redirect to a short-lived signed URL (portfolio/storage.py).
    response = stored_file_response(
        field, content_type=content_type, filename=filename, inline=inline, may_redirect=may_redirect
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if isinstance(response, FileResponse):
        # Personal data: browsers may keep it for this user, shared caches never.
        response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


def file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    record = get_evidence_file_for_user(request, file_id)
    actual = checked_sha256(record.file, record.sha256)
    if actual != record.sha256:
        portfolio = getattr(request, "audit_portfolio", record.evidence.portfolio)
        return altered_file_refused(
            request,
            target=record,
            portfolio=portfolio,
            what=f"The evidence file {record.original_name}",
            expected=record.sha256,
            actual=actual,
            back=reverse("evidence_detail", args=[record.evidence_id]),
        )
    inline = record.shows_inline and request.GET.get("download") != "1"
    return _file_response(record.file, content_type=record.content_type, filename=record.original_name, inline=inline)


def file_thumbnail(request: HttpRequest, file_id: int) -> HttpResponse:
    record: EvidenceFile = get_evidence_file_for_user(request, file_id)
    if not record.thumbnail:
        raise Http404("This file has no thumbnail.")
    stem = record.original_name.rsplit(".", 1)[0]
    # Shown in the site's own pages, whose policy loads images from the site only: never redirected to the bucket.
    return _file_response(
        record.thumbnail, content_type="image/jpeg", filename=f"{stem} (thumbnail).jpg", inline=True, may_redirect=False
    )
