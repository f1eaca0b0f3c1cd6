"""{% pending_acknowledgements %}: the observations the signed-in learner has still to acknowledge, on their
dashboard (every unit) or on one unit's page ({% pending_acknowledgements portfolio %}), in one query."""

from __future__ import annotations

from django import template

from assessments.models import LOCKED_STATUSES, Acknowledgement, Observation

register = template.Library()


@register.inclusion_tag("assessments/includes/pending_acknowledgements.html", takes_context=True)
def pending_acknowledgements(context: template.Context, portfolio=None) -> dict:
    user = context["request"].user
    pending = (
        Observation.objects.filter(acknowledgement=Acknowledgement.PENDING, evidence__portfolio__learner_id=user.pk)
        # Behind a signed unit nothing changes, so there is nothing to ask for there.
        .exclude(evidence__portfolio__status__in=LOCKED_STATUSES)
        .select_related("evidence__portfolio__unit")
        .order_by("evidence__portfolio_id", "evidence__number")
    )
    if portfolio is not None:
        pending = pending.filter(evidence__portfolio_id=portfolio.pk)
    return {"pending": list(pending), "one_unit": portfolio is not None}
