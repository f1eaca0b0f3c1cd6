"""Whether the signed records are still what was signed: the checks behind `manage.py verify_records`, the
verification page and the sign-off page.

Every check reads what is stored now and compares it with what was fixed when it was made: the hash chains of
signatures and audit rows (`audit.chain`), each signature's digest against its stored record and, while it
stands, against the record as the database holds it today, each evidence file's bytes and each stored record
PDF's bytes against their SHA-256 (read through the storage API), each audited signature against the signatures
there are, and each unit's status against the last move the audit trail recorded. A problem says in plain words
which row, unit or file it is about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from assessments.models import EvidenceFile, Portfolio, PortfolioStatus, RecordRender, Signature
from assessments.records.document import SignedDigests, digest_of, portfolio_evidence
from audit.chain import chain_breaks
from audit.models import AuditEvent

CHUNK = 1024 * 1024


@dataclass
class Problem:
    what: str  # for the centre and the command: which row, unit or file, by number and name
    centre_id: int | None = None
    portfolio_id: int | None = None
    public: str = ""  # for anyone checking a record code: the kind of change, naming no one

    def __str__(self) -> str:
        return self.what


def stored_sha256(field) -> str | None:
    """The SHA-256 of a stored file's bytes as the storage holds them now; None if the file is gone."""
    if not field.name:
        return None
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    with handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unit_name(portfolio: Portfolio) -> str:
    code = portfolio.unit_code
    unit = f"{code.awarding_body.code} {code.code}" if code else portfolio.unit.title
    return f"registration {portfolio.pk} ({portfolio.learner.full_name}, unit {unit})"


def _file_problem(f: EvidenceFile, portfolio: Portfolio | None) -> Problem | None:
    actual = stored_sha256(f.file)
    where = f"evidence file {f.pk} ({f.original_name}, item {f.evidence_id})"
    if actual is None:
        what = f"{where} is missing from storage"
    elif actual != f.sha256:
        what = f"{where} has been changed on disk: its bytes no longer match the SHA-256 taken when it was uploaded"
    else:
        return None
    if portfolio is not None:
        what += f", in {unit_name(portfolio)}"
    public = "An evidence file has been changed or removed since it was uploaded"
    return Problem(what, portfolio.centre_id if portfolio else None, portfolio.pk if portfolio else None, public)


def _render_problem(render: RecordRender) -> Problem | None:
    actual = stored_sha256(render.file)
    portfolio = render.record_code.portfolio
    where = f"stored record PDF {render.pk} (record code {render.record_code.display}) of {unit_name(portfolio)}"
    if actual is None:
        what = f"{where} is missing from storage"
    elif actual != render.sha256:
        what = f"{where} has been changed on disk: its bytes no longer match the SHA-256 taken when it was made"
    else:
        return None
    return Problem(what, portfolio.centre_id, portfolio.pk, "A stored PDF of this record has been changed or removed")


def _signature_problems(portfolio: Portfolio, signatures: Iterable[Signature]) -> list[Problem]:
    problems = []
    digests = SignedDigests(portfolio)
    for s in signatures:
        where = f"the {s.get_kind_display().lower()} signature {s.pk} by {s.signer_name} on {unit_name(portfolio)}"
        if digest_of(s.record) != s.digest:
            problems.append(
                Problem(
                    f"{where} has been changed: its stored record no longer gives its digest",
                    portfolio.centre_id,
                    portfolio.pk,
                    "A signature has been changed",
                )
            )
        elif s.withdrawn_at is None and s.round == portfolio.round and not digests.matches(s):
            problems.append(
                Problem(
                    f"{where} no longer matches the record: the evidence or judgements it covers "
                    "have changed since it was made",
                    portfolio.centre_id,
                    portfolio.pk,
                    "The record no longer matches a signature on it",
                )
            )
    return problems


def _missing_signatures(events: Iterable[AuditEvent], present: set[int], names: dict[int, Portfolio]) -> list[Problem]:
    problems = []
    for event in events:
        signature_id = event.data.get("signature") if isinstance(event.data, dict) else None
        if signature_id is not None and signature_id not in present:
            portfolio = names.get(event.portfolio_id)
            where = unit_name(portfolio) if portfolio else f"registration {event.portfolio_id}"
            problems.append(
                Problem(
                    f"signature {signature_id} on {where}, made on {event.at:%d/%m/%Y %H:%M} UTC as the audit trail "
                    f"records (audit row {event.pk}), is no longer in the database: it has been deleted",
                    event.centre_id,
                    event.portfolio_id,
                    "A signature on this record has been deleted",
                )
            )
    return problems


WITHDRAWING = ("signature.withdrawn", "portfolio.reopened")


def _unwithdrawn(
    events: Iterable[AuditEvent], signatures: dict[int, Signature], names: dict[int, Portfolio]
) -> list[Problem]:
    """A signature the audit trail records as withdrawn must still be marked withdrawn: clearing the mark would
    make a withdrawn signature look standing again."""
    problems = []
    for event in events:
        signature = signatures.get(event.data.get("signature") if isinstance(event.data, dict) else None)
        if signature is not None and signature.withdrawn_at is None:
            portfolio = names.get(signature.portfolio_id)
            where = unit_name(portfolio) if portfolio else f"registration {signature.portfolio_id}"
            problems.append(
                Problem(
                    f"the {signature.get_kind_display().lower()} signature {signature.pk} on {where} is shown as "
                    f"standing, but the audit trail records its withdrawal on {event.at:%d/%m/%Y %H:%M} UTC (audit row "
                    f"{event.pk}): the mark was removed outside the application",
                    event.centre_id,
                    signature.portfolio_id,
                    "A withdrawn signature has been made to look standing",
                )
            )
    return problems


def _status_problem(portfolio: Portfolio, last_move: AuditEvent | None) -> Problem | None:
    expected = last_move.data.get("after") if last_move is not None else Portfolio._meta.get_field("status").default
    if expected is not None and portfolio.status != expected:
        return Problem(
            f"{unit_name(portfolio)} has status '{portfolio.status}', but the last move the audit trail records "
            f"left it '{expected}': its status was changed behind the application's back",
            portfolio.centre_id,
            portfolio.pk,
            "The unit's status has been changed outside the application",
        )
    return None


def _last_moves(portfolio_ids: Iterable[int] | None = None) -> dict[int, AuditEvent]:
    # Every status move (services/signoff.py, `_move`) writes rows targeting the portfolio with the statuses
    # before and after and the round in their data; other rows about a portfolio (its assignment) have no round.
    events = AuditEvent.objects.filter(target_type="assessments.portfolio", data__has_keys=["before", "after", "round"])
    if portfolio_ids is not None:
        events = events.filter(portfolio_id__in=list(portfolio_ids))
    last: dict[int, AuditEvent] = {}
    for event in events.order_by("pk").only("pk", "portfolio_id", "data", "at", "centre_id"):
        if event.data.get("after") in PortfolioStatus.values:
            last[event.portfolio_id] = event
    return last


def _chain_problems(*, centre_id: int | None = None, audit: bool = True) -> list[Problem]:
    problems = []
    for brk in chain_breaks(Signature, key=centre_id):
        problems.append(
            Problem(
                f"the signature chain of centre {brk.key} is broken at signature {brk.row_id}, which {brk.problem}",
                brk.key,
                public="The centre's chain of signatures has been broken: a signature was deleted or rewritten",
            )
        )
    if audit:
        for brk in chain_breaks(AuditEvent, key=centre_id):
            problems.append(
                Problem(
                    f"the audit chain of centre {brk.key or '(none)'} is broken at audit row "
                    f"{brk.row_id}, which {brk.problem}",
                    brk.key or None,
                    public="The centre's audit trail has been broken",
                )
            )
    return problems


def unit_problems(portfolio: Portfolio) -> list[Problem]:
    """Everything that says this unit's record is not as it was signed: its centre's signature chain, its
    signatures, its evidence files and stored PDFs, and its status against the audit trail."""
    portfolio = Portfolio.objects.select_related("unit", "learner", "awarding_body", "centre").get(pk=portfolio.pk)
    problems = _chain_problems(centre_id=portfolio.centre_id, audit=False)
    signatures = list(Signature.objects.filter(portfolio=portfolio).order_by("pk"))
    problems += _signature_problems(portfolio, signatures)
    events = AuditEvent.objects.filter(portfolio=portfolio, action="signature.made")
    problems += _missing_signatures(events, {s.pk for s in signatures}, {portfolio.pk: portfolio})
    for f in EvidenceFile.objects.filter(evidence__in=portfolio_evidence(portfolio)).order_by("pk"):
        if problem := _file_problem(f, portfolio):
            problems.append(problem)
    renders = RecordRender.objects.filter(record_code__portfolio=portfolio).select_related("record_code__portfolio")
    for render in renders.order_by("pk"):
        render.record_code.portfolio = portfolio
        if problem := _render_problem(render):
            problems.append(problem)
    withdrawals = AuditEvent.objects.filter(portfolio=portfolio, action__in=WITHDRAWING).order_by("pk")
    problems += _unwithdrawn(withdrawals, {s.pk: s for s in signatures}, {portfolio.pk: portfolio})
    if problem := _status_problem(portfolio, _last_moves([portfolio.pk]).get(portfolio.pk)):
        problems.append(problem)
    return problems


def all_problems() -> list[Problem]:
    """The same checks over everything: both chains at every centre, every signature, every file, every PDF."""
    problems = _chain_problems()
    portfolios = {
        p.pk: p
        for p in Portfolio.objects.filter(
            Q(signatures__isnull=False) | Q(evidence__files__isnull=False) | ~Q(status="in_progress")
        )
        .distinct()
        .select_related("unit", "learner", "awarding_body", "centre")
    }
    signatures: dict[int, list[Signature]] = {}
    for s in Signature.objects.order_by("pk"):
        signatures.setdefault(s.portfolio_id, []).append(s)
    for portfolio_id, rows in signatures.items():
        problems += _signature_problems(portfolios[portfolio_id], rows)
    present = set(Signature.objects.values_list("pk", flat=True))
    missing_for = AuditEvent.objects.filter(action="signature.made")
    ids = set(missing_for.values_list("portfolio_id", flat=True)) - set(portfolios)
    portfolios.update(Portfolio.objects.select_related("unit", "learner", "awarding_body").in_bulk(ids))
    problems += _missing_signatures(missing_for.order_by("pk"), present, portfolios)
    withdrawals = AuditEvent.objects.filter(action__in=WITHDRAWING).order_by("pk")
    by_id = {s.pk: s for rows in signatures.values() for s in rows}
    problems += _unwithdrawn(withdrawals, by_id, portfolios)
    for f in EvidenceFile.objects.select_related("evidence").order_by("pk").iterator(chunk_size=500):
        if problem := _file_problem(f, portfolios.get(f.evidence.portfolio_id)):
            problems.append(problem)
    for render in RecordRender.objects.select_related(
        "record_code__portfolio__unit", "record_code__portfolio__learner", "record_code__portfolio__awarding_body"
    ).order_by("pk"):
        if problem := _render_problem(render):
            problems.append(problem)
    moves = _last_moves()
    for portfolio in Portfolio.objects.select_related("unit", "learner", "awarding_body").order_by("pk"):
        if problem := _status_problem(portfolio, moves.get(portfolio.pk)):
            problems.append(problem)
    return problems
