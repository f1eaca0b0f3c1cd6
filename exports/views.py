"""Exports: the cohort page, starting an export, its progress, the download and a retry.

Only centre admins of the export's centre see an export, except a learner's own portable portfolio, which
that learner may also fetch. As everywhere, someone with no link learns nothing of it (404) and someone linked in
another role is refused (403): a cohort export is linked to everyone at its centre, one learner's export only to
those linked to that learner's registrations.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from assessments.access import portfolio_links
from assessments.decisions import enforce
from assessments.models import Portfolio
from audit.services import audit_log
from exports.delays import exports_delayed, record_renders_delayed
from exports.forms import CohortFilterForm, CohortStartForm
from exports.models import Export, ExportKind
from exports.policy import ADMIN_ELSEWHERE, LINKED, OWN, export_may
from exports.services import ExportStateError, export_request, export_retry
from people.access import active_role, linked_centre_ids, require_centre_admin, require_role
from people.models import Role, User
from portfolio.forms import apply_validation_error
from portfolio.storage import stored_file_response
from submissions.once import once_per_token

RECENT = 20


def export_links(request: HttpRequest, export: Export) -> set[Role | str]:
    """The viewer's links to the export, for exports/policy.py."""
    role = active_role(request)
    here = role is not None and role.centre is not None and role.centre.pk == export.centre_id
    if (
        export.kind == ExportKind.PORTABLE
        and export.learner_id == request.user.pk
        and export.requested_by_id == request.user.pk
    ):
        return {OWN, Role.LEARNER} if here and role.role == Role.LEARNER else {OWN}  # type: ignore[union-attr]
    if export.centre_id not in linked_centre_ids(request):
        return set()
    if export.learner_id is not None and not any(portfolio_links(request, p) for p in export.portfolios.all()):
        return set()
    if role is not None and role.role == Role.ADMIN:
        return {LINKED, Role.ADMIN if here else ADMIN_ELSEWHERE}
    return {LINKED}


def _get_export_for_user(request: HttpRequest, export_id: uuid.UUID, action: str = "read") -> Export:
    """The export, if the export policy lets the person `action` it: 404 with no link, 403 otherwise."""
    export = get_object_or_404(Export.objects.select_related("centre", "requested_by", "learner"), pk=export_id)
    enforce(export_may(request.user.pk, export_links(request, export), action, export))
    return export


def _recent(centre) -> dict:
    """The centre's recent exports, each marked `delayed` if no worker has started it in time, and how many of the
    centre's record PDFs are likewise waiting (exports/delays.py)."""
    recent = list(Export.objects.filter(centre=centre).select_related("requested_by")[:RECENT])
    delayed = exports_delayed(recent)
    for export in recent:
        export.delayed = export.pk in delayed
    return {
        "recent": recent,
        "renders_delayed": record_renders_delayed(centre),
        "delayed_minutes": settings.TASKS_DELAYED_MINUTES,
    }


def _with_delay(export: Export) -> dict:
    export.delayed = export.pk in exports_delayed([export])
    return {"export": export, "delayed_minutes": settings.TASKS_DELAYED_MINUTES}


@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    form = CohortFilterForm(request.GET or None, centre=role.centre)
    matches = form.portfolios()
    page = Paginator(matches, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "exports/export_list.html",
        {"form": form, "page": page, "centre": role.centre, "described": form.describe(), **_recent(role.centre)},
    )


@require_POST
@once_per_token
def export_cohort_start(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    form = CohortStartForm(request.POST, centre=role.centre)
    if form.is_valid():
        try:
            portfolios = form.chosen()
            scope = "ticked registrations" if form.cleaned_data.get("scope") == "ticked" else form.describe()
            export = export_request(
                actor=request.user,
                role=Role.ADMIN,
                centre=role.centre,
                kind=ExportKind.COHORT,
                portfolios=portfolios,
                include_files=form.cleaned_data["include_files"],
                description=f"Cohort: {scope} ({len(portfolios)} registration{'s' if len(portfolios) != 1 else ''})",
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Your export has started. This page shows its progress.")
            return redirect("export_detail", export_id=export.pk)
    # The list under the errors is the filter's own: the start form's errors must not drop the filter.
    matching = CohortFilterForm(request.POST, centre=role.centre)
    page = Paginator(matching.portfolios(), 100).get_page(1)
    return render(
        request,
        "exports/export_list.html",
        {"form": form, "page": page, "centre": role.centre, "described": matching.describe(), **_recent(role.centre)},
        status=200,
    )


def _learner_for_admin(request: HttpRequest, learner_id: int):
    learner = get_object_or_404(User, pk=learner_id)
    centre_ids = set(Portfolio.objects.filter(learner=learner).values_list("centre_id", flat=True))
    return learner, require_centre_admin(request, centre_ids)


@require_GET
def export_learner(request: HttpRequest, learner_id: int) -> HttpResponse:
    learner, role = _learner_for_admin(request, learner_id)
    portfolios = (
        Portfolio.objects.filter(learner=learner, centre=role.centre).with_people().prefetch_related("unit__codes")
    )
    recent = Export.objects.filter(centre=role.centre, learner=learner).select_related("requested_by")[:RECENT]
    return render(
        request,
        "exports/export_learner.html",
        {"learner": learner, "portfolios": portfolios, "recent": recent, "kinds": ExportKind},
    )


@require_POST
@once_per_token
def export_learner_start(request: HttpRequest, learner_id: int) -> HttpResponse:
    """An admin exports one learner's records: merged into one PDF, or as a portable ZIP."""
    learner, role = _learner_for_admin(request, learner_id)
    kind = request.POST.get("kind")
    if kind not in (ExportKind.LEARNER, ExportKind.PORTABLE):
        messages.error(request, "Choose which export to make.")
        return redirect("export_learner", learner_id=learner.pk)
    portfolios = list(Portfolio.objects.filter(learner=learner, centre=role.centre).with_people())
    export = export_request(
        actor=request.user,
        role=Role.ADMIN,
        centre=role.centre,
        kind=kind,
        portfolios=portfolios,
        description=f"{ExportKind(kind).label}: {learner.full_name}",
    )
    messages.success(request, "Your export has started. This page shows its progress.")
    return redirect("export_detail", export_id=export.pk)


@require_POST
@once_per_token
def export_mine_start(request: HttpRequest) -> HttpResponse:
    """A learner takes their own portable portfolio: every unit at this centre, files and manifest."""
    role = require_role(request, Role.LEARNER)
    portfolios = list(Portfolio.objects.filter(learner=request.user, centre=role.centre).with_people())
    try:
        export = export_request(
            actor=request.user,
            role=Role.LEARNER,
            centre=role.centre,
            kind=ExportKind.PORTABLE,
            portfolios=portfolios,
            description=f"{ExportKind.PORTABLE.label}: {request.user.full_name}",
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("home")
    messages.success(request, "Your portfolio is being packed. This page shows its progress.")
    return redirect("export_detail", export_id=export.pk)


@require_GET
def export_detail(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _get_export_for_user(request, export_id)
    return render(request, "exports/export_detail.html", _with_delay(export))


@require_GET
def export_progress(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """The progress panel alone, polled by htmx while the export is queued or running."""
    export = _get_export_for_user(request, export_id)
    return render(request, "exports/includes/progress.html", _with_delay(export))


@require_GET
def export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _get_export_for_user(request, export_id, "download")
    role = active_role(request)
    audit_log(
        actor=request.user,
        actor_role=role.role if role else "",
        centre=export.centre,
        action="export.downloaded",
        target=export,
        summary=f"{export.get_kind_display()} downloaded",
    )
    # Streamed, or for a large export in a bucket a redirect to a short-lived signed URL (portfolio/storage.py).
    response = stored_file_response(
        export.file, content_type=export.content_type, filename=export.filename, inline=False
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def export_retry_view(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _get_export_for_user(request, export_id, "retry")
    role = active_role(request)
    try:
        export_retry(actor=request.user, role=role.role if role else "", export=export)
    except ExportStateError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "The export has been queued again.")
    return redirect("export_detail", export_id=export.pk)
