"""Keeping and discarding evidence files. Called inside the evidence services' transactions.

Storage is not transactional, so the order matters: new files are written
during the transaction and removed again if it fails; old files are only
removed from storage once the transaction that dropped their rows commits.

Files from a form that was refused wait under pending/ (no row names them) so
the learner need not upload them again; a signed token, bound to the person
and the portfolio, carries them to the next try. Pending files are removed
once attached, dropped or a day old.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from assessments.evidence.uploads import InspectedFile, size_text
from assessments.models import Evidence, EvidenceFile, Portfolio
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


PENDING_FOLDER = "pending"
PENDING_KEEP = datetime.timedelta(days=1)


@dataclass(frozen=True)
class KeptFile:
    """An upload that passed its checks on a refused form, waiting in storage for the next try."""

    name: str  # in storage: pending/<random>
    original_name: str
    size: int

    @property
    def size_text(self) -> str:
        return size_text(self.size)


def files_hold(files: Sequence[InspectedFile]) -> list[KeptFile]:
    """Write checked uploads under pending/ with random names, for a form that is shown again."""
    if files:
        files_prune_pending()  # here too, so abandoned forms are cleared even where no worker runs the prune
    kept = []
    for inspected in files:
        inspected.upload.seek(0)
        name = default_storage.save(f"{PENDING_FOLDER}/{secrets.token_hex(16)}", inspected.upload)
        kept.append(KeptFile(name, inspected.original_name, inspected.size))
    return kept


def files_reopen(kept: KeptFile) -> File | None:
    """A kept file as an upload again, under its own name so its checks can run on it; None once it is gone."""
    if not default_storage.exists(kept.name):
        return None
    return File(default_storage.open(kept.name), name=kept.original_name)


def files_release(kept: Iterable[KeptFile]) -> None:
    """Remove pending files that are attached (copied to their own names) or no longer wanted."""
    names = [k.name for k in kept]
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def files_prune_pending(now: datetime.datetime | None = None) -> int:
    """Remove pending files older than a day: forms that were never sent again."""
    cutoff = (now or timezone.now()) - PENDING_KEEP
    try:
        _, names = default_storage.listdir(PENDING_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{PENDING_FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
        except FileNotFoundError:  # removed meanwhile by the form it belonged to
            continue
    return removed


def _kept_salt(user: User, portfolio: Portfolio) -> str:
    # Bound to the person and the portfolio: a token copied into anyone else's form does not verify.
    return f"assessments.kept-files:{user.pk}:{portfolio.pk}"


def kept_token(kept: Sequence[KeptFile], *, user: User, portfolio: Portfolio) -> str:
    if not kept:
        return ""
    data = [[k.name, k.original_name, k.size] for k in kept]
    return signing.dumps(data, salt=_kept_salt(user, portfolio), compress=True)


def kept_from_token(token: str, *, user: User, portfolio: Portfolio) -> list[KeptFile]:
    """The kept files a form carries; signing.BadSignature if the token is not this person's for this portfolio."""
    if not token:
        return []
    data = signing.loads(token, salt=_kept_salt(user, portfolio), max_age=PENDING_KEEP)
    kept = [KeptFile(str(name), str(original), int(size)) for name, original, size in data]
    if any(not k.name.startswith(f"{PENDING_FOLDER}/") for k in kept):
        raise signing.BadSignature("Not a pending file.")
    return kept
