"""{% may "sign_iv" portfolio as can %}: what the sign-off policy (assessments/policy.py) says of the viewer and
this portfolio now, for a template that shows an action only to those who may take it. The portfolio carries the
viewer's links (`portfolio.links`, set by assessments/access.py)."""

from __future__ import annotations

from django import template

from assessments.policy import portfolio_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: template.Context, action: str, portfolio) -> bool:
    request = context["request"]
    return bool(portfolio_may(request.user.pk, getattr(portfolio, "links", set()), action, portfolio))
