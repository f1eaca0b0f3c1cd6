"""The awarding body's own wording in templates: {{ criterion|wording:portfolio.unit_code }}.

The choice itself is made once, in the models (AwardingBody.uses_workbook_wording); these filters only call it.
"""

from django import template

from units.library import CrossReferenceTarget, cross_reference_targets
from units.models import AwardingBody, Criterion, LearningOutcome, RangeItem, Unit, UnitCode

register = template.Library()


@register.filter
def wording(item: Criterion | RangeItem | LearningOutcome, unit_code: UnitCode | None) -> str:
    """A criterion, range item or learning outcome in the words of the learner's awarding body."""
    return item.wording(unit_code or None)


@register.filter
def heading(outcome: LearningOutcome, unit_code: UnitCode | None) -> str:
    """A learning outcome's number and words as its awarding body prints them: "220.2 To deal with ..., you must:"."""
    return f"{outcome.label(unit_code or None)} {outcome.wording(unit_code or None)}"


@register.simple_tag
def cross_references(unit: Unit, unit_code: UnitCode | None) -> list[CrossReferenceTarget]:
    """The units the workbook of the learner's awarding body lists for cross-referencing this unit's evidence.

    The unit has one number under each body (unitcode_one_per_body), so the learner's own code carries the whole
    list: one query for the units it names, reading only what the line shows (each unit's slug for its link), where
    `units.library.cross_reference_targets` reads every body's codes and whole unit rows for the unit's own page."""
    if not unit_code or not unit_code.cross_reference_units:
        return []
    if unit_code.unit_id != unit.pk:  # not this unit's own number: read the unit's codes, as its own page does
        return [t for t in cross_reference_targets(unit) if t.awarding_body.pk == unit_code.awarding_body_id]
    numbers = unit_code.cross_reference_units
    loaded: dict[str, Unit] = {}
    candidates = (
        UnitCode.objects.filter(awarding_body_id=unit_code.awarding_body_id, code__in=set(numbers))
        .select_related("unit")
        .only("code", "unit__slug")
        .order_by("unit__version")
    )
    for candidate in candidates:
        loaded[candidate.code] = candidate.unit  # newest version wins
    return [CrossReferenceTarget(unit_code.awarding_body, number, loaded.get(number)) for number in numbers]


@register.simple_tag
def sign_off_label(awarding_body: AwardingBody, kind: str, default: str) -> str:
    """{% sign_off_label portfolio.awarding_body signature.kind signature.get_kind_display %}"""
    return awarding_body.sign_off_label(kind, default)
