from django import template

from units.library import stated as stated_value

register = template.Library()


@register.filter
def stated(value: object) -> object:
    """{{ qualification.number|stated }}: the value, or "not stated in the specification"."""
    return stated_value(value)
