"""The unit record as a PDF, and the public verification page for record codes."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from assessments.access import get_portfolio_for_user, portfolio_links
from assessments.decisions import enforce
from assessments.evidence.views.files import altered_file_refused
from assessments.models import normalise_record_code
from assessments.records.policy import record_may
from assessments.records.services.renders import StoredRecordAltered, record_file
from assessments.records.verification import record_verification


@require_GET
def record_pdf_download(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(record_may(request.user.pk, portfolio.links, "pdf", portfolio))  # type: ignore[attr-defined]
    try:
        found = record_file(portfolio)
    except StoredRecordAltered as altered:
        return altered_file_refused(
            request,
            target=altered.render,
            portfolio=portfolio,
            what=f"The stored record PDF (record code {altered.render.record_code.display})",
            expected=altered.render.sha256,
            actual=altered.actual,
            back=reverse("signoff", args=[portfolio.pk]),
        )
    # Asked only after the access check and the integrity check: a copy the browser holds is still the record,
    # so it is told so (304) rather than sent the same bytes again.
    modified = int(found.last_modified.timestamp()) if found.last_modified else None
    unchanged = get_conditional_response(request, etag=quote_etag(found.etag), last_modified=modified)
    if unchanged is not None:
        found.handle.close()
        return unchanged
    number = found.unit_number or portfolio.unit.slug
    name = slugify(f"unit {number} {portfolio.learner.full_name} {portfolio.learner_number}")
    filename = f"{name}{'-draft' if found.draft else ''}.pdf"
    response = FileResponse(found.handle, as_attachment=True, filename=filename, content_type="application/pdf")
    response["ETag"] = quote_etag(found.etag)
    if modified is not None:
        response["Last-Modified"] = http_date(modified)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


def _misses_key(request: HttpRequest) -> str:
    return f"verify-misses:{get_client_ip_address(request) or 'unknown'}"


@login_not_required
@require_GET
def record_verify(request: HttpRequest) -> HttpResponse:
    """The form: type the code printed under the QR code."""
    typed = request.GET.get("code", "").strip()
    error = ""
    if "code" in request.GET:
        code = normalise_record_code(typed)
        if len(code) != 12:
            error = "A record code has 12 letters and digits, as printed under the QR code, for example 7K2M-9QXD-4HTA."
        else:
            return redirect("record_verify_code", code=code)
    return render(request, "assessments/verify.html", {"typed": typed, "error": error})


@login_not_required
@require_GET
def record_verify_code(request: HttpRequest, code: str) -> HttpResponse:
    key = _misses_key(request)
    if cache.get(key, 0) >= settings.VERIFY_MISSES_PER_HOUR:
        response = render(request, "assessments/verify.html", {"typed": code, "throttled": True}, status=429)
        response["Retry-After"] = "3600"
        return response
    result = record_verification(code)
    if result is None:
        # Count misses only: a code that exists costs nothing to check again.
        cache.add(key, 0, 3600)
        cache.incr(key)
        return render(request, "assessments/verify.html", {"typed": code, "unknown": True}, status=404)
    # Who signed is for those linked to the unit; a stranger reads the unit, the dates and whether it still matches.
    linked = request.user.is_authenticated and bool(
        record_may(request.user.pk, portfolio_links(request, result.portfolio), "signers", result.portfolio)
    )
    return render(
        request, "assessments/verify.html", {"typed": result.code.display, "result": result, "linked": linked}
    )
