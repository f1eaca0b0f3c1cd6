"""The centre's guidance to assessors (marking points, common mistakes) for a unit, by criterion number.

The guidance is data (fixtures/guidance_c4.json, loaded with `loaddata`), tied to criteria by their numbers in the
unit's family, so a new version of a unit keeps it for the criteria it still numbers the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from units.models import AssessorGuidance, Criterion, Unit


@dataclass
class Guidance:
    """A unit's guidance: for each criterion by number ("2.4"), and for the unit as a whole."""

    by_criterion: dict[str, list[AssessorGuidance]] = field(default_factory=dict)
    whole_unit: list[AssessorGuidance] = field(default_factory=list)

    def for_criterion(self, criterion: Criterion) -> list[AssessorGuidance]:
        return self.by_criterion.get(f"{criterion.outcome.number}.{criterion.number}", [])

    def __bool__(self) -> bool:
        return bool(self.by_criterion or self.whole_unit)


def unit_guidance(unit: Unit) -> Guidance:
    """Marking points first, then common mistakes, each in their source's order; one query."""
    guidance = Guidance()
    for item in AssessorGuidance.objects.filter(unit_family=unit.family_slug).order_by("-kind", "position"):
        if not item.criteria:
            guidance.whole_unit.append(item)
        for code in item.criteria:
            guidance.by_criterion.setdefault(code, []).append(item)
    return guidance
