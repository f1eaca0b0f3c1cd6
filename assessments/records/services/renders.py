"""Stored PDFs of the unit record: one render per signed state, kept and served as made.

A record is rendered when it is signed and again at each later change of its
sign-off block (a signature, a release, completion, a withdrawal), by a
background task enqueued once the change commits. A download that arrives
before the task has run renders the same state itself, so it never waits for a
worker and never shows a stale block.

No render happens under a lock: the state and what the record shows are read
in one short locked transaction (so they agree with each other), the PDF is
made after it has committed, and the unique (record code, state) pair settles
two renders of the same state racing to be stored. Serving a stored render
takes one query and no lock (`stored_record`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessments.models import Portfolio, RecordCode, RecordRender, Signature
from assessments.records.integrity import checked_sha256
from assessments.records.pdf.content import RecordContent, record_content, record_state, standing_signatures
from assessments.records.pdf.render import render_pdf
from assessments.records.stamps import stamps_sql
from units.models import UnitCode


def record_code_for(portfolio: Portfolio) -> RecordCode:
    """The code of the portfolio's current round; call with the portfolio row locked."""
    code, _ = RecordCode.objects.get_or_create(portfolio=portfolio, round=portfolio.round)
    return code


def record_render_enqueue(portfolio: Portfolio) -> None:
    """Render the record in the background once the change being made now has committed."""
    from assessments.tasks import render_unit_record

    portfolio_id = portfolio.pk
    transaction.on_commit(lambda: render_unit_record.enqueue(portfolio_id))


@dataclass
class StoredRecord:
    """What one query says about the record as it stands: whether anything is signed in this round, the stored
    render of this state if there is one yet, the unit's number under the learner's body (for file names), and
    the record's stamps (the portfolio's and the shared one), which key its draft when nothing is signed."""

    signed: bool
    render: RecordRender | None
    unit_number: str | None
    stamps: tuple[int, int]


def _stored_record_sql() -> str:
    # Written out rather than built by the ORM: this runs on every download, and compiling the same joins and
    # subquery through the ORM cost more CPU than the database took to answer it. Table names come from the models.
    # The signatures are joined to one row, so an unsigned record still gives a row: its number and its stamps.
    signature, render, code = Signature._meta.db_table, RecordRender._meta.db_table, UnitCode._meta.db_table
    return (
        f"SELECT s.id, (SELECT c.code FROM {code} c WHERE c.unit_id = %s AND c.awarding_body_id = %s LIMIT 1), "
        f"r.id, r.record_code_id, r.state, r.file, r.sha256, r.size, r.created_at, {stamps_sql()} "
        f"FROM (SELECT 1 AS one) AS here "
        f"LEFT OUTER JOIN {signature} s ON s.portfolio_id = %s AND s.round = %s AND s.withdrawn_at IS NULL "
        f"LEFT OUTER JOIN {render} r ON r.signature_id = s.id "
        f"ORDER BY s.signed_at, s.id"
    )


def stored_record(portfolio: Portfolio) -> StoredRecord:
    """The stored render of the record's current state, in one query and without a lock.

    The standing signatures of the round, each joined to the renders it is the latest signature of: the render of
    the current state, if made, is among them (its latest signature stands), so the state is worked out here and
    matched against them. The unit number and the record's stamps ride along as scalar subqueries, sparing the
    download a query of its own for its file name, and a draft one for its key."""
    params = [portfolio.unit_id, portfolio.awarding_body_id, portfolio.pk, portfolio.pk, portfolio.round]
    with connections[Signature.objects.db].cursor() as cursor:
        cursor.execute(_stored_record_sql(), params)
        rows = cursor.fetchall()
    number, stamps = rows[0][1], (rows[0][9] or 0, rows[0][10] or 0)
    if rows[0][0] is None:
        return StoredRecord(signed=False, render=None, unit_number=number, stamps=stamps)
    ids = list(dict.fromkeys(row[0] for row in rows))
    state = f"{portfolio.status}:{','.join(str(pk) for pk in ids)}"
    render = None
    for signature_id, _, pk, code_id, row_state, name, sha256, size, created_at, *_ in rows:
        if pk is not None and row_state == state:
            render = RecordRender(
                pk=pk,
                record_code_id=code_id,
                state=row_state,
                signature_id=signature_id,
                file=name,
                sha256=sha256,
                size=size,
                created_at=_aware(created_at),
            )
            render._state.adding = False
            render._state.db = Signature.objects.db
            break
    return StoredRecord(signed=True, render=render, unit_number=number, stamps=stamps)


def _aware(value) -> datetime:
    """A timestamp as the ORM would give it: SQLite's driver hands back text or a naive UTC datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _state_and_content(portfolio: Portfolio) -> tuple[str, Signature, RecordContent] | RecordRender | None:
    """Under the portfolio's row lock, briefly: the state, and what a render of it shows, read together (a
    signature landing between two reads would otherwise pair one status with another's signatures). The stored
    render instead if this state has one, None for a draft."""
    with transaction.atomic():
        portfolio = (
            Portfolio.objects.select_for_update(of=("self",))
            .select_related("unit", "centre", "learner", "awarding_body")
            .get(pk=portfolio.pk)
        )
        signatures = standing_signatures(portfolio)
        if not signatures:
            return None
        code = record_code_for(portfolio)
        state = record_state(portfolio, signatures)
        existing = RecordRender.objects.filter(record_code=code, state=state).first()
        if existing:
            return existing
        content = record_content(portfolio, signatures)
        content.code = code
        return state, signatures[-1], content


def record_render_store(*, portfolio: Portfolio) -> RecordRender | None:
    """The stored PDF of the record as it stands, rendered now if this state has none yet; None for a draft
    (nothing signed in this round), which is never stored here (see services/drafts.py)."""
    read = _state_and_content(portfolio)
    if read is None or isinstance(read, RecordRender):
        return read
    state, latest, content = read
    pdf = render_pdf(content)  # no transaction open, so no lock held while WeasyPrint works
    render = RecordRender(
        record_code=content.code,
        state=state,
        signature=latest,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
    )
    render.file.save("record.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            render.save()
    except IntegrityError:
        # Another request or the worker stored this state first: theirs is the record, ours goes.
        render.file.storage.delete(render.file.name)
        return RecordRender.objects.get(record_code=content.code, state=state)
    return render


class StoredRecordAltered(Exception):
    """The stored PDF's bytes no longer match the SHA-256 taken when it was made."""

    def __init__(self, render: RecordRender, actual: str | None) -> None:
        super().__init__(f"The stored record PDF {render.pk} has been changed outside the application.")
        self.render = render
        self.actual = actual


def stored_render_open(render: RecordRender) -> IO[bytes]:
    """The stored PDF, opened for streaming, once its bytes are known to be the ones made; StoredRecordAltered if
    they are not (or the file is gone)."""
    try:
        handle = render.file.storage.open(render.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise StoredRecordAltered(render, None) from None
    try:
        # Hashed once, then trusted while storage says the file is untouched (assessments/records/integrity.py).
        actual = checked_sha256(render.file, render.sha256, handle=handle)
        if actual != render.sha256:
            raise StoredRecordAltered(render, actual)
    except BaseException:
        handle.close()
        raise
    return handle


@dataclass
class RecordFile:
    """A PDF of the record to hand out: an open handle (stream it, then close it), and what a browser's cached copy
    is compared with (the PDF's SHA-256 and when it was made)."""

    handle: IO[bytes]
    draft: bool
    etag: str
    last_modified: datetime | None
    unit_number: str | None


def record_file(portfolio: Portfolio) -> RecordFile:
    """The record to hand out now. A signed state from the store, and only as stored (StoredRecordAltered if its
    bytes have changed since): one query and no lock once it is stored. A draft from the draft cache."""
    from assessments.records.services.drafts import draft_file

    found = stored_record(portfolio)
    if not found.signed:
        return draft_file(portfolio, read=(found.stamps, found.unit_number))
    render = found.render or record_render_store(portfolio=portfolio)
    if render is None:  # every signature was withdrawn between the two reads
        return draft_file(portfolio)
    return RecordFile(
        handle=stored_render_open(render),
        draft=False,
        etag=render.sha256,
        last_modified=render.created_at,
        unit_number=found.unit_number,
    )


def record_pdf(portfolio: Portfolio) -> tuple[bytes, bool]:
    """The PDF's bytes, and whether it is a draft: for exports, which put them into a file of their own."""
    found = record_file(portfolio)
    with found.handle as handle:
        return handle.read(), found.draft
