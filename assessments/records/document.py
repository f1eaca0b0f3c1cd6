"""The canonical record a signature covers, and its digest.

The record is plain JSON built from the database in a fixed number of queries.
The same portfolio always gives the same bytes (keys sorted, lists in a fixed
order), so a digest taken at signing can be compared with one taken today.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from assessments.models import (
    Author,
    ClaimJudgement,
    Discussion,
    Evidence,
    EvidenceFile,
    Observation,
    ObservationNote,
    Portfolio,
    QuestionAnswer,
    Signature,
    SignatureKind,
)
from units.models import Criterion, RangeItem

# 2: the learner's declaration covers only the learner's own items and not the witness's answer (see build_record).
# 3: an assessor's record carries its own parts: an observation's times, notes and the learner's acknowledgement,
# questioning's question and answer pairs, a discussion's topics and duration (see assessor_record_parts).
RECORD_VERSION = 3


def portfolio_evidence(portfolio: Portfolio):
    """Its own items and those cross-referenced into it from the learner's other units."""
    return Evidence.objects.filter(Q(portfolio=portfolio) | Q(cross_references=portfolio)).distinct()


def build_record(portfolio: Portfolio, *, judgements: bool = True, version: int = RECORD_VERSION) -> dict:
    """Everything a signature vouches for, as plain data.

    The learner's declaration vouches for the learner's own evidence only (`judgements=False`). What others add
    after it, through the application, must not make it look broken: the assessor's judgements and own records
    (observation, questioning, discussion) and the witness's answer (confirmed, or corrected in their own words).
    Every later signature covers the lot. `version` rebuilds the record as an older signature saw it.
    """
    learners_view = not judgements and version >= 2
    unit = portfolio.unit
    criteria = list(
        Criterion.objects.filter(outcome__unit=unit).select_related("outcome").order_by("outcome__number", "number")
    )
    range_items = list(RangeItem.objects.filter(unit=unit).order_by("letter"))
    items = portfolio_evidence(portfolio).select_related("method", "portfolio").order_by("portfolio_id", "number")
    if learners_view:
        items = items.filter(author=Author.LEARNER)
    items = list(items)
    ids = [e.pk for e in items]
    criteria_ids = {c.pk for c in criteria}
    range_ids = {r.pk for r in range_items}
    mapped_c: dict[int, list[int]] = defaultdict(list)
    for eid, cid in Evidence.criteria.through.objects.filter(evidence_id__in=ids).values_list(
        "evidence_id", "criterion_id"
    ):
        if cid in criteria_ids:
            mapped_c[eid].append(cid)
    mapped_r: dict[int, list[int]] = defaultdict(list)
    for eid, rid in Evidence.range_items.through.objects.filter(evidence_id__in=ids).values_list(
        "evidence_id", "rangeitem_id"
    ):
        if rid in range_ids:
            mapped_r[eid].append(rid)
    verdicts: dict[tuple[int, str, int], str] = {}
    for j in ClaimJudgement.objects.filter(evidence_id__in=ids):
        key = (j.evidence_id, "c", j.criterion_id) if j.criterion_id else (j.evidence_id, "r", j.range_item_id)
        verdicts[key] = j.verdict
    files: dict[int, list[dict]] = defaultdict(list)
    for f in EvidenceFile.objects.filter(evidence_id__in=ids).order_by("pk"):
        files[f.evidence_id].append({"name": f.original_name, "sha256": f.sha256, "size": f.size})
    code = {c.pk: c.code for c in criteria}
    letter = {r.pk: r.letter for r in range_items}
    parts = assessor_record_parts([e.pk for e in items if e.author == Author.ASSESSOR]) if version >= 3 else {}

    def ref(e: Evidence) -> str:
        return e.reference if e.portfolio_id == portfolio.pk else f"{e.reference}@{e.portfolio_id}"

    evidence = []
    for e in items:
        evidence.append(
            {
                "ref": ref(e),
                "title": e.title,
                "method": e.method.code,
                "date": e.activity_date.isoformat(),
                "setting": e.setting,
                "author": e.author,
                "description_sha256": hashlib.sha256(e.description.encode()).hexdigest(),
                "witness": _witness(e, learners_view),
                "decision": e.decision if judgements else None,
                "criteria": {
                    code[c]: verdicts.get((e.pk, "c", c), "") if judgements else ""
                    for c in sorted(mapped_c[e.pk], key=code.get)
                },
                "range": {
                    letter[r]: verdicts.get((e.pk, "r", r), "") if judgements else ""
                    for r in sorted(mapped_r[e.pk], key=letter.get)
                },
                "files": files[e.pk],
                **({"assessor_record": parts.get(e.pk, {})} if e.author == Author.ASSESSOR and version >= 3 else {}),
            }
        )
    unit_code = portfolio.unit_code
    return {
        "version": version,
        "unit": {"slug": unit.slug, "title": unit.title, "code": f"{unit_code}" if unit_code else ""},
        "portfolio": portfolio.pk,
        "learner": {"id": portfolio.learner_id, "number": portfolio.learner_number},
        "centre": portfolio.centre_id,
        "round": portfolio.round,
        "criteria": [c.code for c in criteria],
        "range": [r.letter for r in range_items],
        "evidence": evidence,
    }


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assessor_record_parts(ids: list[int]) -> dict[int, dict]:
    """The assessor's records' own parts, by evidence id, in four queries whatever their number: an observation's
    place, times, notes (by criterion code or range letter), feedback and the learner's acknowledgement; the
    question and answer pairs with the knowledge criteria each covers; a discussion's topics and duration. Texts
    are kept as their SHA-256, as the descriptions are."""
    parts: dict[int, dict] = {eid: {} for eid in ids}
    if not ids:
        return parts
    for o in (
        Observation.objects.filter(evidence_id__in=ids)
        .select_related("evidence")
        .prefetch_related(
            Prefetch("notes", queryset=ObservationNote.objects.select_related("criterion__outcome", "range_item"))
        )
    ):
        parts[o.evidence_id]["observation"] = {
            "place": o.evidence.place,
            "start": o.start_time.strftime("%H:%M"),
            "end": o.end_time.strftime("%H:%M"),
            "notes": {
                (n.criterion.code if n.criterion_id else f"range {n.range_item.letter}"): _sha(n.note)
                for n in o.notes.all()
            },
            "feedback_sha256": _sha(o.feedback),
            "acknowledgement": {
                "how": o.acknowledgement,
                "at": o.acknowledged_at.isoformat() if o.acknowledged_at else None,
                "by": o.acknowledged_by_id,
            },
        }
    for qa in (
        QuestionAnswer.objects.filter(evidence_id__in=ids)
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.select_related("outcome")))
        .order_by("evidence_id", "order")
    ):
        parts[qa.evidence_id].setdefault("pairs", []).append(
            {
                "question_sha256": _sha(qa.question),
                "answer_sha256": _sha(qa.answer),
                "criteria": sorted(c.code for c in qa.criteria.all()),
            }
        )
    for d in Discussion.objects.filter(evidence_id__in=ids):
        parts[d.evidence_id]["discussion"] = {"topics_sha256": _sha(d.topics), "minutes": d.duration_minutes}
    return parts


def _witness(e: Evidence, learners_view: bool) -> dict | None:
    if e.method.code != "WT":
        return None
    if learners_view:
        # The statement is the witness's to confirm or correct: their answer is covered by the later signatures.
        return {"name": e.witness_name}
    return {
        "name": e.witness_name,
        "status": e.witness_status,
        "statement_sha256": hashlib.sha256(e.witness_statement.encode()).hexdigest(),
    }


def digest_of(record: dict) -> str:
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_digest(portfolio: Portfolio, *, judgements: bool = True, version: int = RECORD_VERSION) -> str:
    return digest_of(build_record(portfolio, judgements=judgements, version=version))


class SignedDigests:
    """The digests of the record as it stands now, in the view and version each signature was made over, so a
    signature made under an older version of the record is compared like with like. Each is built once."""

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio
        self._built: dict[tuple[bool, int], str] = {}

    def digest(self, *, judgements: bool, version: int = RECORD_VERSION) -> str:
        key = (judgements, version)
        if key not in self._built:
            self._built[key] = current_digest(self.portfolio, judgements=judgements, version=version)
        return self._built[key]

    def matches(self, signature: Signature) -> bool:
        version = signature.record.get("version", 1) if isinstance(signature.record, dict) else 1
        judgements = signature.kind != SignatureKind.LEARNER
        return signature.digest == self.digest(judgements=judgements, version=version)


@dataclass
class SignatureCheck:
    signature: Signature
    matches: bool


def signature_checks(portfolio: Portfolio) -> list[SignatureCheck]:
    """Each standing signature of the current round, and whether the record still matches what was signed."""
    # Read afresh: the question is what the database holds now, not what a caller's copy says.
    portfolio = Portfolio.objects.select_related("unit", "awarding_body").get(pk=portfolio.pk)
    digests = SignedDigests(portfolio)
    signatures = Signature.objects.filter(portfolio=portfolio).select_related("signer").order_by("signed_at", "pk")
    return [SignatureCheck(s, digests.matches(s)) for s in signatures if s.withdrawn_at is None]
