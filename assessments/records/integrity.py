"""Whether the signed records are still what was signed: the checks behind `manage.py verify_records`, the
verification page and the sign-off page.

Every check reads what is stored now and compares it with what was fixed when it was made: the hash chains of
signatures and audit rows (`audit.chain`), each signature's digest against its stored record and, while it
stands, against the record as the database holds it today, each evidence file's bytes and each stored record
PDF's bytes against their SHA-256 (read through the storage API), each audited signature against the signatures
there are, and each unit's status against the last move the audit trail recorded. A problem says in plain words
which row, unit or file it is about.

Two depths. `all_problems` (`manage.py verify_records`, and the scheduled task) checks everything in full: every
file's bytes, every link of every centre's signature and audit chain. `unit_problems` (the sign-off page and the
public verification page, which anyone may load as often as they like) is bounded by the one unit's size, never
the centre's: it walks only the links into and out of the unit's own signatures (a signature of this unit
rewritten, or one just before or after it deleted, is found; a break elsewhere in the centre's chain is the
command's to find), and it re-hashes a file only when what storage says of it has changed since its bytes were last
found to match (`checked_sha256`: a verdict kept in the shared cache for a day; on a local disk the stamp includes
the status-change time, which no one can put back). Record downloads use the same verdicts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.db.models import OuterRef, Q, Subquery

from assessments.models import EvidenceFile, Portfolio, PortfolioStatus, RecordRender, Signature
from assessments.records.document import SignedDigests, digest_of, portfolio_evidence
from audit.chain import GENESIS, chain_breaks, link_hash
from audit.models import AuditEvent

CHUNK = 1024 * 1024
# How long a page or a download trusts a file whose storage stamp is as it was when its bytes last matched.
VERIFIED_FOR = 24 * 60 * 60


@dataclass
class Problem:
    what: str  # for the centre and the command: which row, unit or file, by number and name
    centre_id: int | None = None
    portfolio_id: int | None = None
    public: str = ""  # for anyone checking a record code: the kind of change, naming no one

    def __str__(self) -> str:
        return self.what


def _sha256_of(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def stored_sha256(field) -> str | None:
    """The SHA-256 of a stored file's bytes as the storage holds them now; None if the file is gone."""
    if not field.name:
        return None
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        return None
    with handle:
        return _sha256_of(handle)


def _storage_stamp(field, handle=None) -> str | None:
    """What storage says of the file without reading its bytes; None if it cannot say. On a local disk: size,
    modification and status-change times, inode and device (of the open handle when there is one, so the stamp is
    of the very bytes about to be served). Rewriting a file, even in place with its modification time put back,
    moves its status-change time, which no user can set. In a bucket: size and modification time, which its
    clients cannot set."""
    if isinstance(field.storage, FileSystemStorage):
        try:
            st = os.fstat(handle.fileno()) if handle is not None else os.stat(field.path)
        except (OSError, ValueError, AttributeError):
            return None
        return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"
    try:
        return f"{field.storage.size(field.name)}:{field.storage.get_modified_time(field.name).timestamp()}"
    except (FileNotFoundError, OSError, NotImplementedError):
        return None


def _verified_key(field, expected: str, stamp: str) -> str:
    return "integrity:file:" + hashlib.sha256(f"{field.name}\n{expected}\n{stamp}".encode()).hexdigest()


def checked_sha256(field, expected: str, *, trust_stamp: bool = True, handle=None) -> str | None:
    """The stored file's SHA-256 now (None: the file is gone), compared by the caller with `expected`.

    With `trust_stamp` (pages and downloads), a file whose storage stamp is the one it had when its bytes last
    gave `expected` is not read again: the verdict is kept in the shared cache, so every web process and machine
    trusts it alike. `handle`, an open file about to be streamed, is hashed itself and left at its start."""
    stamp = _storage_stamp(field, handle) if trust_stamp and field.name else None
    if stamp is not None and cache.get(_verified_key(field, expected, stamp)):
        return expected
    if handle is not None:
        actual = _sha256_of(handle)
        handle.seek(0)
    else:
        actual = stored_sha256(field)
    if actual == expected and stamp is not None:
        cache.set(_verified_key(field, expected, stamp), True, VERIFIED_FOR)
    return actual


def stored_sha256_matches(field, expected: str, *, trust_stamp: bool) -> bool | None:
    """Whether the stored file's bytes still give `expected` (None: the file is gone)."""
    actual = checked_sha256(field, expected, trust_stamp=trust_stamp)
    return None if actual is None else actual == expected


def unit_name(portfolio: Portfolio) -> str:
    code = portfolio.unit_code
    unit = f"{code.awarding_body.code} {code.code}" if code else portfolio.unit.title
    return f"registration {portfolio.pk} ({portfolio.learner.full_name}, unit {unit})"


def _file_problem(f: EvidenceFile, portfolio: Portfolio | None, *, trust_stamp: bool = False) -> Problem | None:
    matches = stored_sha256_matches(f.file, f.sha256, trust_stamp=trust_stamp)
    where = f"evidence file {f.pk} ({f.original_name}, item {f.evidence_id})"
    if matches is None:
        what = f"{where} is missing from storage"
    elif not matches:
        what = f"{where} has been changed on disk: its bytes no longer match the SHA-256 taken when it was uploaded"
    else:
        return None
    if portfolio is not None:
        what += f", in {unit_name(portfolio)}"
    public = "An evidence file has been changed or removed since it was uploaded"
    return Problem(what, portfolio.centre_id if portfolio else None, portfolio.pk if portfolio else None, public)


def _render_problem(render: RecordRender, *, trust_stamp: bool = False) -> Problem | None:
    matches = stored_sha256_matches(render.file, render.sha256, trust_stamp=trust_stamp)
    portfolio = render.record_code.portfolio
    where = f"stored record PDF {render.pk} (record code {render.record_code.display}) of {unit_name(portfolio)}"
    if matches is None:
        what = f"{where} is missing from storage"
    elif not matches:
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


def _chain_break(centre_id: int, signature_id: int, problem: str) -> Problem:
    return Problem(
        f"the signature chain of centre {centre_id} is broken at signature {signature_id}, which {problem}",
        centre_id,
        public="The centre's chain of signatures has been broken: a signature was deleted or rewritten",
    )


def _unit_chain_problems(portfolio: Portfolio) -> tuple[list[Signature], list[Problem]]:
    """The unit's signatures, and the breaks in the links that touch them: each signature against its own hash,
    against the signature before it in the centre's chain and against the one after it. One read, whatever the
    size of the centre (each neighbour is found through the primary key, newest or oldest first)."""
    centre_rows = Signature._base_manager.filter(**Signature.chain_key_filter(portfolio.centre_id))
    before = centre_rows.filter(pk__lt=OuterRef("pk")).order_by("-pk").values("chain_hash")[:1]
    after = centre_rows.filter(pk__gt=OuterRef("pk")).order_by("pk")
    signatures = list(
        Signature._base_manager.filter(portfolio=portfolio)
        .annotate(
            before_hash=Subquery(before),
            after_id=Subquery(after.values("pk")[:1]),
            after_prev=Subquery(after.values("chain_prev")[:1]),
        )
        .order_by("pk")
    )
    problems = []
    for s in signatures:
        if s.chain_prev != (s.before_hash or GENESIS):
            if not s.chain_prev and not s.chain_hash:
                problems.append(_chain_break(portfolio.centre_id, s.pk, "was inserted without its chain hash"))
            else:
                problems.append(
                    _chain_break(
                        portfolio.centre_id,
                        s.pk,
                        "does not follow the row before it: a row before it was deleted, inserted or rewritten",
                    )
                )
        if s.chain_hash != link_hash(s.chain_prev, s.chain_fields()):
            problems.append(_chain_break(portfolio.centre_id, s.pk, "has been changed since it was written"))
        elif s.after_id is not None and s.after_prev != s.chain_hash:
            # This row's hash was made to fit a rewrite, or a row after it was deleted: the next one no longer
            # follows it.
            problems.append(
                _chain_break(
                    portfolio.centre_id,
                    s.after_id,
                    "does not follow the row before it: a row before it was deleted, inserted or rewritten",
                )
            )
    return signatures, problems


def unit_problems(portfolio: Portfolio) -> list[Problem]:
    """Everything a page can say at a cost bounded by the unit, that its record is not as it was signed: the
    links of the centre's signature chain that touch its signatures, its signatures, its evidence files and
    stored PDFs (read again only when changed in storage since last found sound), and its status against the
    audit trail. `all_problems` checks the whole of every chain and every file's bytes."""
    portfolio = Portfolio.objects.select_related("unit", "learner", "awarding_body", "centre").get(pk=portfolio.pk)
    signatures, problems = _unit_chain_problems(portfolio)
    problems += _signature_problems(portfolio, signatures)
    events = AuditEvent.objects.filter(portfolio=portfolio, action="signature.made")
    problems += _missing_signatures(events, {s.pk for s in signatures}, {portfolio.pk: portfolio})
    for f in EvidenceFile.objects.filter(evidence__in=portfolio_evidence(portfolio)).order_by("pk"):
        if problem := _file_problem(f, portfolio, trust_stamp=True):
            problems.append(problem)
    renders = RecordRender.objects.filter(record_code__portfolio=portfolio).select_related("record_code__portfolio")
    for render in renders.order_by("pk"):
        render.record_code.portfolio = portfolio
        if problem := _render_problem(render, trust_stamp=True):
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
