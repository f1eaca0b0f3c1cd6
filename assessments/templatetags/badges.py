"""{% decision_badge evidence %} and {% witness_badge evidence %}: an item's decision and witness badges, written
here once for every page that shows them, as tags rather than included templates because the evidence list shows
them on every row."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from assessments.models import Author, Decision, WitnessStatus

register = template.Library()

DECISIONS = {
    Decision.ACCEPTED: mark_safe('<span class="badge text-bg-success">Accepted</span>'),
    Decision.SENT_BACK: mark_safe('<span class="badge text-bg-warning">Sent back</span>'),
}
WAITING = mark_safe('<span class="badge text-bg-secondary">Waiting for the assessor</span>')
ASSESSORS_RECORD = mark_safe(' <span class="badge text-bg-info">Assessor\'s record</span>')


@register.simple_tag
def decision_badge(evidence) -> SafeString:
    badge = DECISIONS.get(evidence.decision, WAITING)
    return badge + ASSESSORS_RECORD if evidence.author == Author.ASSESSOR else badge


@register.simple_tag
def witness_badge(evidence) -> SafeString:
    status, at = evidence.witness_status, evidence.witness_confirmed_at
    if status == WitnessStatus.CONFIRMED:
        return format_html(
            '<span class="badge text-bg-success">Witness: confirmed on {}</span>',
            localtime(at).strftime("%d/%m/%Y") if at else "",
        )
    if status == WitnessStatus.CORRECTED:
        return mark_safe('<span class="badge text-bg-success">Witness: corrected by the witness</span>')
    if status == WitnessStatus.UNCONFIRMED:
        return mark_safe('<span class="badge text-bg-warning">Witness: not yet confirmed</span>')
    return mark_safe("")
