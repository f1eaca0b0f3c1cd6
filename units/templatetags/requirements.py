from django import template

from units.models import EvidenceRequirement, Unit, UnitCode

register = template.Library()


@register.simple_tag
def body_requirements(unit: Unit, unit_code: UnitCode | None) -> list[EvidenceRequirement]:
    """{% body_requirements unit code as requirements %}: what a learner registered through `code`'s awarding body
    is told about evidence, never another body's wording."""
    return list(EvidenceRequirement.for_body(unit, unit_code))
