"""Draft PDFs of the unit record (nothing signed yet in this round), rendered once for each state of the record.

A draft is keyed by the record's stamps (assessments/records/stamps.py: numbers the database moves on every write to
anything the draft shows, the portfolio's own and the one all records share) together with what the PDF prints of the
portfolio's own row and the rows beside it (the status, the names of the learner, centre, body and unit, which the
stamps cover too) and the layout itself (the template and stylesheet), so any change to what the draft would show is
a new key and a new render: nothing is ever invalidated by hand. Reading the key is one small query; the record's
digest, which it once used, read the whole record on every download. Drafts are kept through the storage API beside
the stored records, one per portfolio (a new one replaces the last), and not in RecordRender, which is for signed
states and immutable in the database. A draft is not a record anyone vouches for, so it carries no SHA-256 row.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from functools import cache
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import get_template

from assessments.models import Portfolio
from assessments.records.pdf import content, render
from assessments.records.pdf.content import record_content
from assessments.records.pdf.fetcher import RecordFetcher
from assessments.records.pdf.render import render_pdf
from assessments.records.services.renders import RecordFile
from assessments.records.stamps import record_stamps

logger = logging.getLogger(__name__)

FOLDER = "record-drafts"
RECORD_TEMPLATE = "pdf/unit_record.html"
_INCLUDE = re.compile(r"""{%\s*include\s+["']([^"']+)["']""")


def record_templates() -> list[str]:
    """The record's template and every template it includes, however deep: found in their sources, so a template
    added to the record is part of the layout's key without being listed here."""
    found, waiting = [], [RECORD_TEMPLATE]
    while waiting:
        name = waiting.pop(0)
        if name not in found:
            found.append(name)
            waiting.extend(_INCLUDE.findall(get_template(name).template.source))
    return found


@cache
def _layout() -> str:
    """The templates, stylesheet and the code that fills and renders them, as this process has them: a deployment
    that changes any renders afresh (the stamps move with the rows, not with the code that reads them)."""
    digest = hashlib.sha256()
    for name in record_templates():
        digest.update(get_template(name).template.source.encode())
    digest.update(RecordFetcher().fetch("static:pdf/record.css").read())
    for module in (content, render):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def draft_key(portfolio: Portfolio, read: tuple[tuple[int, int], str | None] | None = None) -> tuple[str, str | None]:
    """What the draft of the record as it stands now shows, as a key; and the unit's number, read with it. `read`:
    the stamps and number as the caller has just read them (stored_record), else they are read here."""
    (own, shared), number = read or record_stamps(portfolio)
    shown = [
        _layout(),
        f"{own}:{shared}",
        portfolio.status,
        str(portfolio.round),
        portfolio.learner.full_name,
        portfolio.learner_number,
        f"{portfolio.centre.name} ({portfolio.centre.number})",
        portfolio.awarding_body.name,
        portfolio.unit.title,
        number or "",
    ]
    return hashlib.sha256("\n".join(shown).encode()).hexdigest(), number


def _name(portfolio: Portfolio, key: str) -> str:
    return f"{FOLDER}/{portfolio.pk}/{key}.pdf"


def _store(portfolio: Portfolio, key: str, pdf: bytes) -> None:
    name = _name(portfolio, key)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(pdf))
    # The portfolio's earlier drafts show states it has left: nobody asks for them again.
    folder = f"{FOLDER}/{portfolio.pk}"
    for other in default_storage.listdir(folder)[1]:
        if f"{folder}/{other}" != name:
            default_storage.delete(f"{folder}/{other}")


def record_drafts_delete(*, portfolio: Portfolio) -> int:
    """Remove the portfolio's kept draft, which prints the learner's name: for anonymising a learner's records.
    Returns how many files went."""
    folder = f"{FOLDER}/{portfolio.pk}"
    try:
        names = default_storage.listdir(folder)[1]
    except (FileNotFoundError, OSError):
        return 0
    for name in names:
        default_storage.delete(f"{folder}/{name}")
    return len(names)


def draft_file(portfolio: Portfolio, read: tuple[tuple[int, int], str | None] | None = None) -> RecordFile:
    """The draft of the record as it stands: from the cache if this state has been rendered, else rendered now
    and kept for the next request. `read`: as for draft_key."""
    key, number = draft_key(portfolio, read)
    name = _name(portfolio, key)
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        pass
    else:
        return RecordFile(
            handle=handle,
            draft=True,
            etag=key,
            last_modified=default_storage.get_modified_time(name),
            unit_number=number,
        )
    # Read again after the stamps, with the rows beside it: a write that lands after the view read the portfolio
    # and before the stamps would otherwise be rendered from the older rows under the newer stamps, and kept.
    fresh = Portfolio.objects.with_people().get(pk=portfolio.pk)
    pdf = render_pdf(record_content(fresh, []))
    # Kept only if nothing changed while it was read: a change in between would file newer content under the
    # older key. Reading the stamps again costs one query, on a miss only.
    if draft_key(portfolio)[0] == key:
        try:
            _store(portfolio, key, pdf)
        except OSError:
            logger.warning("Could not keep the draft record of portfolio %s", portfolio.pk, exc_info=True)
    return RecordFile(handle=io.BytesIO(pdf), draft=True, etag=key, last_modified=None, unit_number=number)
