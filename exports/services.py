"""Asking for an export, building it in the background, retrying a failed one, and removing old ones."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from assessments.evidence.services.files import files_prune_pending
from assessments.models import Portfolio
from audit.services import audit_log
from exports.builders import cohort_zip, learner_pdf, portable_zip, sha256_of
from exports.models import TRANSITIONS, Export, ExportKind, ExportStatus
from people.models import Centre, User

E = ExportStatus
log = logging.getLogger(__name__)


class ExportStateError(ValidationError):
    pass


def _move(export: Export, to: str) -> None:
    if to not in TRANSITIONS[export.status]:
        raise ExportStateError(
            f"This export is {export.get_status_display().lower()}, so it cannot become {E(to).label.lower()}."
        )
    export.status = to


def _enqueue(export: Export) -> None:
    from exports.tasks import build_export

    export_id = str(export.pk)

    def enqueue() -> None:
        result = build_export.enqueue(export_id)
        Export.objects.filter(pk=export_id).update(task_id=str(result.id))

    # Only once the row is committed: a worker must never look for an export that is not there yet.
    transaction.on_commit(enqueue)


@transaction.atomic
def export_request(
    *,
    actor: User,
    role: str,
    centre: Centre,
    kind: str,
    portfolios: list[Portfolio],
    include_files: bool = False,
    description: str,
) -> Export:
    if not portfolios:
        raise ValidationError("No registrations match: there is nothing to export.")
    if len(portfolios) > settings.EXPORT_MAX_PORTFOLIOS:
        raise ValidationError(
            f"{len(portfolios)} registrations match; one export takes at most {settings.EXPORT_MAX_PORTFOLIOS}. "
            "Narrow the filter."
        )
    if any(p.centre_id != centre.pk for p in portfolios):
        raise ValidationError("Every registration in an export must be at your centre.")
    learners = {p.learner_id for p in portfolios}
    if kind in (ExportKind.LEARNER, ExportKind.PORTABLE) and len(learners) != 1:
        raise ValidationError("A learner export covers one learner's registrations.")
    export = Export.objects.create(
        centre=centre,
        kind=kind,
        requested_by=actor,
        requested_role=role,
        learner_id=learners.pop() if kind != ExportKind.COHORT else None,
        include_files=include_files or kind == ExportKind.PORTABLE,
        description=description[:300],
        total=len(portfolios),
    )
    export.portfolios.set(portfolios)
    audit_log(
        actor=actor,
        actor_role=role,
        centre=centre,
        action="export.requested",
        target=export,
        summary=f"{export.get_kind_display()} asked for: {export.description}",
        data={"kind": kind, "portfolios": len(portfolios), "include_files": export.include_files},
    )
    _enqueue(export)
    return export


@transaction.atomic
def export_retry(*, actor: User, role: str, export: Export) -> Export:
    export = Export.objects.select_for_update().get(pk=export.pk)
    _move(export, E.QUEUED)
    export.attempts += 1
    export.error = ""
    export.done = 0
    export.save(update_fields=["status", "attempts", "error", "done"])
    audit_log(
        actor=actor,
        actor_role=role,
        centre=export.centre,
        action="export.retried",
        target=export,
        summary=f"{export.get_kind_display()} retried (attempt {export.attempts})",
    )
    _enqueue(export)
    return export


def _start(export_id: str) -> Export | None:
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status != E.QUEUED:
            # Already taken by another worker, or retried into a newer task: nothing to do.
            return None
        _move(export, E.RUNNING)
        export.started_at = timezone.now()
        export.done = 0
        export.save(update_fields=["status", "started_at", "done"])
        return export


def export_build(export_id: str) -> Export | None:
    """The task's work: build the file, keep the progress up to date, and say why if it fails."""
    exports_prune()
    files_prune_pending()
    export = _start(export_id)
    if export is None:
        return None
    portfolios = list(
        Portfolio.objects.filter(pk__in=export.portfolios.values("pk"))
        .with_people()
        .order_by("learner__full_name", "learner_id", "unit__title")
    )
    done = 0

    def progress(step: int) -> None:
        nonlocal done
        done += step
        Export.objects.filter(pk=export.pk).update(done=done)

    try:
        if export.kind == ExportKind.LEARNER:
            built = learner_pdf(portfolios, progress)
        elif export.kind == ExportKind.PORTABLE:
            built = portable_zip(portfolios, progress)
        else:
            built = cohort_zip(portfolios, export.include_files, progress)
        with built.file:
            digest = sha256_of(built.file)
            built.file.seek(0, 2)
            size = built.file.tell()
            built.file.seek(0)
            export.file.save(built.filename, File(built.file, name=built.filename), save=False)
            stored_name = export.file.name
    except Exception as exc:
        log.exception("Export %s failed", export.pk)
        _finish_failed(export, exc)
        return export
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        _move(export, E.DONE)
        export.file.name = stored_name
        export.filename = built.filename
        export.size = size
        export.sha256 = digest
        export.done = export.total
        export.finished_at = timezone.now()
        export.expires_at = export.finished_at + datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS)
        export.save()
    return export


def _finish_failed(export: Export, exc: Exception) -> None:
    with transaction.atomic():
        locked = Export.objects.select_for_update().get(pk=export.pk)
        if locked.file:
            locked.file.delete(save=False)
        _move(locked, E.FAILED)
        locked.error = (
            f"The export stopped while building: {exc.__class__.__name__}: {str(exc)[:500]}. "
            "Try again; if it fails again, tell your system administrator."
        )
        locked.finished_at = timezone.now()
        locked.save()


def exports_prune(now: datetime.datetime | None = None) -> int:
    """Remove the files of finished exports past their keeping time; the rows stay as a record."""
    now = now or timezone.now()
    removed = 0
    for export in Export.objects.filter(status=E.DONE, expires_at__lte=now):
        with transaction.atomic():
            locked = Export.objects.select_for_update().get(pk=export.pk)
            if locked.status != E.DONE:
                continue
            stored = locked.file.name
            _move(locked, E.EXPIRED)
            locked.file = ""
            locked.save(update_fields=["status", "file"])
            transaction.on_commit(lambda name=stored, storage=locked.file.storage: name and storage.delete(name))
            removed += 1
    return removed
