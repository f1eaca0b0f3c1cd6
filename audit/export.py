"""The audit trail as CSV, streamed a chunk of rows at a time so a centre's whole history never sits in memory."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator

from django.db.models import QuerySet

from audit.models import AuditEvent
from audit.trail import LONDON, role_label

HEADER = [
    "Date",
    "Time (UK)",
    "UTC timestamp",
    "Person",
    "Email",
    "Role",
    "Action",
    "Learner",
    "Learner number",
    "Unit",
    "Target type",
    "Target ID",
    "Summary",
]
CHUNK = 500
# Spreadsheets run a cell that starts with one of these as a formula: a summary typed by a learner must not.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer wants a file; this one hands each line straight back."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row_cells(event: AuditEvent) -> list[str]:
    local = event.at.astimezone(LONDON)
    utc = event.at.astimezone(datetime.UTC)
    actor, portfolio = event.actor, event.portfolio
    cells = [
        local.strftime("%d/%m/%Y"),
        local.strftime("%H:%M:%S"),
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        actor.full_name if actor else "",
        actor.email if actor else "",
        role_label(event.actor_role) if event.actor_role else "",
        event.action,
        portfolio.learner.full_name if portfolio else "",
        portfolio.learner_number if portfolio else "",
        portfolio.unit.title if portfolio else "",
        event.target_type,
        event.target_id,
        event.summary,
    ]
    return [safe_cell(cell) for cell in cells]


def csv_lines(rows: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The BOM tells Excel the file is UTF-8, so names with accents and "£" come out right.
    yield "\ufeff" + writer.writerow(HEADER)
    batch: list[str] = []
    for event in rows.iterator(chunk_size=CHUNK):
        batch.append(writer.writerow(row_cells(event)))
        if len(batch) >= CHUNK:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
