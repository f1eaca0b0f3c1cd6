"""The assessor's own records on a learner's portfolio: an observation (O), questioning (Q) or a professional
discussion (PD), and the learner's acknowledgement of an observation.

An observation carries its times, a note of what was seen against each criterion and range item it covers, the
assessor's feedback and the learner's acknowledgement: given on the assessor's device with the learner's own
password as the record is saved, or later from the learner's account. Questioning is a list of question and
answer pairs, each mapped to the knowledge criteria it covers; a discussion has topics, a duration and perhaps a
recording (an evidence file, checked and kept like any other).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.evidence.policy import evidence_who
from assessments.evidence.services.acknowledgements import acknowledged_audit, check_learner_password
from assessments.evidence.services.files import file_summary, files_discard, files_store, removes_files_if_failed
from assessments.evidence.services.items import _check_evidence, check_unlocked
from assessments.evidence.uploads import InspectedFile
from assessments.judgement.services import _check_assessor, _lock, claims_in_unit
from assessments.models import (
    Acknowledgement,
    Author,
    ClaimJudgement,
    Decision,
    Discussion,
    Evidence,
    EvidenceFile,
    EvidenceSetting,
    FileKind,
    Observation,
    ObservationNote,
    Portfolio,
    QuestionAnswer,
    Verdict,
)
from audit.services import audit_log
from people.models import Role, User
from units.models import AssessmentMethod, Criterion, LearningOutcome, RangeItem

# The assessor's own records.
RECORD_METHODS = ("O", "Q", "PD")
# Where an observation may take place: real work, or simulation where the unit's rules let it count.
OBSERVATION_SETTINGS = (EvidenceSetting.REAL_WORK, EvidenceSetting.SIMULATION)
NOTE_MAX = 1000
DISCUSSION_MAX_MINUTES = 600


def note_key(claim: Criterion | RangeItem) -> str:
    """The name a note on this claim goes by, in the form and in the errors the service raises."""
    return f"note_c{claim.pk}" if isinstance(claim, Criterion) else f"note_r{claim.pk}"


@dataclass(frozen=True)
class QuestionPair:
    """One question asked, the learner's answer, and the knowledge criteria it covers."""

    question: str
    answer: str
    criteria: Sequence[Criterion] = field(default_factory=tuple)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _observation_errors(
    *,
    place: str,
    description: str,
    setting: str,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    feedback: str,
    notes: Mapping[str, str],
    claims: Sequence[Criterion | RangeItem],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not place:
        errors["place"] = ["Say where you observed the learner."]
    if not description:
        errors["description"] = ["Describe what you saw the learner do."]
    if setting not in OBSERVATION_SETTINGS:
        errors["setting"] = ["An observation is of real work, or a simulation where the unit allows it."]
    if start_time is None:
        errors["start_time"] = ["Give the time the observation started."]
    if end_time is None:
        errors["end_time"] = ["Give the time the observation ended."]
    elif start_time is not None and end_time <= start_time:
        errors["end_time"] = ["The observation must end after it started."]
    if not feedback:
        errors["feedback"] = ["Write your feedback to the learner."]
    for claim in claims:
        note = notes.get(note_key(claim), "")
        if not note:
            errors[note_key(claim)] = ["Say what you saw for this one."]
        elif len(note) > NOTE_MAX:
            errors[note_key(claim)] = [f"Keep this note under {NOTE_MAX} characters."]
    return errors


def _pair_errors(portfolio: Portfolio, pairs: Sequence[QuestionPair], legacy: str) -> dict[str, list[str]]:
    errors: list[str] = []
    if not pairs and not legacy:
        errors.append("Add at least one question with the learner's answer.")
    for number, pair in enumerate(pairs, start=1):
        if not pair.question or not pair.answer:
            errors.append(f"Question {number} needs both the question and the learner's answer.")
        if not pair.criteria:
            errors.append(f"Question {number} needs the knowledge criteria it covers.")
        elif any(
            c.outcome.unit_id != portfolio.unit_id or c.outcome.kind != LearningOutcome.Kind.KNOWLEDGE
            for c in pair.criteria
        ):
            errors.append(f"Question {number} may cover only this unit's knowledge criteria.")
    return {"pairs": errors} if errors else {}


def _record_errors(
    *,
    portfolio: Portfolio,
    method: AssessmentMethod,
    description: str,
    criteria: Sequence[Criterion],
    range_items: Sequence[RangeItem],
    files: Sequence[InspectedFile],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if method.code not in RECORD_METHODS:
        errors["method"] = ["The assessor records observations, questioning and professional discussions."]
    if method.code == "PD" and not description:
        errors["description"] = ["Write notes of the discussion."]
    if any(c.outcome.unit_id != portfolio.unit_id for c in criteria):
        errors.setdefault("criteria", []).append("A criterion chosen is not from this unit.")
    if any(r.unit_id != portfolio.unit_id for r in range_items):
        errors.setdefault("range_items", []).append("A range item chosen is not from this unit.")
    if not criteria and not range_items and method.code != "Q":
        errors.setdefault("criteria", []).append("Tick the criteria (or range) the learner showed.")
    if files and method.code != "PD":
        errors["files"] = ["Only a professional discussion record carries a recording."]
    elif any(f.kind not in (FileKind.AUDIO, FileKind.VIDEO) for f in files):
        errors["files"] = ["A recording must be a sound recording or a video."]
    return errors


def _merge(errors: dict[str, list[str]], more: Mapping[str, Sequence[str]]) -> None:
    for name, messages in more.items():
        errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))


def _observation_state(evidence: Evidence, observation: Observation | None) -> tuple | None:
    """What the learner acknowledges: a change to any of it asks for the acknowledgement again."""
    if observation is None:
        return None
    return (
        evidence.title,
        evidence.activity_date,
        evidence.place,
        evidence.setting,
        evidence.description,
        observation.start_time,
        observation.end_time,
        observation.feedback,
        tuple(sorted(evidence.criteria.values_list("pk", flat=True))),
        tuple(sorted(evidence.range_items.values_list("pk", flat=True))),
        tuple(sorted(observation.notes.values_list("criterion_id", "range_item_id", "note"), key=str)),
    )


@removes_files_if_failed
@transaction.atomic
def assessor_record_save(
    *,
    actor: User,
    portfolio: Portfolio,
    evidence: Evidence | None = None,
    method: AssessmentMethod,
    title: str,
    activity_date: datetime.date,
    description: str = "",
    criteria: Sequence[Criterion] = (),
    range_items: Sequence[RangeItem] = (),
    place: str = "",
    setting: str = EvidenceSetting.REAL_WORK,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    feedback: str = "",
    notes: Mapping[str, str] | None = None,
    learner_password: str = "",
    pairs: Sequence[QuestionPair] = (),
    topics: str = "",
    duration_minutes: int | None = None,
    files: Sequence[InspectedFile] = (),
    remove_files: Sequence[EvidenceFile] = (),
) -> Evidence:
    """Add (or change) the assessor's own record on a learner's portfolio. It is numbered with the learner's
    items, accepted, and every claim confirmed at once: it is the assessor's own judgement.

    An observation's `notes` are keyed by `note_key` of each criterion and range item it covers. A
    `learner_password` is the learner acknowledging the observation there and then; without one (or after a
    change to an acknowledged observation) the acknowledgement waits for the learner's own account. For
    questioning, the criteria are those of its `pairs`."""
    if learner_password and method.code == "O":
        check_learner_password(portfolio, learner_password)
    pairs = [QuestionPair((p.question or "").strip(), (p.answer or "").strip(), list(p.criteria)) for p in pairs]
    criteria, range_items = list(criteria), list(range_items)
    if method.code == "Q":
        criteria = list({c.pk: c for c in [*criteria, *(c for p in pairs for c in p.criteria)]}.values())
    portfolio = _lock(portfolio.pk)
    _check_assessor(actor, portfolio, "record_add")
    check_unlocked(portfolio=portfolio, evidence=evidence)
    observation = None
    if evidence is not None:
        if evidence.portfolio_id != portfolio.pk:
            raise ValidationError("This evidence belongs to another portfolio.")
        if not (which := evidence_who({Role.ASSESSOR}, "record_edit", evidence)):
            raise PermissionDenied(which.reason)
        if evidence.method_id != method.pk:
            raise ValidationError({"method": ["A record keeps its method."]})
        evidence = Evidence.objects.select_for_update(of=("self",)).get(pk=evidence.pk)
        observation = Observation.objects.filter(evidence=evidence).first()
    description, place = (description or "").strip(), (place or "").strip()
    feedback, topics = (feedback or "").strip(), (topics or "").strip()
    notes = {k: (v or "").strip() for k, v in (notes or {}).items()}
    setting = setting if method.code == "O" else EvidenceSetting.REAL_WORK
    errors = _record_errors(
        portfolio=portfolio,
        method=method,
        description=description,
        criteria=criteria,
        range_items=range_items,
        files=files,
    )
    if method.code == "O":
        _merge(
            errors,
            _observation_errors(
                place=place,
                description=description,
                setting=setting,
                start_time=start_time,
                end_time=end_time,
                feedback=feedback,
                notes=notes,
                claims=[*criteria, *range_items],
            ),
        )
    elif method.code == "Q":
        _merge(errors, _pair_errors(portfolio, pairs, evidence.questions if evidence else ""))
    elif method.code == "PD":
        if not topics:
            errors["topics"] = ["Say what the discussion covered."]
        if duration_minutes is None or not 1 <= duration_minutes <= DISCUSSION_MAX_MINUTES:
            errors["duration_minutes"] = [f"Give the discussion's length in minutes, 1 to {DISCUSSION_MAX_MINUTES}."]
    try:
        # The specification's rules, the unit's own on simulation among them, as for the learner's items.
        _check_evidence(
            portfolio=portfolio,
            method=method,
            activity_date=activity_date,
            setting=setting,
            criteria=criteria,
            range_items=range_items,
            witness={},
        )
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    fields = {
        "title": title.strip(),
        "method": method,
        "activity_date": activity_date,
        "setting": setting,
        "description": description,
        "place": place if method.code == "O" else "",
        "decision": Decision.ACCEPTED,
        "decided_by": actor,
        "decided_at": now,
    }
    created = evidence is None
    if created:
        before = None
        portfolio.evidence_counter += 1
        portfolio.save(update_fields=["evidence_counter"])
        evidence = Evidence.objects.create(
            portfolio=portfolio, number=portfolio.evidence_counter, author=Author.ASSESSOR, created_by=actor, **fields
        )
        acknowledged_before = None
    else:
        before = record_audit(evidence, *claims_in_unit(evidence, portfolio))
        acknowledged_before = _observation_state(evidence, observation)
        for name, value in fields.items():
            setattr(evidence, name, value)
        evidence.save()
    evidence.criteria.set(criteria)
    evidence.range_items.set(range_items)
    # Everything it claims is confirmed by the assessor who made it; nothing else is judged.
    ClaimJudgement.objects.filter(evidence=evidence).delete()
    ClaimJudgement.objects.bulk_create(
        [ClaimJudgement(evidence=evidence, criterion=c, verdict=Verdict.CONFIRMED, judged_by=actor) for c in criteria]
        + [
            ClaimJudgement(evidence=evidence, range_item=r, verdict=Verdict.CONFIRMED, judged_by=actor)
            for r in range_items
        ]
    )
    acknowledged = None
    if method.code == "O":
        observation, acknowledged = _observation_save(
            actor=actor,
            evidence=evidence,
            observation=observation,
            start_time=start_time,
            end_time=end_time,
            feedback=feedback,
            notes=[(c, notes[note_key(c)]) for c in [*criteria, *range_items]],
            on_device=bool(learner_password),
            acknowledged_before=acknowledged_before,
            now=now,
        )
    elif method.code == "Q":
        _pairs_save(evidence, pairs)
    elif method.code == "PD":
        Discussion.objects.update_or_create(
            evidence=evidence, defaults={"topics": topics, "duration_minutes": duration_minutes}
        )
    removed = [f for f in remove_files if f.evidence_id == evidence.pk]
    removed_summary = [file_summary(f) for f in removed]
    files_discard(removed)
    added = files_store(actor=actor, evidence=evidence, files=files)
    audit_log(
        actor=actor,
        actor_role=Role.ASSESSOR,
        centre=portfolio.centre,
        action="evidence.recorded" if created else "evidence.record_changed",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title} ({method.code}, assessor's record)",
        data={
            "portfolio": portfolio.pk,
            "before": before,
            "after": record_audit(evidence, criteria, range_items),
            **({"files_added": [file_summary(f) for f in added]} if added else {}),
            **({"files_removed": removed_summary} if removed_summary else {}),
        },
    )
    if acknowledged is not None:
        acknowledged_audit(portfolio=portfolio, evidence=evidence, observation=observation)
    return evidence


def _observation_save(
    *,
    actor: User,
    evidence: Evidence,
    observation: Observation | None,
    start_time: datetime.time,
    end_time: datetime.time,
    feedback: str,
    notes: list[tuple[Criterion | RangeItem, str]],
    on_device: bool,
    acknowledged_before: tuple | None,
    now: datetime.datetime,
) -> tuple[Observation, bool | None]:
    """Keep the observation's own parts; True when the learner acknowledged it here, on the assessor's device."""
    if observation is None:
        observation = Observation(evidence=evidence)
    observation.start_time, observation.end_time, observation.feedback = start_time, end_time, feedback
    observation.save()
    ObservationNote.objects.filter(observation=observation).delete()
    ObservationNote.objects.bulk_create(
        [
            ObservationNote(
                observation=observation,
                criterion=claim if isinstance(claim, Criterion) else None,
                range_item=claim if isinstance(claim, RangeItem) else None,
                note=note,
            )
            for claim, note in notes
        ]
    )
    if on_device:
        observation.acknowledgement = Acknowledgement.ON_DEVICE
        observation.acknowledged_at, observation.acknowledged_by_id = now, evidence.portfolio.learner_id
        observation.save(update_fields=["acknowledgement", "acknowledged_at", "acknowledged_by"])
        return observation, True
    if observation.is_acknowledged and _observation_state(evidence, observation) != acknowledged_before:
        # The learner acknowledged another version of it: they are asked again.
        observation.acknowledgement = Acknowledgement.PENDING
        observation.acknowledged_at = observation.acknowledged_by = None
        observation.save(update_fields=["acknowledgement", "acknowledged_at", "acknowledged_by"])
    return observation, None


def _pairs_save(evidence: Evidence, pairs: Sequence[QuestionPair]) -> None:
    QuestionAnswer.objects.filter(evidence=evidence).delete()
    made = QuestionAnswer.objects.bulk_create(
        [
            QuestionAnswer(evidence=evidence, order=n, question=p.question, answer=p.answer)
            for n, p in enumerate(pairs, start=1)
        ]
    )
    QuestionAnswer.criteria.through.objects.bulk_create(
        [
            QuestionAnswer.criteria.through(questionanswer_id=qa.pk, criterion_id=c.pk)
            for qa, p in zip(made, pairs, strict=True)
            for c in {c.pk: c for c in p.criteria}.values()
        ]
    )


def record_audit(evidence: Evidence, criteria: Sequence[Criterion], range_items: Sequence[RangeItem]) -> dict:
    """The record as the audit trail keeps it, before and after a change."""
    out: dict[str, object] = {
        "title": evidence.title,
        "method": evidence.method.code,
        "date": evidence.activity_date.isoformat(),
        "place": evidence.place,
        "setting": evidence.setting,
        "description": evidence.description,
        "questions": evidence.questions,
        "criteria": sorted(c.code for c in criteria),
        "range": sorted(r.letter for r in range_items),
        "decision": evidence.decision,
    }
    if (observation := Observation.objects.filter(evidence=evidence).first()) is not None:
        out["observation"] = {
            "start": observation.start_time.strftime("%H:%M"),
            "end": observation.end_time.strftime("%H:%M"),
            "feedback_sha256": _sha(observation.feedback),
            "notes_sha256": sorted(_sha(n) for n in observation.notes.values_list("note", flat=True)),
            "acknowledgement": observation.acknowledgement,
        }
    pairs = list(QuestionAnswer.objects.filter(evidence=evidence).prefetch_related("criteria"))
    if pairs:
        out["pairs"] = [
            {
                "question": p.question,
                "answer_sha256": _sha(p.answer),
                "criteria": sorted(c.code for c in p.criteria.all()),
            }
            for p in pairs
        ]
    if (discussion := Discussion.objects.filter(evidence=evidence).first()) is not None:
        out["discussion"] = {"topics": discussion.topics, "minutes": discussion.duration_minutes}
    return out
