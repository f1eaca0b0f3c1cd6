"""What a unit record PDF shows, read in a fixed number of queries, in the workbook's order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from assessments.judgement.coverage import claims_in, home_unit_code, in_portfolio, shown_reference
from assessments.models import (
    Author,
    ClaimJudgement,
    Decision,
    Discussion,
    Evidence,
    EvidenceFile,
    FileKind,
    Observation,
    ObservationNote,
    Portfolio,
    PortfolioStatus,
    QuestionAnswer,
    RecordCode,
    Signature,
    SignatureKind,
    Verdict,
)
from assessments.records.checkpoints import CoveringCheckpoint, checkpoint_covering
from assessments.signoff.statements import verifier_statement
from people.models import Role
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem

K = SignatureKind
MAX_IMAGES = 24  # thumbnails in the appendix: enough to show the work, few enough to keep the file small


@dataclass
class EvidenceRow:
    ref: str
    title: str
    method: str
    date: datetime
    made_by: str
    decision: str


@dataclass
class AssessorRecord:
    """An assessor's own record as the PDF prints it: an observation's times, notes, feedback and acknowledgement;
    questioning's pairs; a discussion's topics and length."""

    ref: str
    title: str
    method: str
    date: datetime
    place: str = ""
    setting: str = ""
    start: object = None
    end: object = None
    notes: list[tuple[str, str]] = field(default_factory=list)
    feedback: str = ""
    acknowledgement: str = ""
    pairs: list[tuple[str, str, list[str]]] = field(default_factory=list)
    topics: str = ""
    minutes: int | None = None


@dataclass
class RefsRow:
    label: str
    text: str
    confirmed: list[str]
    claimed: list[str]


@dataclass
class OutcomeSection:
    heading: str
    title: str
    rows: list[RefsRow]


@dataclass
class SignOffRow:
    label: str
    statement: str
    name: str = ""
    role: str = ""
    date: datetime | None = None
    note: str = ""


@dataclass
class Image:
    key: str
    ref: str
    name: str


@dataclass
class RecordContent:
    portfolio: Portfolio
    unit_numbers: list[tuple[str, str]]
    evidence: list[EvidenceRow]
    methods: list[AssessmentMethod]
    range_rows: list[RefsRow]
    do_sections: list[OutcomeSection]
    know_sections: list[OutcomeSection]
    signoff: list[SignOffRow]
    latest: Signature | None
    code: RecordCode | None
    images: list[Image] = field(default_factory=list)
    # The latest signed checkpoint whose signature chain reaches the last signature shown, if one has been made.
    checkpoint: CoveringCheckpoint | None = None
    image_files: dict[str, str] = field(default_factory=dict)
    images_left_out: int = 0
    assessor_records: list[AssessorRecord] = field(default_factory=list)
    # Said beside the sign-off wording when it is another awarding body's (OCR prints none of its own).
    sign_off_note: str = ""

    @property
    def is_draft(self) -> bool:
        return self.latest is None


def standing_signatures(portfolio: Portfolio) -> list[Signature]:
    return list(
        Signature.objects.standing()
        .filter(portfolio=portfolio, round=portfolio.round)
        .select_related("signer")
        .order_by("signed_at", "pk")
    )


def record_state(portfolio: Portfolio, signatures: list[Signature]) -> str:
    """What a stored render shows, as a key: the status and the signatures standing."""
    return f"{portfolio.status}:{','.join(str(s.pk) for s in signatures)}"


def _made_by(evidence: Evidence) -> str:
    if evidence.method.code == "WT":
        return f"Witness: {evidence.witness_name}" if evidence.witness_name else "Witness"
    return evidence.get_author_display()


def record_content(portfolio: Portfolio, signatures: list[Signature] | None = None) -> RecordContent:
    unit = portfolio.unit
    unit_code = portfolio.unit_code
    if signatures is None:
        signatures = standing_signatures(portfolio)
    # The learner's awarding body's number only: the record reads in that body's numbering and wording throughout.
    numbers = [(unit_code.awarding_body.name, unit_code.code)] if unit_code else []

    counted = in_portfolio(portfolio)
    items = list(
        Evidence.objects.filter(counted)
        .select_related("method")
        .annotate(home_unit_code=home_unit_code())
        .prefetch_related(
            Prefetch(
                "files",
                queryset=EvidenceFile.objects.filter(kind=FileKind.IMAGE).exclude(thumbnail="").order_by("pk"),
                to_attr="images",
            )
        )
        .order_by()
    )
    items.sort(key=lambda e: (e.portfolio_id != portfolio.pk, e.home_unit_code or "", e.number))
    refs = {e.pk: shown_reference(e, portfolio) for e in items}
    order = {e.pk: i for i, e in enumerate(items)}
    accepted = {e.pk for e in items if e.decision == Decision.ACCEPTED}
    confirmed: set[tuple[str, int, int]] = set()
    for j in ClaimJudgement.objects.filter(evidence_id__in=accepted, verdict=Verdict.CONFIRMED).only(
        "evidence_id", "criterion_id", "range_item_id"
    ):
        confirmed.add(("c", j.criterion_id, j.evidence_id) if j.criterion_id else ("r", j.range_item_id, j.evidence_id))

    by_criterion, by_range = claims_in(portfolio)

    def split(kind: str, target: int, ids: list[int]) -> tuple[list[str], list[str]]:
        ids = sorted(ids, key=order.get)
        yes = [refs[i] for i in ids if (kind, target, i) in confirmed]
        return yes, [refs[i] for i in ids if (kind, target, i) not in confirmed]

    range_rows = []
    for item in RangeItem.objects.filter(unit=unit).order_by("letter"):
        yes, claimed = split("r", item.pk, by_range[item.pk])
        range_rows.append(RefsRow(item.letter, item.text, yes, claimed))

    outcomes = {o.pk: o for o in LearningOutcome.objects.filter(unit=unit)}
    sections: dict[int, OutcomeSection] = {}
    for criterion in Criterion.objects.filter(outcome__unit=unit).order_by("outcome__number", "number"):
        outcome = outcomes[criterion.outcome_id]
        criterion.outcome = outcome
        yes, claimed = split("c", criterion.pk, by_criterion[criterion.pk])
        section = sections.setdefault(
            outcome.pk,
            OutcomeSection(heading=outcome.label(unit_code), title=outcome.wording(unit_code), rows=[]),
        )
        section.rows.append(RefsRow(criterion.label(unit_code), criterion.wording(unit_code), yes, claimed))
    ordered = sorted(sections.items(), key=lambda kv: outcomes[kv[0]].number)
    do_sections = [s for pk, s in ordered if outcomes[pk].is_performance]
    know_sections = [s for pk, s in ordered if not outcomes[pk].is_performance]

    images: list[Image] = []
    image_files: dict[str, str] = {}
    total_images = 0
    for e in items:
        for f in e.images:
            total_images += 1
            if len(images) < MAX_IMAGES:
                key = f"f{f.pk}"
                images.append(Image(key, refs[e.pk], f.original_name))
                image_files[key] = f.thumbnail.name

    code = None
    if signatures:
        code = RecordCode.objects.filter(portfolio=portfolio, round=portfolio.round).first()
    return RecordContent(
        portfolio=portfolio,
        unit_numbers=numbers,
        evidence=[
            EvidenceRow(refs[e.pk], e.title, e.method.code, e.activity_date, _made_by(e), e.get_decision_display())
            for e in items
        ],
        methods=list(AssessmentMethod.objects.order_by("order", "code")),
        range_rows=range_rows,
        do_sections=do_sections,
        know_sections=know_sections,
        signoff=signoff_rows(portfolio, signatures),
        sign_off_note=portfolio.unit.sign_off_borrowed_note(portfolio.awarding_body),
        latest=signatures[-1] if signatures else None,
        code=code,
        checkpoint=checkpoint_covering(signatures[-1], portfolio.centre_id) if signatures else None,
        images=images,
        image_files=image_files,
        images_left_out=total_images - len(images),
        assessor_records=assessor_records(
            [e for e in items if e.author == Author.ASSESSOR and e.portfolio_id == portfolio.pk], refs, unit_code
        ),
    )


def _acknowledgement_text(o: Observation) -> str:
    if not o.is_acknowledged:
        return "Not yet acknowledged by the learner."
    when = timezone.localtime(o.acknowledged_at)
    how = (
        "with their password on the assessor's device" if o.acknowledgement == "on_device" else "from their own account"
    )
    return f"Acknowledged by {o.acknowledged_by.full_name} on {when:%d/%m/%Y} at {when:%H:%M}, {how}."


def assessor_records(items: list[Evidence], refs: dict[int, str], unit_code) -> list[AssessorRecord]:
    """The assessor's records in the portfolio, each with its own parts, in three queries whatever their number."""
    ids = [e.pk for e in items]
    out = {
        e.pk: AssessorRecord(refs[e.pk], e.title, e.method.code, e.activity_date, e.place, e.get_setting_display())
        for e in items
    }
    if not ids:
        return []
    for o in (
        Observation.objects.filter(evidence_id__in=ids)
        .select_related("acknowledged_by")
        .prefetch_related(
            Prefetch(
                "notes",
                queryset=ObservationNote.objects.select_related("criterion__outcome", "range_item").order_by("pk"),
            )
        )
    ):
        row = out[o.evidence_id]
        row.start, row.end, row.feedback = o.start_time, o.end_time, o.feedback
        row.acknowledgement = _acknowledgement_text(o)
        row.notes = [
            (n.criterion.label(unit_code) if n.criterion_id else f"Range {n.range_item.letter}", n.note)
            for n in o.notes.all()
        ]
    for qa in (
        QuestionAnswer.objects.filter(evidence_id__in=ids)
        .prefetch_related(
            Prefetch(
                "criteria", queryset=Criterion.objects.select_related("outcome").order_by("outcome__number", "number")
            )
        )
        .order_by("evidence_id", "order")
    ):
        out[qa.evidence_id].pairs.append((qa.question, qa.answer, [c.label(unit_code) for c in qa.criteria.all()]))
    for d in Discussion.objects.filter(evidence_id__in=ids):
        out[d.evidence_id].topics, out[d.evidence_id].minutes = d.topics, d.duration_minutes
    return [out[e.pk] for e in items]


def _role_name(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def signoff_rows(portfolio: Portfolio, signatures: list[Signature]) -> list[SignOffRow]:
    """The workbook's sign-off block, every box in order, filled where a standing signature fills it."""
    by_kind = {s.kind: s for s in signatures}
    unit = portfolio.unit
    released = portfolio.status == PortfolioStatus.IV_RELEASED or (
        portfolio.status == PortfolioStatus.COMPLETE and K.IV not in by_kind
    )
    boxes = [
        (K.LEARNER, "Candidate's declaration", unit.learner_declaration, ""),
        (K.ASSESSOR, "Assessor", unit.assessor_statement, ""),
        (K.ASSESSOR_COUNTERSIGN, "Assessor countersignature", "Where the assessor is still qualifying.", ""),
        (
            K.IV,
            "Internal verifier (if sampled)",
            verifier_statement(portfolio, K.IV),
            "Not sampled: released by the internal verifier." if released else "",
        ),
        (
            K.IV_COUNTERSIGN,
            "Internal verifier countersignature",
            "Where the internal verifier is still qualifying.",
            "",
        ),
        (
            K.EV,
            "External verifier (if sampled)",
            verifier_statement(portfolio, K.EV),
            "Not sampled by the external verifier." if portfolio.status == PortfolioStatus.COMPLETE else "",
        ),
    ]
    rows = []
    for kind, label, statement, note in boxes:
        label = portfolio.awarding_body.sign_off_label(kind, label)
        s = by_kind.get(kind)
        if s:
            rows.append(SignOffRow(label, s.statement, s.signer_name, _role_name(s.role), s.signed_at))
        else:
            rows.append(SignOffRow(label, statement, note=note))
    return rows
