"""The completeness rule: whether the unit is complete enough for the assessor to sign, and why not in words.

Every criterion and range item must be confirmed on accepted evidence (the unit's own or cross-referenced into it),
every witness statement confirmed by its witness, every observation acknowledged by the learner, nothing left
undecided, and no simulation behind a performance criterion or the range unless the unit allows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from assessments.models import (
    Acknowledgement,
    ClaimJudgement,
    Decision,
    EvidenceSetting,
    Observation,
    Portfolio,
    Verdict,
    WitnessStatus,
)
from assessments.records.document import portfolio_evidence
from units.models import Criterion, RangeItem


@dataclass
class Completeness:
    """Why the unit is or is not ready for the assessor's signature, in plain words."""

    missing_criteria: list[Criterion] = field(default_factory=list)
    missing_range: list[RangeItem] = field(default_factory=list)
    unconfirmed_witnesses: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    simulated: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not (
            self.missing_criteria
            or self.missing_range
            or self.unconfirmed_witnesses
            or self.undecided
            or self.simulated
            or self.unacknowledged
        )

    def reasons(self, unit_code=None, *, for_learner: bool = False) -> list[str]:
        """The reasons, worded for the assessor who acts on them, or `for_learner`, who waits on most of them."""
        missing = (
            "Your assessor has not yet confirmed evidence for " if for_learner else "No confirmed evidence yet for "
        )
        out = []
        if self.missing_criteria:
            out.append(missing + ", ".join(c.label(unit_code) for c in self.missing_criteria) + ".")
        if self.missing_range:
            out.append(missing + "range " + ", ".join(f"{r.letter} ({r.text})" for r in self.missing_range) + ".")
        if for_learner:
            out += [f"Your witness has not yet confirmed the statement in {ref}." for ref in self.unconfirmed_witnesses]
            out += [f"{ref} is waiting for your assessor to accept it or send it back." for ref in self.undecided]
            out += [
                f"{ref} is from simulation, which cannot count for a performance criterion or the range: "
                "show it in real work instead."
                for ref in self.simulated
            ]
            out += [
                f"Your assessor's observation in {ref} is waiting for you to acknowledge it."
                for ref in self.unacknowledged
            ]
            return out
        out += [
            f"The witness statement in {ref} is not yet confirmed by the witness." for ref in self.unconfirmed_witnesses
        ]
        out += [f"{ref} has not been judged yet: accept it or send it back." for ref in self.undecided]
        out += [f"{ref} is from simulation but backs a performance criterion or the range." for ref in self.simulated]
        out += [
            f"The learner has not yet acknowledged the observation in {ref}: ask them to, from their own account "
            "or with their password on your device."
            for ref in self.unacknowledged
        ]
        return out


def completeness(portfolio: Portfolio) -> Completeness:
    """Every criterion and range item confirmed on accepted evidence, every witness confirmed, every observation
    acknowledged, nothing undecided."""
    unit = portfolio.unit
    criteria = list(
        Criterion.objects.filter(outcome__unit=unit).select_related("outcome").order_by("outcome__number", "number")
    )
    range_items = list(RangeItem.objects.filter(unit=unit).order_by("letter"))
    # Asked in the same query as the items, so the rule's cost does not grow with the observations.
    awaiting = Observation.objects.filter(evidence=OuterRef("pk"), acknowledgement=Acknowledgement.PENDING)
    items = {
        e.pk: e for e in portfolio_evidence(portfolio).select_related("method").annotate(awaiting=Exists(awaiting))
    }
    accepted = {pk for pk, e in items.items() if e.decision == Decision.ACCEPTED}
    confirmed = ClaimJudgement.objects.filter(evidence_id__in=accepted, verdict=Verdict.CONFIRMED)
    covered_c: set[int] = set()
    covered_r: set[int] = set()
    backing: set[int] = set()
    performance = {c.pk for c in criteria if c.outcome.is_performance}
    for j in confirmed:
        if j.criterion_id:
            covered_c.add(j.criterion_id)
            if j.criterion_id in performance:
                backing.add(j.evidence_id)
        elif j.range_item_id:
            covered_r.add(j.range_item_id)
            backing.add(j.evidence_id)
    result = Completeness(
        missing_criteria=[c for c in criteria if c.pk not in covered_c],
        missing_range=[r for r in range_items if r.pk not in covered_r],
    )
    for pk, e in sorted(items.items(), key=lambda kv: (kv[1].portfolio_id != portfolio.pk, kv[1].number)):
        if e.decision == Decision.PENDING and e.portfolio_id == portfolio.pk:
            result.undecided.append(e.reference)
        if pk in accepted and e.method.code == "WT" and e.witness_status == WitnessStatus.UNCONFIRMED:
            result.unconfirmed_witnesses.append(e.reference)
        if pk in backing and e.setting == EvidenceSetting.SIMULATION and not unit.simulation_allowed_for_performance:
            result.simulated.append(e.reference)
        if e.awaiting:
            result.unacknowledged.append(e.reference)
    return result
