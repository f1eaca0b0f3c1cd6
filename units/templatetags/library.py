from django import template

from units.library import stated as stated_value
from units.library.guidance import Guidance
from units.models import Criterion

register = template.Library()


@register.filter
def stated(value: object) -> object:
    """{{ qualification.number|stated }}: the value, or "not stated in the specification"."""
    return stated_value(value)


@register.filter
def guidance_for(guidance: object, claim: object) -> list:
    """{{ guidance|guidance_for:claim }}: the centre's guidance beside a criterion (none beside a range item)."""
    if isinstance(guidance, Guidance) and isinstance(claim, Criterion):
        return guidance.for_criterion(claim)
    return []
