"""Stored PDFs of the unit record: one render per signed state, kept and served as made.

A record is rendered when it is signed and again at each later change of its
sign-off block (a signature, a release, completion, a withdrawal), by a
background task enqueued once the change commits. A download that arrives
before the task has run renders the same state itself, so it never waits for a
worker and never shows a stale block.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction

from assessments.models import Portfolio, RecordCode, RecordRender
from assessments.records.pdf.content import record_content, record_state, standing_signatures
from assessments.records.pdf.render import render_pdf


def record_code_for(portfolio: Portfolio) -> RecordCode:
    """The code of the portfolio's current round; call with the portfolio row locked."""
    code, _ = RecordCode.objects.get_or_create(portfolio=portfolio, round=portfolio.round)
    return code


def record_render_enqueue(portfolio: Portfolio) -> None:
    """Render the record in the background once the change being made now has committed."""
    from assessments.tasks import render_unit_record

    portfolio_id = portfolio.pk
    transaction.on_commit(lambda: render_unit_record.enqueue(portfolio_id))


@transaction.atomic
def record_render_store(*, portfolio: Portfolio) -> RecordRender | None:
    """The stored PDF of the record as it stands, rendered now if this state has none yet; None for a draft
    (nothing signed in this round), which is never stored."""
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
    pdf = render_pdf(content)
    render = RecordRender(
        record_code=code,
        state=state,
        signature=signatures[-1],
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
    )
    render.file.save("record.pdf", ContentFile(pdf), save=False)
    render.save()
    return render


class StoredRecordAltered(Exception):
    """The stored PDF's bytes no longer match the SHA-256 taken when it was made."""

    def __init__(self, render: RecordRender, actual: str | None) -> None:
        super().__init__(f"The stored record PDF {render.pk} has been changed outside the application.")
        self.render = render
        self.actual = actual


def record_pdf(portfolio: Portfolio) -> tuple[bytes, bool]:
    """The PDF to hand out now, and whether it is a draft. Signed states come from the store, and only as
    stored: one whose bytes have changed since is refused (StoredRecordAltered)."""
    render = record_render_store(portfolio=portfolio)
    if render is not None:
        try:
            with render.file.open("rb") as handle:
                pdf = handle.read()
        except (FileNotFoundError, OSError):
            raise StoredRecordAltered(render, None) from None
        actual = hashlib.sha256(pdf).hexdigest()
        if actual != render.sha256:
            raise StoredRecordAltered(render, actual)
        return pdf, False
    content = record_content(portfolio, [])
    return render_pdf(content), True
