"""Bringing a learner's portable portfolio from their previous centre into a registration here.

The archive is what exports/builders.py `portable_zip` makes: the signed unit record, every evidence file, and a
manifest listing each file with its SHA-256. Nothing in it is trusted until checked:

* the ZIP is measured before anything is read (entry count, declared unpacked size), and only the entries the
  manifest names are ever read, straight from the archive into memory or a temporary file, never onto a path;
* every listed file and the record PDF must match the manifest's size and SHA-256, all of them before anything
  is written; then each file is checked again by content (`inspect_upload`) as if the learner had uploaded it;
* everything lands in one transaction, and files written to storage are removed again if it fails.

Each original item becomes one item of recognised prior learning (method RPL) with the same date, setting,
criteria and range, a description saying where it came from, and its decision pending: the assessor here
judges it. The record PDF becomes one more item, with no claims.

The items are written here rather than through `evidence_save`: that service is the learner's own, audits as
the learner, and refuses any activity dated before the registration started, which prior evidence always is.
The checks it makes that do apply to prior evidence (a signed unit stays locked, the method must be one the
unit allows, no future dates, the unit's rule on simulation) are made here too.
"""

from __future__ import annotations

import datetime
import zipfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.evidence.services.files import file_summary, files_store, removes_files_if_failed
from assessments.evidence.services.items import check_unlocked
from assessments.evidence.uploads import InspectedFile, inspect_upload
from assessments.models import Decision, Evidence, EvidenceFile, EvidenceSetting, Portfolio
from audit.services import audit_log
from exports.importing.archive import index_entries, open_archive, read_manifest, upload_from, verify_entry
from exports.importing.manifest import RPL, TITLE_MAX, ImportResult, ListedFile, PriorItem, PriorRecord, parse_record
from people.models import Membership, Role, User
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem


def _check_actor(actor: User, role: str, portfolio: Portfolio) -> None:
    if (
        role != Role.ADMIN
        or not Membership.objects.filter(
            user=actor, centre_id=portfolio.centre_id, role=Role.ADMIN, is_active=True
        ).exists()
    ):
        raise PermissionDenied("Only a centre admin at the learner's new centre imports their prior evidence.")


def _title(prefix: str, title: str) -> str:
    title = f"{prefix}{' '.join(title.split())}"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "not recorded"


def _description(item: PriorItem, record: PriorRecord, method_name: str) -> str:
    centre = record.centre_name + (f" (centre number {record.centre_number})" if record.centre_number else "")
    verdicts = [f"{code} {verdict}" for code, verdict in sorted(item.judgements["criteria"].items())]
    verdicts += [f"range {letter} {verdict}" for letter, verdict in sorted(item.judgements["range"].items())]
    lines = [
        f"Recognised prior evidence from {centre}.",
        f"Original reference there: {item.ref}. Method there: {method_name}.",
        f"The previous assessor's decision: {_label(Decision, item.decision)}."
        + (f" Claims judged: {', '.join(verdicts)}." if verdicts else ""),
        f"Unit record code: {record.code or 'none (the record was a draft, not signed)'}.",
    ]
    if item.witness:
        w = item.witness
        who = ", ".join(x for x in (w.get("name", ""), w.get("job_title", "")) if x)
        lines.append(f"Witness: {who or 'not named'} ({w.get('status') or 'status not recorded'}).")
        if w.get("statement"):
            lines += ["Witness statement:", w["statement"]]
    if item.description.strip():
        lines += ["", "Original description:", item.description]
    return "\n".join(lines)


def _record_description(record: PriorRecord) -> str:
    centre = record.centre_name + (f" (centre number {record.centre_number})" if record.centre_number else "")
    lines = [
        f"The unit record for “{record.unit_title}” from {centre}, as exported with the learner's portable "
        "portfolio. Its SHA-256 matched the manifest when it was imported.",
        f"Record code: {record.code or 'none (a draft record, not signed)'}."
        + (" Check it on the verification page." if record.code else ""),
        f"Learner there: {record.learner_name} ({record.learner_number}).",
    ]
    standing = [s for s in record.signatures if not s.get("withdrawn_at")]
    if standing:
        lines.append("Signatures on it:")
        lines += [f"- {s.get('name', '')} ({s.get('role', '')}), {str(s.get('signed_at', ''))[:10]}" for s in standing]
    return "\n".join(lines)


def _mapping(item: PriorItem, criteria: dict[str, Criterion], ranges: dict[str, RangeItem]):
    unknown = [c for c in item.criteria if c not in criteria] + [f"range {r}" for r in item.range if r not in ranges]
    if unknown:
        raise ValidationError(f"{item.ref} claims {', '.join(unknown)}, which this unit does not have.")
    return [criteria[c] for c in item.criteria], [ranges[r] for r in item.range]


def _check_item(item: PriorItem, unit, chosen: list[Criterion], range_items: list[RangeItem]) -> None:
    if item.setting not in EvidenceSetting.values:
        raise ValidationError(f"{item.ref} has a setting this system does not know ({item.setting}).")
    if item.date > timezone.localdate():
        raise ValidationError(f"{item.ref} is dated in the future ({item.date:%d/%m/%Y}).")
    if item.setting == EvidenceSetting.SIMULATION and not unit.simulation_allowed_for_performance:
        performance = [c.code for c in chosen if c.outcome.kind == LearningOutcome.Kind.PERFORMANCE]
        if performance or range_items:
            raise ValidationError(
                f"{item.ref} was simulated, and this unit does not allow simulation for performance evidence "
                f"({', '.join(performance) or 'its range'})."
            )


def _new_item(
    *, actor: User, portfolio: Portfolio, method: AssessmentMethod, title: str, date, setting: str, description: str
) -> Evidence:
    portfolio.evidence_counter += 1
    portfolio.save(update_fields=["evidence_counter"])
    return Evidence.objects.create(
        portfolio=portfolio,
        number=portfolio.evidence_counter,
        title=title,
        method=method,
        activity_date=date,
        setting=setting,
        description=description,
        created_by=actor,
    )


def _store(
    *,
    actor: User,
    evidence: Evidence,
    opened: zipfile.ZipFile,
    listed: list[tuple[ListedFile, zipfile.ZipInfo]],
    ref: str,
) -> list[EvidenceFile]:
    """Check each file by content, as an upload would be, and keep it; its hash must still be the manifest's."""
    kept = []
    for entry, info in listed:
        upload = upload_from(opened, info, entry.name, f"A file of {ref}")
        try:
            try:
                inspected: InspectedFile = inspect_upload(upload)
            except ValidationError as exc:
                raise ValidationError(f"{ref}: {' '.join(exc.messages)} Nothing was imported.") from None
            if inspected.sha256 != entry.sha256:
                raise ValidationError(f"{ref}: {entry.path} changed while it was being imported.")
            kept += files_store(actor=actor, evidence=evidence, files=[inspected])
        finally:
            upload.close()
    return kept


def _already_imported(portfolio: Portfolio, sha256: str) -> Evidence | None:
    found = EvidenceFile.objects.filter(evidence__portfolio=portfolio, sha256=sha256).select_related("evidence")
    first = found.first()
    return first.evidence if first else None


@removes_files_if_failed
@transaction.atomic
def portable_import(*, actor: User, role: str, portfolio: Portfolio, archive) -> ImportResult:
    """Bring the unit's record and evidence from a portable portfolio archive into `portfolio` as prior evidence.

    Every hash is checked before anything is written; any failure raises ValidationError and keeps nothing.
    """
    portfolio = Portfolio.objects.select_for_update(of=("self",)).select_related("unit", "centre").get(pk=portfolio.pk)
    _check_actor(actor, role, portfolio)
    check_unlocked(portfolio=portfolio)
    unit = portfolio.unit
    with open_archive(archive) as opened:
        index = index_entries(opened)
        record = parse_record(read_manifest(opened, index), unit.slug, unit.title)
        method = unit.methods.filter(code=RPL).first()
        if method is None:
            raise ValidationError(
                f"Recognised prior learning (RPL) is not an assessment method for {unit.title}, "
                "so prior evidence cannot be imported into it."
            )
        # First every hash, before anything is written.
        record_info = verify_entry(opened, index, record.pdf, "The unit record")
        verified = [
            [(f, verify_entry(opened, index, f, f"A file of {item.ref}")) for f in item.files] for item in record.items
        ]
        earlier = _already_imported(portfolio, record.pdf.sha256)
        if earlier is not None:
            raise ValidationError(
                f"This unit record is already in this portfolio as {earlier.reference}, so it was not imported again."
            )
        criteria = {c.code: c for c in Criterion.objects.filter(outcome__unit=unit).select_related("outcome")}
        ranges = {r.letter: r for r in RangeItem.objects.filter(unit=unit)}
        mapped = [_mapping(item, criteria, ranges) for item in record.items]
        for item, (chosen, range_items) in zip(record.items, mapped, strict=True):
            _check_item(item, unit, chosen, range_items)
        methods = dict(AssessmentMethod.objects.values_list("code", "name"))

        result = ImportResult(portfolio=portfolio, source_centre=record.centre_name, record_code=record.code)
        audit_items = []
        for item, (chosen, range_items), files in zip(record.items, mapped, verified, strict=True):
            method_name = f"{item.method} {methods[item.method]}" if item.method in methods else item.method
            evidence = _new_item(
                actor=actor,
                portfolio=portfolio,
                method=method,
                title=_title(f"Prior evidence {item.ref}: ", item.title),
                date=item.date,
                setting=item.setting,
                description=_description(item, record, method_name),
            )
            evidence.criteria.set(chosen)
            evidence.range_items.set(range_items)
            kept = _store(actor=actor, evidence=evidence, opened=opened, listed=files, ref=item.ref)
            result.evidence.append(evidence)
            result.files += len(kept)
            audit_items.append(
                {
                    "reference": evidence.reference,
                    "original_reference": item.ref,
                    "original_method": item.method,
                    "original_decision": item.decision,
                    "criteria": item.criteria,
                    "range": item.range,
                    "files": [file_summary(f) for f in kept],
                }
            )

        latest = max((str(s.get("signed_at", ""))[:10] for s in record.signatures), default="")
        try:
            record_date = datetime.date.fromisoformat(latest or record.exported_at[:10])
        except ValueError:
            record_date = timezone.localdate()
        signed = bool(record.code)
        record_item = _new_item(
            actor=actor,
            portfolio=portfolio,
            method=method,
            title=_title("", f"{'Signed' if signed else 'Draft'} unit record from {record.centre_name}"),
            date=min(record_date, timezone.localdate()),
            setting=EvidenceSetting.REAL_WORK,
            description=_record_description(record),
        )
        pdf_name = f"unit-record-{record.code or 'draft'}.pdf"
        kept = _store(
            actor=actor,
            evidence=record_item,
            opened=opened,
            listed=[(ListedFile(record.pdf.path, pdf_name, record.pdf.sha256, -1), record_info)],
            ref="The unit record",
        )
        result.record_evidence = record_item
        result.files += len(kept)

    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="portfolio.imported",
        target=portfolio,
        summary=(
            f"{result.items} items of prior evidence and the unit record ({result.files} files) imported from "
            f"{record.centre_name}"
        ),
        data={
            "portfolio": portfolio.pk,
            "source": {
                "centre": record.centre_name,
                "centre_number": record.centre_number,
                "learner": record.learner_name,
                "learner_number": record.learner_number,
                "status": record.status,
                "exported_at": record.exported_at,
            },
            "record_code": record.code,
            "record_sha256": record.pdf.sha256,
            "record_evidence": record_item.reference,
            "items": result.items,
            "files": result.files,
            "evidence": audit_items,
        },
    )
    return result
