"""The unit library as data: cross-references between units, and the file format units and qualifications travel in.

`documents` turns a unit or qualification into its file (`unit_export`), `importing` checks a file and loads it
(`unit_import`), `schema` checks a file against the published JSON Schema in units/schema/.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from units.models import AwardingBody, QualificationUnit, Unit, UnitCode


@dataclass(frozen=True)
class CrossReferenceTarget:
    """One unit the workbook says this unit's evidence could also count towards."""

    awarding_body: AwardingBody
    number: str
    unit: Unit | None  # the newest loaded version with that number, or None when it is not loaded

    @property
    def loaded(self) -> bool:
        return self.unit is not None

    def __str__(self) -> str:
        return f"{self.awarding_body.code} {self.number}"


def cross_reference_targets(unit: Unit) -> list[CrossReferenceTarget]:
    """The units the unit's workbook lists for cross-referencing, per awarding body, in the workbook's order."""
    codes = list(unit.codes.select_related("awarding_body"))
    wanted = {(code.awarding_body_id, number) for code in codes for number in code.cross_reference_units}
    loaded: dict[tuple[int, str], Unit] = {}
    if wanted:
        candidates = UnitCode.objects.filter(
            awarding_body_id__in={body for body, _ in wanted}, code__in={number for _, number in wanted}
        ).select_related("unit")
        for candidate in candidates.order_by("unit__version"):
            loaded[(candidate.awarding_body_id, candidate.code)] = candidate.unit  # newest version wins
    return [
        CrossReferenceTarget(code.awarding_body, number, loaded.get((code.awarding_body_id, number)))
        for code in codes
        for number in code.cross_reference_units
    ]


NOT_STATED = "not stated in the specification"


def stated(value: object) -> object:
    """The value, or the words saying the specification does not give it (None and "" mean not stated)."""
    return NOT_STATED if value is None or value == "" else value


def qualification_places(unit: Unit) -> list[QualificationUnit]:
    """Where the unit is listed in a qualification, found by its number under each qualification's awarding body."""
    numbers = Q()
    for code in unit.codes.all():
        numbers |= Q(group__qualification__awarding_body_id=code.awarding_body_id, number=code.code)
    if not numbers:
        return []
    return list(
        QualificationUnit.objects.filter(numbers)
        .select_related("group__qualification__awarding_body")
        .order_by("group__qualification__title", "group__qualification__version", "group__number")
    )
