from django import template

from units.library import stated as stated_value
from units.library.guidance import Guidance
from units.models import AwardingBody, Criterion, Unit
from units.models import possessive as possessive_name

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


@register.filter
def possessive(name: str) -> str:
    """{{ body.name|possessive }}: "OCR's", "City & Guilds'"."""
    return possessive_name(str(name))


@register.filter
def sign_off_note(unit: object, awarding_body: object) -> str:
    """{{ portfolio.unit|sign_off_note:portfolio.awarding_body }}: that the sign-off wording is another body's, where
    the learner's own body gives none; empty otherwise."""
    if isinstance(unit, Unit) and isinstance(awarding_body, AwardingBody):
        return unit.sign_off_borrowed_note(awarding_body)
    return ""
