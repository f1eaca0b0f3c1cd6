"""Importing learners and their registrations from a CSV file.

A file that cannot be read as a whole (wrong encoding, missing columns,
ragged rows) imports nothing. A readable file imports every good row and
reports each rejected row with its reasons; each row is its own savepoint so
one bad row never leaves half a learner behind, and a row another import
registered at the same moment is reported as already registered.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from assessments.centre.qualifications import unit_on_qualification
from assessments.services import portfolio_register
from people.models import Centre, Membership, Role, User, normalise_email
from people.services import member_add
from units.models import Qualification, UnitCode

REQUIRED_COLUMNS = ["email", "full_name", "learner_number", "unit", "start_date", "planned_end_date"]
OPTIONAL_COLUMNS = ["assessor_email", "iv_email", "qualification"]
MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


class MalformedFile(Exception):
    pass


@dataclass
class RowResult:
    line: int
    email: str
    name: str
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    imported: list[RowResult] = field(default_factory=list)
    rejected: list[RowResult] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise MalformedFile("This is not a CSV file: it contains binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in this encoding unless told otherwise.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise MalformedFile("The file is not in a text encoding we can read. Save it as CSV UTF-8.") from None


def parse_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise MalformedFile(f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files.")
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise MalformedFile(f"The file is not valid CSV: {exc}.") from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise MalformedFile("The file is empty.")
    header_line, header = rows[0]
    columns = [cell.strip().lower().replace(" ", "_") for cell in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise MalformedFile(
            "The first line must name the columns. Missing: " + ", ".join(missing) + ". "
            "Expected: " + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) + "."
        )
    if len(set(columns)) != len(columns):
        raise MalformedFile("A column is named twice in the first line.")
    body = rows[1:]
    if not body:
        raise MalformedFile("The file has a header line but no learners.")
    if len(body) > MAX_ROWS:
        raise MalformedFile(f"The file has {len(body)} learners; the most in one file is {MAX_ROWS}.")
    parsed = []
    for number, row in body:
        if len(row) != len(columns):
            raise MalformedFile(
                f"Line {number} has {len(row)} fields but the header has {len(columns)}. "
                "Check for a missing or extra comma."
            )
        parsed.append((number, {c: v.strip() for c, v in zip(columns, row, strict=True)}))
    return parsed


def _parse_date(value: str) -> datetime.date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _unit_lookup() -> dict[str, list[UnitCode]]:
    """Each unit number as a file may write it ("220", "CG 220", "City & Guilds 220"), on the newest version of
    its unit: that is the one a new registration starts on."""
    lookup: dict[str, list[UnitCode]] = {}
    for code in UnitCode.newest_versions().select_related("unit", "awarding_body"):
        for key in (code.code, f"{code.awarding_body.code} {code.code}", f"{code.awarding_body.name} {code.code}"):
            lookup.setdefault(key.lower(), []).append(code)
    return lookup


def _staff_lookup(centre: Centre, role: Role) -> dict[str, User]:
    members = Membership.objects.filter(centre=centre, role=role, is_active=True).select_related("user")
    return {m.user.email.lower(): m.user for m in members}


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [message for messages in exc.message_dict.values() for message in messages]
    return list(exc.messages)


def _qualification_lookup() -> dict[str, Qualification]:
    """Each qualification by its title or slug, at its newest version: what a new registration starts on."""
    newest: dict[str, Qualification] = {}
    for qualification in Qualification.objects.order_by("version"):
        newest[qualification.family_slug] = qualification
    lookup: dict[str, Qualification] = {}
    for qualification in newest.values():
        lookup[qualification.family_slug.lower()] = lookup[qualification.title.lower()] = qualification
    return lookup


@transaction.atomic
def learners_import(*, actor: User, centre: Centre, data: bytes) -> ImportReport:
    rows = parse_rows(data)  # raises MalformedFile before anything is written
    units = _unit_lookup()
    qualifications = _qualification_lookup()
    assessors = _staff_lookup(centre, Role.ASSESSOR)
    ivs = _staff_lookup(centre, Role.IV)
    seen: set[tuple[str, int]] = set()
    report = ImportReport()

    for line, row in rows:
        result = RowResult(line=line, email=row["email"], name=row["full_name"])
        errors = result.errors
        email = normalise_email(row["email"])
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"“{row['email']}” is not a valid email address.")
        if not row["full_name"]:
            errors.append("The full name is empty.")
        if not row["learner_number"]:
            errors.append("The learner number is empty.")
        candidates = units.get(row["unit"].lower(), [])
        unit_code = candidates[0] if len(candidates) == 1 else None
        if not candidates:
            errors.append(f"No unit is numbered “{row['unit']}”.")
        elif unit_code is None:
            errors.append(
                f"“{row['unit']}” is numbered by more than one awarding body; write e.g. “OCR {row['unit']}”."
            )
        start = _parse_date(row["start_date"])
        end = _parse_date(row["planned_end_date"])
        if start is None:
            errors.append(f"The start date “{row['start_date']}” is not a date like 23/11/2026.")
        if end is None:
            errors.append(f"The planned end date “{row['planned_end_date']}” is not a date like 23/11/2026.")
        assessor = iv = None
        if row.get("assessor_email"):
            assessor = assessors.get(normalise_email(row["assessor_email"]))
            if assessor is None:
                errors.append(f"{row['assessor_email']} is not an active assessor at this centre.")
        if row.get("iv_email"):
            iv = ivs.get(normalise_email(row["iv_email"]))
            if iv is None:
                errors.append(f"{row['iv_email']} is not an active internal verifier at this centre.")
        qualification = None
        if row.get("qualification"):
            qualification = qualifications.get(row["qualification"].lower())
            if qualification is None:
                errors.append(f"No qualification is called “{row['qualification']}”.")
        if unit_code is not None:
            key = (email, unit_code.unit_id)
            if key in seen:
                errors.append("This learner and unit appear earlier in the file.")
            seen.add(key)

        if not errors:
            assert unit_code is not None and start is not None and end is not None
            register = functools.partial(
                _register_row,
                actor=actor,
                centre=centre,
                email=email,
                full_name=row["full_name"],
                unit_code=unit_code,
                learner_number=row["learner_number"],
                start_date=start,
                planned_end_date=end,
                assessor=assessor,
                iv=iv,
                qualification=qualification,
            )
            try:
                try:
                    register()
                except IntegrityError:
                    # Another import (or person) registered this learner between our check and our write, and
                    # has committed. Its savepoint is undone; looked at again, the row now says what happened.
                    register()
            except ValidationError as exc:
                errors.extend(_error_messages(exc))
            except IntegrityError:
                errors.append(f"{row['full_name']} was registered at this centre a moment ago, by someone else.")
        (report.rejected if errors else report.imported).append(result)
    return report


def _register_row(
    *,
    actor: User,
    centre: Centre,
    email: str,
    full_name: str,
    qualification: Qualification | None = None,
    **registration: Any,
) -> None:
    """One row, in its own savepoint, so a refusal or a lost race leaves nothing of it behind."""
    with transaction.atomic():
        learner = _learner_for(actor=actor, centre=centre, email=email, full_name=full_name)
        if qualification is None:
            portfolio_register(actor=actor, centre=centre, learner=learner, **registration)
        else:
            unit_on_qualification(
                actor=actor, centre=centre, learner=learner, qualification=qualification, **registration
            )


def _learner_for(*, actor: User, centre: Centre, email: str, full_name: str) -> User:
    membership = (
        Membership.objects.filter(user__email__iexact=email, centre=centre, role=Role.LEARNER, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is not None:
        return membership.user
    return member_add(actor=actor, centre=centre, email=email, full_name=full_name, role=Role.LEARNER).user
