"""Reading the ZIP defensively: measured first, only listed entries read, every hash checked."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from assessments.evidence.uploads import clean_file_name, size_text
from exports.importing.manifest import CHUNK, MANIFEST, MANIFEST_MAX_BYTES, ListedFile, max_entries, max_unpacked


def open_archive(archive) -> zipfile.ZipFile:
    """The upload as a ZIP, measured before anything in it is read."""
    try:
        archive.seek(0)
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError(
            "This file is not a portable portfolio: it is not a ZIP archive, or it is damaged. "
            "Upload the ZIP file the previous centre exported, unchanged."
        ) from None
    entries = opened.infolist()
    if len(entries) > max_entries():
        opened.close()
        raise ValidationError(
            f"This archive holds {len(entries):,} files, more than the {max_entries():,} a portable portfolio may "
            "have, so it was not opened."
        )
    unpacked = sum(e.file_size for e in entries)
    if unpacked > max_unpacked():
        opened.close()
        raise ValidationError(
            f"This archive would unpack to {size_text(unpacked)}, more than the {size_text(max_unpacked())} "
            "allowed, so it was not opened."
        )
    return opened


def index_entries(opened: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """The archive's entries by exact name; used only to look up names the manifest lists."""
    index: dict[str, list[zipfile.ZipInfo]] = {}
    for info in opened.infolist():
        index.setdefault(info.filename, []).append(info)
    return index


def _entry(index: dict[str, list[zipfile.ZipInfo]], path: str, what: str) -> zipfile.ZipInfo:
    """The one entry named exactly `path`; a missing or repeated name is refused."""
    matches = index.get(path, [])
    if not matches:
        raise ValidationError(f"{what} ({path}) is listed in the manifest but missing from the archive.")
    if len(matches) > 1 or matches[0].is_dir():
        raise ValidationError(f"{what} ({path}) appears more than once in the archive, so it cannot be trusted.")
    return matches[0]


@contextmanager
def _reading(opened: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> Iterator:
    try:
        with opened.open(info) as handle:
            yield handle
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        # A failed CRC, an encrypted entry, an unknown compression or a truncated archive.
        raise ValidationError(f"{what} ({info.filename}) is damaged in the archive and cannot be read.") from None


def read_manifest(opened: zipfile.ZipFile, index: dict[str, list[zipfile.ZipInfo]]) -> object:
    names = index.get(MANIFEST, [])
    if not names:
        raise ValidationError(
            "This ZIP file has no manifest.json, so it is not a portable portfolio. "
            "Upload the ZIP file the previous centre exported, unchanged."
        )
    if len(names) > 1:
        raise ValidationError("This archive holds more than one manifest.json, so it cannot be trusted.")
    if names[0].file_size > MANIFEST_MAX_BYTES:
        raise ValidationError("This archive's manifest is far larger than any portable portfolio's.")
    with _reading(opened, names[0], "The manifest") as handle:
        data = handle.read(MANIFEST_MAX_BYTES + 1)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValidationError("This archive's manifest.json is not valid JSON, so nothing was imported.") from None


def verify_entry(opened: zipfile.ZipFile, index: dict, listed: ListedFile, what: str) -> zipfile.ZipInfo:
    """Check one listed entry's size and SHA-256 against the manifest, reading it in chunks."""
    info = _entry(index, listed.path, what)
    if listed.size >= 0 and info.file_size != listed.size:
        raise ValidationError(
            f"{what} ({listed.path}) does not match the manifest: it is {info.file_size:,} bytes, "
            f"not {listed.size:,}. The archive has been changed since it was exported, so nothing was imported."
        )
    digest = hashlib.sha256()
    read = 0
    with _reading(opened, info, what) as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            read += len(chunk)
            if read > info.file_size:
                raise ValidationError(f"{what} ({listed.path}) is larger than the archive says.")
            digest.update(chunk)
    if digest.hexdigest() != listed.sha256:
        raise ValidationError(
            f"{what} ({listed.path}) does not match its SHA-256 in the manifest. The archive has been changed "
            "since it was exported, so nothing was imported."
        )
    return info


def upload_from(opened: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, what: str) -> UploadedFile:
    """The entry as an upload, spooled to a temporary file past the size Django keeps uploads in memory."""
    # Handed back inside the upload, which the caller closes: hence no context manager here.
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    try:
        with _reading(opened, info, what) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return UploadedFile(file=spool, name=clean_file_name(name), size=info.file_size)


# --- Writing -------------------------------------------------------------------------------------------------
