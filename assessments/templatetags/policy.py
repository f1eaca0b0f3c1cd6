"""{% may "sign_iv" portfolio as can %}, {% may "edit" evidence as can %}, {% may "plan_change" portfolio as can %}:
what the policy of the object (assessments/policy.py for a portfolio's sign-off, assessments/evidence/policy.py for
an evidence item and the assessment plan) says of the viewer now, for a template that shows an action only to those
who may take it. The portfolio carries the viewer's links (`portfolio.links`, set by assessments/access.py); an item
is asked with its portfolio's, so a list sets each of its own items' portfolio to the page's."""

from __future__ import annotations

from django import template

from assessments.evidence.policy import ACTIONS as EVIDENCE_ACTIONS
from assessments.evidence.policy import PLAN_NEEDS, evidence_may, plan_may
from assessments.models import Evidence
from assessments.policy import portfolio_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: template.Context, action: str, target) -> bool:
    user_id = context["request"].user.pk
    if isinstance(target, Evidence):
        return bool(evidence_may(user_id, getattr(target.portfolio, "links", set()), action, target))
    links = getattr(target, "links", set())
    if action in EVIDENCE_ACTIONS:  # "add" and "record_add" are asked of the portfolio
        return bool(evidence_may(user_id, links, action, target))
    if action in PLAN_NEEDS or action == "plan_read":
        return bool(plan_may(user_id, links, action, target))
    return bool(portfolio_may(user_id, links, action, target))
