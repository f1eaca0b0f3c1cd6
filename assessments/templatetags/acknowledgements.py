"""{% pending_acknowledgements %}: the observations the signed-in learner has still to acknowledge, on their
dashboard (every unit) or on one unit's page ({% pending_acknowledgements portfolio %}), in one query."""

from __future__ import annotations

from django import template

from assessments.models import LOCKED_STATUSES, Acknowledgement, Observation
from portfolio.sql_once import SqlOnce

register = template.Library()


def _pending(learner):
    return (
        Observation.objects.filter(acknowledgement=Acknowledgement.PENDING, evidence__portfolio__learner_id=learner)
        # Behind a signed unit nothing changes, so there is nothing to ask for there.
        .exclude(evidence__portfolio__status__in=LOCKED_STATUSES)
        .select_related("evidence__portfolio__unit")
        .order_by("evidence__portfolio_id", "evidence__number")
    )


# Built by the ORM once per process (its joins cost more to build than to run), run with the learner's id and the
# unit page's portfolio.
_EVERY_UNIT = SqlOnce(_pending, "learner")
_ONE_UNIT = SqlOnce(
    lambda learner, portfolio: _pending(learner).filter(evidence__portfolio_id=portfolio), "learner", "portfolio"
)


@register.inclusion_tag("assessments/includes/pending_acknowledgements.html", takes_context=True)
def pending_acknowledgements(context: template.Context, portfolio=None) -> dict:
    user = context["request"].user
    if portfolio is None:
        pending = _EVERY_UNIT.objects(learner=user.pk)
    else:
        pending = _ONE_UNIT.objects(learner=user.pk, portfolio=portfolio.pk)
    return {"pending": pending, "one_unit": portfolio is not None}
