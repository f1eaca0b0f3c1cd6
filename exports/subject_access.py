"""A learner's subject-access export: everything the site holds about them, as one ZIP for the centre admin or the
data protection officer to hand over (`manage.py subject_access_export EMAIL --output FILE`).

The ZIP holds `account.json` (never the password hash), `memberships.csv`, `portfolios.json` (each registration
with its evidence, mapping, judgements, feedback, witness testimony, the assessor's records of them (an
observation's times, notes, feedback and their acknowledgement; question and answer pairs; a discussion's topics,
length and recording), plan, signatures, referrals and record codes), `qualifications.json` (each qualification
registration: qualification, version, learner number, dates, its units, and its progress as the dashboard shows it),
every evidence file under `files/` and every stored record PDF under `records/` (read through the storage API, so
from the file system or the bucket alike), `notifications.csv`, the audit rows about them in `audit.csv` and
`audit.json`, and `manifest.json` with each file's SHA-256. Files are read in chunks, so large videos do not fill
memory.

"About them" is decided once, in `audit_rows_about`: rows on their own registrations, rows whose target is their
account, and what they did themselves that concerns no other learner. What they did as a member of staff to
someone else's unit is that learner's record, not theirs, and is left out; so is everything of other learners.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename

from assessments.judgement.progress import RULE_IN_WORDS, qualifications_standing
from assessments.models import (
    AssessmentPlan,
    Author,
    ClaimJudgement,
    Discussion,
    Evidence,
    Feedback,
    Observation,
    Portfolio,
    QualificationRegistration,
    QuestionAnswer,
    RecordRender,
    Referral,
    Signature,
)
from audit.models import AuditEvent
from audit.services import audit_log
from notifications.models import Notification
from people.models import ExternalVerifier, Membership, User

FORMAT = "nvq-eportfolio/subject-access/1"
CHUNK = 1024 * 1024


def _when(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value.isoformat()


def _safe(name: str) -> str:
    return get_valid_filename(name.replace("/", "_").replace("\\", "_"))[:120] or "file"


def audit_rows_about(person: User) -> QuerySet[AuditEvent]:
    """The audit rows about `person`: on their registrations, targeting their account, or their own doing that
    names no other person's registration or account."""
    theirs = Portfolio.objects.filter(learner=person).values("pk")
    own_account = Q(target_type="people.user", target_id=str(person.pk))
    own_doing = Q(actor=person, portfolio__isnull=True) & (~Q(target_type="people.user") | own_account)
    # Registering them on a qualification names no unit of theirs: the row targets the qualification registration.
    ids = QualificationRegistration.objects.filter(learner=person).values_list("pk", flat=True)
    registered = [str(pk) for pk in ids]
    own_qualifications = Q(target_type="assessments.qualificationregistration", target_id__in=registered)
    # Each kind of row is found off its own index (portfolio, target, actor) and the ids joined: as one OR the
    # search read the whole audit table, as PostgreSQL cannot look up "registration in their units" inside an OR.
    kinds = [Q(portfolio__in=theirs), own_account, own_doing, own_qualifications]
    first, *rest = (AuditEvent.objects.filter(kind).order_by().values("pk") for kind in kinds)
    return AuditEvent.objects.filter(pk__in=first.union(*rest)).order_by("pk")


class _Zip:
    """A ZIP being written, remembering each member's SHA-256 and size for the manifest."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members: list[dict[str, Any]] = []

    def text(self, name: str, content: str) -> None:
        data = content.encode()
        self.archive.writestr(name, data)
        self.members.append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})

    def json(self, name: str, content: Any) -> None:
        self.text(name, json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n")

    def csv(self, name: str, header: list[str], rows: Iterable[list[Any]]) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        self.text(name, out.getvalue())

    def stored(self, name: str, field) -> dict[str, Any] | None:
        """Copy a stored file in through the storage API; None (and nothing written) if storage has lost it."""
        try:
            handle = field.storage.open(field.name, "rb")
        except (FileNotFoundError, OSError):
            return None
        digest, size = hashlib.sha256(), 0
        with handle, self.archive.open(name, "w", force_zip64=True) as member:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
        entry = {"path": name, "size": size, "sha256": digest.hexdigest()}
        self.members.append(entry)
        return entry


def _account(person: User) -> dict[str, Any]:
    return {
        "id": person.pk,
        "email": person.email,
        "full_name": person.full_name,
        "is_active": person.is_active,
        "date_joined": _when(person.date_joined),
        "last_login": _when(person.last_login),
        "email_notifications": person.email_notifications,
        "external_verifier_for": [
            {
                "awarding_body": ev.awarding_body.name,
                "active": ev.is_active,
                "centres": [c.name for c in ev.centres.all()],
            }
            for ev in ExternalVerifier.objects.filter(user=person).select_related("awarding_body")
        ],
    }


def _assessor_record(item: Evidence, files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the assessor recorded of the learner beyond the item's common fields: an observation's times, notes,
    feedback and the learner's acknowledgement; questioning's pairs; a discussion's topics, length and recording."""
    if item.author != Author.ASSESSOR:
        return None
    out: dict[str, Any] = {}
    # Each method has its own part: only that one is asked for.
    method = item.method.code
    observation = (
        Observation.objects.filter(evidence=item)
        .select_related("acknowledged_by")
        .prefetch_related("notes__criterion__outcome", "notes__range_item")
        .first()
        if method == "O"
        else None
    )
    if observation is not None:
        out["observation"] = {
            "start_time": observation.start_time.strftime("%H:%M"),
            "end_time": observation.end_time.strftime("%H:%M"),
            "notes": [
                {"claim": n.criterion.code if n.criterion_id else f"range {n.range_item.letter}", "note": n.note}
                for n in observation.notes.all()
            ],
            "feedback": observation.feedback,
            "acknowledgement": {
                "status": observation.acknowledgement,
                "in_words": observation.get_acknowledgement_display(),
                "at": _when(observation.acknowledged_at),
                "by": observation.acknowledged_by.full_name if observation.acknowledged_by else None,
            },
        }
    pairs = (
        list(QuestionAnswer.objects.filter(evidence=item).prefetch_related("criteria__outcome").order_by("order"))
        if method == "Q"
        else []
    )
    if pairs:
        out["questions_and_answers"] = [
            {
                "number": qa.order,
                "question": qa.question,
                "answer": qa.answer,
                "criteria": sorted(c.code for c in qa.criteria.all()),
            }
            for qa in pairs
        ]
    discussion = Discussion.objects.filter(evidence=item).first() if method == "PD" else None
    if discussion is not None:
        out["discussion"] = {
            "topics": discussion.topics,
            "duration_minutes": discussion.duration_minutes,
            # A discussion's only files are its recording, copied in under files/ with the rest.
            "recording": [f["in_this_zip"] or f["name"] for f in files],
        }
    return out


def _evidence(item: Evidence, out: _Zip, folder: str) -> dict[str, Any]:
    files = []
    for f in item.files.order_by("pk"):
        copied = out.stored(f"{folder}/{item.reference}-{f.pk}-{_safe(f.original_name)}", f.file)
        files.append(
            {
                "name": f.original_name,
                "size": f.size,
                "content_type": f.content_type,
                "sha256": f.sha256,
                "uploaded_at": _when(f.uploaded_at),
                "in_this_zip": copied["path"] if copied else None,
                "missing_from_storage": copied is None,
            }
        )
    judgements = ClaimJudgement.objects.filter(evidence=item).select_related("criterion", "range_item")
    return {
        "reference": item.reference,
        "title": item.title,
        "method": item.method.code,
        "activity_date": _when(item.activity_date),
        "setting": item.setting,
        "description": item.description,
        "author": item.author,
        "place": item.place,
        "questions": item.questions,
        "criteria": sorted(c.code for c in item.criteria.all()),
        "range_items": sorted(r.letter for r in item.range_items.all()),
        "also_counts_towards": sorted(p.pk for p in item.cross_references.all()),
        "witness": {
            "name": item.witness_name,
            "job_title": item.witness_job_title,
            "relationship": item.witness_relationship,
            "email": item.witness_email,
            "statement": item.witness_statement,
            "status": item.witness_status,
            "confirmed_at": _when(item.witness_confirmed_at),
        }
        if item.method.code == "WT"
        else None,
        "decision": item.decision,
        "decided_at": _when(item.decided_at),
        "judgements": [
            {
                "claim": j.criterion.code if j.criterion_id else j.range_item.letter,
                "verdict": j.verdict,
                "judged_at": _when(j.judged_at),
            }
            for j in judgements
        ],
        "feedback": [
            {"from": m.author.full_name, "role": m.role, "text": m.text, "at": _when(m.created_at)}
            for m in Feedback.objects.filter(evidence=item).select_related("author")
        ],
        "assessor_record": _assessor_record(item, files),
        "created_at": _when(item.created_at),
        "files": files,
    }


def _portfolio(p: Portfolio, out: _Zip) -> dict[str, Any]:
    folder = f"files/registration-{p.pk}"
    evidence = [
        _evidence(item, out, folder)
        for item in Evidence.objects.filter(portfolio=p).select_related("method").order_by("number")
    ]
    records = []
    for render in RecordRender.objects.filter(record_code__portfolio=p).select_related("record_code").order_by("pk"):
        copied = out.stored(f"records/registration-{p.pk}/{render.record_code.code}-{render.pk}.pdf", render.file)
        records.append(
            {
                "record_code": render.record_code.display,
                "round": render.record_code.round,
                "sha256": render.sha256,
                "made_at": _when(render.created_at),
                "in_this_zip": copied["path"] if copied else None,
            }
        )
    plan = AssessmentPlan.objects.filter(portfolio=p).first()
    code = p.unit_code
    return {
        "id": p.pk,
        "centre": {"name": p.centre.name, "number": p.centre.number},
        "unit": {"title": p.unit.title, "number": f"{code}" if code else ""},
        "awarding_body": p.awarding_body.name,
        "learner_number": p.learner_number,
        "qualification_registration": p.qualification_registration_id,
        "assessor": p.assessor.full_name if p.assessor else None,
        "internal_verifier": p.iv.full_name if p.iv else None,
        "start_date": _when(p.start_date),
        "planned_end_date": _when(p.planned_end_date),
        "status": p.get_status_display(),
        "round": p.round,
        "evidence": evidence,
        "assessment_plan": {
            "learner_agreed_at": _when(plan.learner_agreed_at),
            "assessor_agreed_at": _when(plan.assessor_agreed_at),
            "actions": [
                {"description": a.description, "method": a.method.code, "due_date": _when(a.due_date)}
                for a in plan.actions.select_related("method")
            ],
        }
        if plan
        else None,
        "signatures": [
            {
                "kind": s.get_kind_display(),
                "round": s.round,
                "signer": s.signer_name,
                "role": s.role,
                "statement": s.statement,
                "signed_at": _when(s.signed_at),
                "record_sha256": s.digest,
                "withdrawn_at": _when(s.withdrawn_at),
                "withdrawal_reason": s.withdrawal_reason,
            }
            for s in Signature.objects.filter(portfolio=p).order_by("signed_at", "pk")
        ],
        "referrals": [
            {"round": r.round, "role": r.role, "reasons": r.reasons, "at": _when(r.created_at)}
            for r in Referral.objects.filter(portfolio=p)
        ],
        "record_codes": [c.display for c in p.record_codes.order_by("round")],
        "stored_records": records,
    }


def _qualifications(person: User) -> dict[str, Any]:
    """Each qualification they are registered on, with its progress as their dashboard shows it today."""
    registrations = list(
        QualificationRegistration.objects.filter(learner=person)
        .select_related("qualification__awarding_body", "centre")
        .order_by("pk")
    )
    today = timezone.localdate()
    standings = qualifications_standing(registrations, today=today)
    units = defaultdict(list)
    for portfolio_id, registration_id in Portfolio.objects.filter(
        qualification_registration__in=registrations
    ).values_list("pk", "qualification_registration"):
        units[registration_id].append(portfolio_id)
    return {
        "progress_on": _when(today),
        "progress_rule": RULE_IN_WORDS,
        "registrations": [
            {
                "id": r.pk,
                "centre": {"name": r.centre.name, "number": r.centre.number},
                "qualification": r.qualification.title,
                "version": r.qualification.version,
                "level": r.qualification.level,
                "awarding_body": r.qualification.awarding_body.name,
                "qualification_number": r.qualification.number,
                "learner_number": r.learner_number,
                "start_date": _when(r.start_date),
                "planned_end_date": _when(r.planned_end_date),
                "registered_at": _when(r.created_at),
                "progress": {
                    "percent": standings[r.pk].percent,
                    "status": standings[r.pk].label,
                    "still_needed": standings[r.pk].shortfalls,
                },
                # The ids of its units in portfolios.json.
                "registrations_of_units": sorted(units[r.pk]),
            }
            for r in registrations
        ],
    }


def _write(person: User, out: _Zip) -> dict[str, int]:
    out.json("account.json", _account(person))
    memberships = Membership.objects.filter(user=person).select_related("centre").order_by("created_at", "pk")
    out.csv(
        "memberships.csv",
        ["centre", "centre_number", "role", "qualification", "active", "since"],
        (
            [m.centre.name, m.centre.number, m.get_role_display(), m.qualification, m.is_active, _when(m.created_at)]
            for m in memberships
        ),
    )
    portfolios = list(
        Portfolio.objects.filter(learner=person)
        .select_related("centre", "unit", "awarding_body", "assessor", "iv")
        .order_by("pk")
    )
    out.json("portfolios.json", [_portfolio(p, out) for p in portfolios])
    qualifications = _qualifications(person)
    out.json("qualifications.json", qualifications)
    notifications = Notification.objects.filter(user=person).order_by("created_at", "pk")
    out.csv(
        "notifications.csv",
        ["created_at", "kind", "title", "body", "link", "done_at", "emailed_at"],
        (
            [_when(n.created_at), n.kind, n.title, n.body, n.url, _when(n.done_at), _when(n.emailed_at)]
            for n in notifications
        ),
    )
    rows = [
        {
            "id": e.pk,
            "at": _when(e.at),
            "actor": e.actor.full_name if e.actor else "",
            "actor_role": e.actor_role,
            "centre": e.centre.name if e.centre else "",
            "action": e.action,
            "registration": e.portfolio_id,
            "target": f"{e.target_type} {e.target_id}".strip(),
            "summary": e.summary,
            "data": e.data,
        }
        for e in audit_rows_about(person).select_related("actor", "centre")
    ]
    columns = ["id", "at", "actor", "actor_role", "centre", "action", "registration", "target", "summary", "data"]
    out.csv("audit.csv", columns, ([json.dumps(r[c]) if c == "data" else r[c] for c in columns] for r in rows))
    out.json("audit.json", rows)
    return {
        "registrations": len(portfolios),
        "qualification_registrations": len(qualifications["registrations"]),
        "audit_rows": len(rows),
    }


README = """Subject-access export from the NVQ e-portfolio, made {made} (UTC) for account {id}.

account.json        the account (the password is never stored in a readable form, so it is not here)
memberships.csv     the roles held at each centre
portfolios.json     each registration: evidence, mapping, judgements, feedback, witness testimony, the
                    assessor's records (observation times, notes, feedback and acknowledgement; question
                    and answer pairs; discussion topics, length and recording), plan, signatures,
                    referrals and record codes
qualifications.json each qualification registration: the qualification, its version, the learner
                    number, the dates, which registrations of units are under it, and its progress
                    (percentage, status and what is still needed) as the dashboard showed it that day
files/              every evidence file, as uploaded
records/            every stored PDF of a signed unit record
notifications.csv   what the site asked of this person
audit.csv, .json    every audit row about this person and their registrations
manifest.json       the SHA-256 and size of each file in this ZIP
"""


@transaction.atomic
def subject_access_export(*, person: User, output: Path) -> dict[str, Any]:
    """Write `person`'s subject-access ZIP to `output` (replacing nothing: it must not exist), readable by its owner
    only, and audit that it was made. Returns what it holds."""
    output = Path(output)
    if output.exists():
        raise FileExistsError(f"{output} exists already: give a new file name.")
    made = timezone.now()
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".subject-access-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            out = _Zip(archive)
            out.text("README.txt", README.format(made=f"{made:%d/%m/%Y %H:%M}", id=person.pk))
            counts = _write(person, out)
            files = sum(1 for m in out.members if m["path"].startswith(("files/", "records/")))
            archive.writestr(
                "manifest.json",
                json.dumps(
                    {"format": FORMAT, "made_at": _when(made), "account": person.pk, "files": out.members}, indent=2
                ),
            )
        os.chmod(temporary, 0o600)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with output.open("rb") as done:
        digest = hashlib.sha256()
        for chunk in iter(lambda: done.read(CHUNK), b""):
            digest.update(chunk)
    membership = Membership.objects.filter(user=person).select_related("centre").order_by("created_at").first()
    summary = {**counts, "files": files, "sha256": digest.hexdigest()}
    audit_log(
        actor=None,
        action="subject_access.exported",
        centre=membership.centre if membership else None,
        target=person,
        summary=f"Subject-access export of account {person.pk} made: {counts['registrations']} registration(s), "
        f"{files} file(s), {counts['audit_rows']} audit row(s)",
        data=summary,
    )
    return summary
