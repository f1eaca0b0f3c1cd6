"""Checking an uploaded evidence file before anything keeps it.

A file is judged by its content, never by its name or the browser's claim: the
content decides the type, the type must be on the allow-list, and the name's
extension must agree with it. Images are opened under the project's own pixel
limit (Pillow's bomb warning is an error here) and Word and Excel archives are
measured before anything unpacks them. Every refusal is a ValidationError with
the reason in plain words, so the learner sees it beside the field.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from assessments.models import FileKind

MB = 1_000_000
THUMBNAIL_SIZE = (480, 480)
# A longer name is shortened in the middle: it still fits a phone's screen and the records.
NAME_MAX_CHARS = 120
MULTIPART_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class FileType:
    content_type: str
    kind: FileKind
    extensions: tuple[str, ...]
    label: str


_TYPES = [
    FileType("application/pdf", FileKind.DOCUMENT, (".pdf",), "a PDF document"),
    FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        FileKind.DOCUMENT,
        (".docx",),
        "a Word document",
    ),
    FileType("application/msword", FileKind.DOCUMENT, (".doc",), "a Word 97-2003 document"),
    FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        FileKind.DOCUMENT,
        (".xlsx",),
        "an Excel workbook",
    ),
    FileType("application/vnd.ms-excel", FileKind.DOCUMENT, (".xls",), "an Excel 97-2003 workbook"),
    FileType("text/plain", FileKind.DOCUMENT, (".txt", ".text", ".csv"), "a text file"),
    FileType("image/jpeg", FileKind.IMAGE, (".jpg", ".jpeg"), "a JPEG photo"),
    FileType("image/png", FileKind.IMAGE, (".png",), "a PNG image"),
    FileType("image/heic", FileKind.IMAGE, (".heic", ".heif"), "a HEIC photo"),
    FileType("audio/mpeg", FileKind.AUDIO, (".mp3",), "an MP3 recording"),
    FileType("audio/mp4", FileKind.AUDIO, (".m4a", ".aac"), "an M4A recording"),
    FileType("audio/wav", FileKind.AUDIO, (".wav",), "a WAV recording"),
    FileType("audio/ogg", FileKind.AUDIO, (".ogg", ".oga", ".opus"), "an Ogg recording"),
    FileType("video/mp4", FileKind.VIDEO, (".mp4", ".m4v"), "an MP4 video"),
    FileType("video/quicktime", FileKind.VIDEO, (".mov",), "a QuickTime video"),
    FileType("video/webm", FileKind.VIDEO, (".webm",), "a WebM video"),
    FileType("video/3gpp", FileKind.VIDEO, (".3gp",), "a 3GP video"),
]
ALLOWED = {t.content_type: t for t in _TYPES}
ALLOWED_EXTENSIONS = sorted({ext for t in _TYPES for ext in t.extensions})

# What libmagic may call an allowed type, mapped to the name used above.
_ALIASES = {
    "audio/x-m4a": "audio/mp4",
    "audio/x-wav": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-hx-aac-adts": "audio/mp4",
    "audio/aac": "audio/mp4",
    "video/x-m4v": "video/mp4",
    "image/heif": "image/heic",
    "text/csv": "text/plain",
}
# Legacy Office files share one container format; the name decides between Word and Excel.
_OLE_TYPES = {"application/msword", "application/vnd.ms-excel", "application/x-ole-storage", "application/CDFV2"}
_ZIP_TYPES = {
    "application/zip",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Types a person could plausibly mean to send that are refused on purpose, with the reason why.
_REFUSED_REASONS = {
    "text/html": "web pages can run code in a browser",
    "image/svg+xml": "SVG images can run code in a browser",
    "text/xml": "XML files can carry active content",
    "application/x-dosexec": "programs are never accepted",
    "application/x-executable": "programs are never accepted",
}


@dataclass
class InspectedFile:
    """An upload that passed every check, with what the project keeps about it."""

    upload: UploadedFile
    original_name: str
    size: int
    content_type: str
    kind: FileKind
    sha256: str
    thumbnail: bytes | None = None


def clean_file_name(name: str) -> str:
    """A display name that cannot break a header or name a path: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    if len(name) > NAME_MAX_CHARS:
        # Kept readable: its start, an ellipsis, its end and its extension.
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        room = NAME_MAX_CHARS - len(ext) - 1
        if len(stem) > room:
            head = room * 2 // 3
            stem = stem[:head].rstrip() + "…" + stem[len(stem) - (room - head) :].lstrip()
        name = stem + ext
    return name


def allow_long_file_names() -> None:
    """Let a file's long name through the multipart parser, so the form can say what happened and keep the file.

    Django refuses any part of a multipart body whose headers pass 1,024 bytes (MAX_TOTAL_HEADER_SIZE, which no
    setting changes), answering a bare 400 before any view runs, and everything the person entered is lost. A
    long file name alone does that: 1,000 characters, or some 300 in a non-Latin script. A larger bound still
    limits what one part's headers can make the server read.
    """
    from django.http import multipartparser

    multipartparser.MAX_TOTAL_HEADER_SIZE = max(multipartparser.MAX_TOTAL_HEADER_SIZE, MULTIPART_MAX_HEADER_BYTES)


def size_text(size: int) -> str:
    """A size the way phones and computers show it to people (1 MB = 1,000,000 bytes)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def max_bytes(kind: FileKind | str) -> int:
    return settings.EVIDENCE_MAX_MB[str(kind)] * MB


def accept_attribute() -> str:
    """For the file input's `accept`: lets phones offer the camera and recorder as well as files."""
    return ",".join([*ALLOWED_EXTENSIONS, "image/*", "audio/*", "video/*"])


def _sniff(upload: UploadedFile) -> str:
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    if not head:
        raise ValidationError("%(name)s is empty.", params={"name": upload.name})
    return magic.from_buffer(head, mime=True)


def _office_type(upload: UploadedFile, name: str) -> str | None:
    """The OOXML type of a ZIP upload, measured before anything unpacks it; None if it is no Office file."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > settings.OFFICE_MAX_ENTRIES:
                raise ValidationError(
                    "%(name)s holds %(n)s parts, more than the %(max)s a real Word or Excel file would have.",
                    params={"name": name, "n": len(entries), "max": settings.OFFICE_MAX_ENTRIES},
                )
            unpacked = sum(entry.file_size for entry in entries)
            if unpacked > settings.OFFICE_MAX_UNPACKED_MB * MB:
                raise ValidationError(
                    "%(name)s would unpack to %(size)s, more than the %(max)s allowed.",
                    params={
                        "name": name,
                        "size": size_text(unpacked),
                        "max": size_text(settings.OFFICE_MAX_UNPACKED_MB * MB),
                    },
                )
            names = {entry.filename for entry in entries}
    except zipfile.BadZipFile:
        raise ValidationError("%(name)s is damaged and cannot be opened.", params={"name": name}) from None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def _content_type(upload: UploadedFile, name: str, extension: str) -> str:
    sniffed = _sniff(upload)
    sniffed = _ALIASES.get(sniffed, sniffed)
    if sniffed in _ZIP_TYPES and (sniffed != "application/octet-stream" or extension in (".docx", ".xlsx")):
        # Word and Excel files are ZIP archives: look inside (safely) to tell which, if either, this is.
        return _office_type(upload, name) or "application/zip"
    if sniffed in _OLE_TYPES:
        return {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}.get(extension, sniffed)
    if sniffed.startswith("text/") and sniffed not in _REFUSED_REASONS and sniffed != "text/plain":
        # libmagic names source code and the like; as evidence they are plain text and are never shown inline.
        return "text/plain"
    return sniffed


def _check_image(upload: UploadedFile, name: str) -> bytes:
    """Open the image under the project's pixel limit and make its thumbnail; refuse bombs and damage."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: here that is already too big.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > settings.IMAGE_MAX_PIXELS:
                    raise Image.DecompressionBombError(f"{width * height} pixels")
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
                image = ImageOps.exif_transpose(image)
                image.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                # A fresh JPEG: the thumbnail carries none of the photo's metadata (location included).
                image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
                return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "%(name)s has too many pixels (the most is %(max)s million). Send a smaller photo.",
            params={"name": name, "max": settings.IMAGE_MAX_PIXELS // 1_000_000},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError("%(name)s is damaged or is not a picture we can read.", params={"name": name}) from None
    finally:
        upload.seek(0)


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def inspect_upload(upload: UploadedFile) -> InspectedFile:
    """Check one upload; return what to keep about it, or raise ValidationError with the reason."""
    name = clean_file_name(upload.name or "")
    size = upload.size or 0
    largest = max(settings.EVIDENCE_MAX_MB.values()) * MB
    if size > largest:
        raise ValidationError(
            "%(name)s is %(size)s; the largest file allowed is %(max)s.",
            params={"name": name, "size": size_text(size), "max": size_text(largest)},
        )
    extension = os.path.splitext(name)[1].lower()
    content_type = _content_type(upload, name, extension)
    file_type = ALLOWED.get(content_type)
    if file_type is None:
        reason = _REFUSED_REASONS.get(content_type, "it is not a type of file the portfolio accepts")
        raise ValidationError(
            "%(name)s cannot be added: %(reason)s. Send a PDF, Word, Excel or text document, a photo "
            "(JPEG, PNG, HEIC), a sound recording or a video.",
            params={"name": name, "reason": reason},
        )
    if extension not in file_type.extensions:
        raise ValidationError(
            "%(name)s is %(label)s, but its name does not end in %(ext)s. Rename it and try again.",
            params={"name": name, "label": file_type.label, "ext": " or ".join(file_type.extensions)},
        )
    limit = max_bytes(file_type.kind)
    if size > limit:
        raise ValidationError(
            "%(name)s is %(size)s; %(kind)s files can be up to %(max)s.",
            params={
                "name": name,
                "size": size_text(size),
                "kind": file_type.kind.label.lower(),
                "max": size_text(limit),
            },
        )
    thumbnail = _check_image(upload, name) if file_type.kind == FileKind.IMAGE else None
    return InspectedFile(
        upload=upload,
        original_name=name,
        size=size,
        content_type=content_type,
        kind=file_type.kind,
        sha256=_sha256(upload),
        thumbnail=thumbnail,
    )
