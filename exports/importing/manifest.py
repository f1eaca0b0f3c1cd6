"""Reading a portable portfolio's manifest: every field checked before it is used."""

from __future__ import annotations

import datetime
import posixpath
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from assessments.evidence.uploads import MB
from assessments.models import Evidence, Portfolio
from exports.builders import MANIFEST_FORMAT

RPL = "RPL"
TITLE_MAX = Evidence._meta.get_field("title").max_length
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 20 * MB
CHUNK = 1024 * 1024


def max_entries() -> int:
    """The most entries an archive may hold: as many as a Word file is allowed, which no portfolio nears."""
    return settings.OFFICE_MAX_ENTRIES


def max_unpacked() -> int:
    """The most the whole archive may unpack to: a generous multiple of the largest single upload."""
    return getattr(settings, "PORTABLE_IMPORT_MAX_UNPACKED_MB", 4 * settings.EVIDENCE_MAX_UPLOAD_MB) * MB


# --- What the manifest says, read into plain values --------------------------------------------------------


@dataclass(frozen=True)
class ListedFile:
    path: str
    name: str
    sha256: str
    size: int


@dataclass
class PriorItem:
    ref: str
    title: str
    method: str
    date: datetime.date
    setting: str
    description: str
    decision: str
    criteria: list[str]
    range: list[str]
    judgements: dict[str, dict[str, str]]
    witness: dict[str, str] | None
    files: list[ListedFile]


@dataclass
class PriorRecord:
    learner_name: str
    learner_number: str
    centre_name: str
    centre_number: str
    exported_at: str
    unit_slug: str
    unit_title: str
    status: str
    code: str | None
    pdf: ListedFile
    signatures: list[dict[str, str]]
    items: list[PriorItem]


@dataclass
class ImportResult:
    portfolio: Portfolio
    evidence: list[Evidence] = field(default_factory=list)
    record_evidence: Evidence | None = None
    files: int = 0
    source_centre: str = ""
    record_code: str | None = None

    @property
    def items(self) -> int:
        """The items of prior evidence brought in, not counting the unit record."""
        return len(self.evidence)


def _damaged(detail: str) -> ValidationError:
    return ValidationError(f"The archive's manifest is damaged or incomplete ({detail}), so nothing was imported.")


def _text(value: object, what: str, *, allow_empty: bool = True) -> str:
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _damaged(f"{what} is missing")
    return value


def _sha(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value.lower()):
        raise _damaged(f"{what} has no valid SHA-256")
    return value.lower()


def _listed(entry: object, what: str) -> ListedFile:
    if not isinstance(entry, dict):
        raise _damaged(f"{what} is not described")
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _damaged(f"{what} has no valid size")
    path = _text(entry.get("path"), f"the path of {what}", allow_empty=False)
    return ListedFile(
        path=path,
        name=_text(entry.get("name"), f"the name of {what}") or posixpath.basename(path),
        sha256=_sha(entry.get("sha256"), what),
        size=size,
    )


def _strings(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _damaged(f"{what} is not a list")
    return value


def _date(value: object, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(_text(value, what, allow_empty=False))
    except ValueError:
        raise _damaged(f"{what} is not a date") from None


def _item(raw: object, n: int) -> PriorItem:
    if not isinstance(raw, dict):
        raise _damaged(f"evidence item {n} is not described")
    ref = _text(raw.get("ref"), f"the reference of evidence item {n}", allow_empty=False)
    judgements = raw.get("judgements") or {}
    if not isinstance(judgements, dict) or not all(
        isinstance(judgements.get(k, {}), dict) for k in ("criteria", "range")
    ):
        raise _damaged(f"the judgements of {ref} are not readable")
    witness = raw.get("witness")
    if witness is not None and not isinstance(witness, dict):
        raise _damaged(f"the witness of {ref} is not readable")
    files = raw.get("files") or []
    if not isinstance(files, list):
        raise _damaged(f"the files of {ref} are not a list")
    return PriorItem(
        ref=ref,
        title=_text(raw.get("title"), f"the title of {ref}", allow_empty=False),
        method=_text(raw.get("method"), f"the method of {ref}", allow_empty=False),
        date=_date(raw.get("date"), f"the date of {ref}"),
        setting=_text(raw.get("setting"), f"the setting of {ref}", allow_empty=False),
        description=_text(raw.get("description"), f"the description of {ref}"),
        decision=_text(raw.get("decision"), f"the decision on {ref}"),
        criteria=_strings(raw.get("criteria"), f"the criteria of {ref}"),
        range=_strings(raw.get("range"), f"the range of {ref}"),
        judgements={k: {str(a): str(b) for a, b in (judgements.get(k) or {}).items()} for k in ("criteria", "range")},
        witness={str(k): "" if v is None else str(v) for k, v in witness.items()} if witness else None,
        files=[_listed(f, f"file {i} of {ref}") for i, f in enumerate(files, start=1)],
    )


def parse_record(manifest: object, unit_slug: str, unit_title: str) -> PriorRecord:
    """The manifest's record of the unit `unit_slug`, read and shape-checked; ValidationError if there is none."""
    if not isinstance(manifest, dict):
        raise _damaged("it is not a JSON object")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValidationError(
            "This is not a portable portfolio this system can read: its manifest is of an unknown format. "
            "Ask the previous centre for a portable portfolio export."
        )
    learner, centre, portfolios = manifest.get("learner"), manifest.get("centre"), manifest.get("portfolios")
    if not isinstance(learner, dict) or not isinstance(centre, dict) or not isinstance(portfolios, list):
        raise _damaged("the learner, centre or units are missing")
    found = [
        p
        for p in portfolios
        if isinstance(p, dict) and isinstance(p.get("unit"), dict) and p["unit"].get("slug") == unit_slug
    ]
    if not found:
        raise ValidationError(f"This archive holds no record of unit “{unit_title}”, so there is nothing to import.")
    raw = found[0]
    record = raw.get("record")
    if not isinstance(record, dict):
        raise _damaged("the unit record is not described")
    pdf_path = _text(record.get("pdf"), "the unit record's path", allow_empty=False)
    signatures = raw.get("signatures") or []
    evidence = raw.get("evidence") or []
    if not isinstance(signatures, list) or not isinstance(evidence, list):
        raise _damaged("the signatures or evidence are not lists")
    return PriorRecord(
        learner_name=_text(learner.get("name"), "the learner's name"),
        learner_number=_text(learner.get("number"), "the learner's number"),
        centre_name=_text(centre.get("name"), "the centre's name", allow_empty=False),
        centre_number=_text(centre.get("number"), "the centre's number"),
        exported_at=_text(manifest.get("exported_at"), "the date of the export"),
        unit_slug=unit_slug,
        unit_title=_text(raw["unit"].get("title"), "the unit's title") or unit_title,
        status=_text(raw.get("status"), "the unit's status"),
        code=_text(record.get("code"), "the record code") or None,
        # The record's size is not in the manifest: the hash alone decides.
        pdf=ListedFile(
            path=pdf_path,
            name=posixpath.basename(pdf_path),
            sha256=_sha(record.get("pdf_sha256"), "the unit record"),
            size=-1,
        ),
        signatures=[s for s in signatures if isinstance(s, dict)],
        items=[_item(e, n) for n, e in enumerate(evidence, start=1)],
    )


# --- Reading the archive --------------------------------------------------------------------------------------
