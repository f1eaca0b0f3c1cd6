"""What each export contains, written to a temporary file so memory stays flat whatever the cohort's size.

Unit records come from the record store: a signed record is the PDF stored when it was signed, a draft is
rendered now and marked as one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify
from pypdf import PdfReader, PdfWriter

from assessments.models import (
    ClaimJudgement,
    Evidence,
    EvidenceFile,
    Portfolio,
    RecordCode,
    Signature,
    SignatureKind,
)
from assessments.records.services.renders import record_pdf
from units.models import Criterion, RangeItem

MANIFEST_FORMAT = "nvq-eportfolio/portable-portfolio/1"
Progress = Callable[[int], None]


def unit_number(portfolio: Portfolio) -> str:
    code = portfolio.unit_code
    return code.code if code else portfolio.unit.slug


def learner_folder(portfolio: Portfolio) -> str:
    return slugify(f"{portfolio.learner.full_name} {portfolio.learner_number}") or f"learner-{portfolio.learner_id}"


def _safe(name: str) -> str:
    return get_valid_filename(name.replace("/", "_").replace("\\", "_"))[:120] or "file"


def sha256_of(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _spool() -> tempfile.SpooledTemporaryFile:
    # Handed to the caller inside Built, who closes it once stored: hence no context manager here.
    return tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115


@dataclass
class Built:
    file: tempfile.SpooledTemporaryFile
    filename: str


def _evidence(portfolio: Portfolio) -> list[Evidence]:
    """The portfolio's own items with their files and mapping; cross-referenced ones travel with their home."""
    return list(
        Evidence.objects.filter(portfolio=portfolio)
        .select_related("method")
        .prefetch_related(
            Prefetch("files", queryset=EvidenceFile.objects.order_by("pk")),
            Prefetch("criteria", queryset=Criterion.objects.select_related("outcome")),
            "range_items",
            "cross_references__unit",
        )
        .order_by("number")
    )


def _copy_file(archive: zipfile.ZipFile, field, arcname: str) -> None:
    with field.open("rb") as source, archive.open(arcname, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)


def _files_of(portfolio: Portfolio) -> list[tuple[Evidence, EvidenceFile, str]]:
    out = []
    for e in _evidence(portfolio):
        for n, f in enumerate(e.files.all(), start=1):
            out.append((e, f, f"evidence/unit-{unit_number(portfolio)}/{e.reference}/{n}-{_safe(f.original_name)}"))
    return out


# --- One learner: their unit records merged into one PDF, after an index of evidence files -------------------


def learner_pdf(portfolios: list[Portfolio], progress: Progress) -> Built:
    from assessments.records.pdf.render import render_html_pdf

    units = []
    records = []
    for portfolio in portfolios:
        data, draft = record_pdf(portfolio)
        records.append((portfolio, data))
        code = RecordCode.objects.filter(portfolio=portfolio, round=portfolio.round).first()
        units.append(
            {
                "portfolio": portfolio,
                "draft": draft,
                "code": code,
                "files": [(e, f) for e, f, _ in _files_of(portfolio)],
            }
        )
        progress(1)
    first = portfolios[0]
    index = render_html_pdf(
        render_to_string(
            "pdf/learner_index.html",
            {
                "learner": first.learner,
                "centre": first.centre,
                "number": first.learner_number,
                "units": units,
                "now": timezone.now(),
            },
        )
    )
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(index)), outline_item="Index of records and evidence files")
    for portfolio, data in records:
        writer.append(
            PdfReader(io.BytesIO(data)), outline_item=f"Unit {unit_number(portfolio)}: {portfolio.unit.title}"
        )
    writer.add_metadata({"/Title": f"Unit records: {first.learner.full_name} ({first.learner_number})"})
    out = _spool()
    writer.write(out)
    out.seek(0)
    return Built(out, f"{learner_folder(first)}-records.pdf")


# --- Portable portfolio: a ZIP with the records, every evidence file and a manifest of hashes ------------------


def portfolio_manifest(
    portfolio: Portfolio, files: list[tuple[Evidence, EvidenceFile, str]], pdf_path: str, pdf_sha256: str
) -> dict:
    unit = portfolio.unit
    criteria = list(
        Criterion.objects.filter(outcome__unit=unit).select_related("outcome").order_by("outcome__number", "number")
    )
    ranges = list(RangeItem.objects.filter(unit=unit).order_by("letter"))
    items = _evidence(portfolio)
    judgements: dict[int, dict[str, dict[str, str]]] = {}
    for j in ClaimJudgement.objects.filter(evidence__in=items).select_related("criterion__outcome", "range_item"):
        slot = judgements.setdefault(j.evidence_id, {"criteria": {}, "range": {}})
        if j.criterion_id:
            slot["criteria"][j.criterion.code] = j.verdict
        else:
            slot["range"][j.range_item.letter] = j.verdict
    paths: dict[int, list[dict]] = {}
    for e, f, path in files:
        paths.setdefault(e.pk, []).append(
            {"path": path, "name": f.original_name, "sha256": f.sha256, "size": f.size, "content_type": f.content_type}
        )
    code = RecordCode.objects.filter(portfolio=portfolio, round=portfolio.round).first()
    return {
        "unit": {
            "slug": unit.slug,
            "title": unit.title,
            "level": unit.level,
            "credit_value": unit.credit_value,
            "numbers": {c.awarding_body.code: c.code for c in unit.codes.select_related("awarding_body")},
        },
        "status": portfolio.status,
        "round": portfolio.round,
        "start_date": portfolio.start_date.isoformat(),
        "criteria": [{"code": c.code, "text": c.text} for c in criteria],
        "range": [{"letter": r.letter, "text": r.text} for r in ranges],
        "evidence": [
            {
                "ref": e.reference,
                "title": e.title,
                "method": e.method.code,
                "date": e.activity_date.isoformat(),
                "setting": e.setting,
                "author": e.author,
                "description": e.description,
                "witness": {
                    "name": e.witness_name,
                    "job_title": e.witness_job_title,
                    "status": e.witness_status,
                    "statement": e.witness_statement,
                }
                if e.method.code == "WT"
                else None,
                "decision": e.decision,
                "criteria": sorted(c.code for c in e.criteria.all()),
                "range": sorted(r.letter for r in e.range_items.all()),
                "judgements": judgements.get(e.pk, {"criteria": {}, "range": {}}),
                "cross_referenced_to": sorted(p.unit.slug for p in e.cross_references.all()),
                "files": paths.get(e.pk, []),
            }
            for e in items
        ],
        "signatures": [
            {
                "kind": s.kind,
                "name": s.signer_name,
                "role": s.role,
                "signed_at": s.signed_at.isoformat(),
                "round": s.round,
                "record_sha256": s.digest,
                "withdrawn_at": s.withdrawn_at.isoformat() if s.withdrawn_at else None,
            }
            for s in Signature.objects.filter(portfolio=portfolio).order_by("signed_at", "pk")
        ],
        "record": {"code": code.display if code else None, "pdf": pdf_path, "pdf_sha256": pdf_sha256},
    }


def portable_zip(portfolios: list[Portfolio], progress: Progress) -> Built:
    first = portfolios[0]
    out = _spool()
    manifest = {
        "format": MANIFEST_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "learner": {"name": first.learner.full_name, "number": first.learner_number},
        "centre": {"name": first.centre.name, "number": first.centre.number},
        "portfolios": [],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for portfolio in portfolios:
            data, _ = record_pdf(portfolio)
            pdf_path = f"records/unit-{unit_number(portfolio)}.pdf"
            archive.writestr(pdf_path, data)
            files = _files_of(portfolio)
            for _, f, path in files:
                _copy_file(archive, f.file, path)
            manifest["portfolios"].append(
                portfolio_manifest(portfolio, files, pdf_path, hashlib.sha256(data).hexdigest())
            )
            progress(1)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    out.seek(0)
    return Built(out, f"{learner_folder(first)}-portfolio.zip")


# --- Cohort: each learner's records, optionally their files, and a CSV summary --------------------------------

SIGNATURE_COLUMNS = [
    (SignatureKind.LEARNER, "Learner declaration"),
    (SignatureKind.ASSESSOR, "Assessor signed"),
    (SignatureKind.ASSESSOR_COUNTERSIGN, "Assessor countersigned"),
    (SignatureKind.IV, "IV signed"),
    (SignatureKind.IV_COUNTERSIGN, "IV countersigned"),
    (SignatureKind.EV, "EV signed"),
]


def cohort_zip(portfolios: Iterable[Portfolio], include_files: bool, progress: Progress) -> Built:
    portfolios = list(portfolios)
    signed: dict[int, dict[str, Signature]] = {}
    for s in Signature.objects.standing().filter(portfolio__in=portfolios).order_by("signed_at"):
        signed.setdefault(s.portfolio_id, {})[s.kind] = s
    summary = io.StringIO()
    writer = csv.writer(summary)
    writer.writerow(
        ["Learner", "Learner number", "Unit", "Unit title", "Status", "Round", "Assessor", "Record code", "Record file"]
        + [label for _, label in SIGNATURE_COLUMNS]
    )
    codes = {c.portfolio_id: c for c in RecordCode.objects.filter(portfolio__in=portfolios).order_by("round")}
    out = _spool()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for portfolio in portfolios:
            folder = learner_folder(portfolio)
            data, draft = record_pdf(portfolio)
            pdf_path = f"{folder}/unit-{unit_number(portfolio)}{'-draft' if draft else ''}.pdf"
            # Records are already compressed: storing them again saves time and nothing else.
            archive.writestr(pdf_path, data, compress_type=zipfile.ZIP_STORED)
            if include_files:
                for _, f, path in _files_of(portfolio):
                    _copy_file(archive, f.file, f"{folder}/{path}")
            code = codes.get(portfolio.pk)
            dates = signed.get(portfolio.pk, {})
            writer.writerow(
                [
                    portfolio.learner.full_name,
                    portfolio.learner_number,
                    unit_number(portfolio),
                    portfolio.unit.title,
                    portfolio.get_status_display(),
                    portfolio.round,
                    portfolio.assessor.full_name if portfolio.assessor else "",
                    code.display if code and code.round == portfolio.round else "",
                    pdf_path,
                ]
                + [
                    timezone.localtime(dates[kind].signed_at).strftime("%d/%m/%Y") if kind in dates else ""
                    for kind, _ in SIGNATURE_COLUMNS
                ]
            )
            progress(1)
        # A BOM so that Excel, which most centres open it in, reads the names' accents right.
        archive.writestr("summary.csv", "\ufeff" + summary.getvalue())
    out.seek(0)
    return Built(out, f"cohort-{timezone.localdate().isoformat()}.zip")
