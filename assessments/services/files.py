"""Keeping and discarding evidence files. Called inside the evidence services' transactions.

Storage is not transactional, so the order matters: new files are written
during the transaction and removed again if it fails; old files are only
removed from storage once the transaction that dropped their rows commits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.core.files.base import ContentFile
from django.db import transaction

from assessments.models import Evidence, EvidenceFile
from assessments.uploads import InspectedFile
from people.models import User

P = ParamSpec("P")
R = TypeVar("R")
_written: ContextVar[list[tuple[object, str]] | None] = ContextVar("evidence_files_written", default=None)


def removes_files_if_failed(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a service (outside its @transaction.atomic) so files it wrote are deleted if it raises.

    This covers its own rollback; a caller's outer transaction rolling back later leaves files that no row
    names, which are harmless and never served.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        written: list[tuple[object, str]] = []
        token = _written.set(written)
        try:
            return func(*args, **kwargs)
        except BaseException:
            for storage, name in written:
                storage.delete(name)
            raise
        finally:
            _written.reset(token)

    return wrapper


def files_store(*, actor: User, evidence: Evidence, files: Sequence[InspectedFile]) -> list[EvidenceFile]:
    """Write checked uploads to storage under opaque names and record them against the evidence."""
    written = _written.get()
    if written is None:
        raise RuntimeError("files_store must run inside a service decorated with @removes_files_if_failed.")
    kept = []
    for inspected in files:
        record = EvidenceFile(
            evidence=evidence,
            original_name=inspected.original_name,
            size=inspected.size,
            content_type=inspected.content_type,
            kind=inspected.kind,
            sha256=inspected.sha256,
            uploaded_by=actor,
        )
        # upload_to ignores the name given here: the stored name is always a random one.
        record.file.save("upload", inspected.upload, save=False)
        written.append((record.file.storage, record.file.name))
        if inspected.thumbnail:
            record.thumbnail.save("thumbnail.jpg", ContentFile(inspected.thumbnail), save=False)
            written.append((record.thumbnail.storage, record.thumbnail.name))
        record.save()
        kept.append(record)
    return kept


def files_discard(records: Iterable[EvidenceFile]) -> None:
    """Delete the rows now and the stored files once the transaction commits."""
    stored = []
    for record in records:
        stored.extend((field.storage, field.name) for field in (record.file, record.thumbnail) if field)
        record.delete()

    def remove() -> None:
        for storage, name in stored:
            storage.delete(name)

    transaction.on_commit(remove)


def file_summary(record: EvidenceFile) -> dict[str, object]:
    """What the audit trail keeps about a file."""
    return {"name": record.original_name, "size": record.size, "type": record.content_type, "sha256": record.sha256}
