"""Reading the audit trail: a centre's rows, filtered, newest first, and the words the page and the CSV use.

The page and the CSV read through the same function so that a download always holds exactly the rows the page
listed for the same filters.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from audit.models import AuditEvent

# Dates in the filter are the centre's calendar days, whatever the server's clock says.
LONDON = ZoneInfo("Europe/London")

# Every action the code base records, in words. Rows with an action not listed here (from a newer part of the
# system, or one since renamed) are still shown and filterable under their raw name.
ACTION_LABELS: dict[str, str] = {
    "member.added": "Person added",
    "member.deactivated": "Person deactivated",
    "member.reactivated": "Person reactivated",
    "member.qualification_changed": "Qualification changed",
    "portfolio.registered": "Learner registered on a unit",
    "qualification.registered": "Learner registered on a qualification",
    "qualification.units_added": "Units added to a learner's qualification",
    "portfolio.claimed": "Unit marked as claimed from the awarding body",
    "portfolio.identifiers_changed": "Learner's ULN or enrolment number changed",
    "sufficiency.thresholds_changed": "Centre's sufficiency thresholds changed",
    "subject_access.exported": "Subject-access export made",
    "portfolio.assigned": "Assessor or IV assigned",
    "portfolio.imported": "Prior evidence imported",
    "portfolio.sampled": "Unit sampled",
    "portfolio.released": "Unit released without sampling",
    "portfolio.referred": "Unit referred back",
    "portfolio.completed": "Unit completed",
    "signature.made": "Signature made",
    "signature.withdrawn": "Signature withdrawn",
    "evidence.added": "Evidence added",
    "evidence.changed": "Evidence changed",
    "evidence.deleted": "Evidence deleted",
    "evidence.recorded": "Assessor record made",
    "evidence.record_changed": "Assessor record changed",
    "evidence.observation_acknowledged": "Observation acknowledged by the learner",
    "evidence.judged": "Evidence judged",
    "evidence.feedback": "Feedback on evidence",
    "evidence.reopened": "Evidence reopened",
    "evidence.locked": "Evidence locked",
    "evidence.unlocked": "Evidence unlocked",
    "witness.requested": "Witness asked to confirm",
    "witness.confirmed": "Witness confirmed",
    "witness.corrected": "Witness corrected a statement",
    "witness.dropped": "Witness request dropped",
    "plan.made": "Assessment plan action added",
    "plan.action_changed": "Assessment plan action changed",
    "plan.action_deleted": "Assessment plan action deleted",
    "plan.agreed": "Assessment plan agreed",
    "export.requested": "Export asked for",
    "export.retried": "Export retried",
    "export.downloaded": "Export downloaded",
    "audit.exported": "Audit trail exported",
    "portfolio.reopened": "Unit back in progress after a change",
    "portfolio.ev_held": "Unit held for the EV",
    "portfolio.ev_released": "Unit released by the EV",
    "sampling_policy.update": "Sampling policy changed",
    "sampling_plan.create": "Sampling plan made",
    "sample_item.add": "Added to a sampling plan",
    "sample_item.remove": "Taken out of a sampling plan",
    "iv_report.written": "IV report written",
    "action_point.done": "IV action point done",
    "ev_visit.created": "EV visit prepared",
    "ev_visit.changed": "EV visit changed",
    "ev_visit.cancelled": "EV visit cancelled",
    "ev_visit.ended": "EV visit ended",
    "ev.findings_recorded": "EV findings recorded",
    "ev.page_viewed": "Page viewed by an EV",
    "file.altered_refused": "Changed file refused",
    "records.broken": "Signed records found changed",
    "notifications.settings_changed": "Notification settings changed",
    "unit_imported": "Unit loaded into the library",
    "qualification_imported": "Qualification loaded into the library",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# The words for the roles people act in: people hands in its role labels when it starts (PeopleConfig.ready), as
# audit imports no other app.
ROLE_LABELS: dict[str, str] = {}


def role_label(role: str) -> str:
    # Not every actor holds a role: a witness, who has no account, is recorded as "witness".
    return ROLE_LABELS.get(role) or role.capitalize()


def action_choices(base: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """The known actions plus whatever else `base` holds, in one query, sorted by what the person reads."""
    # order_by() replaces the model's ordering, which would otherwise make DISTINCT count every row apart.
    present = base.order_by("action").values_list("action", flat=True).distinct()
    actions = set(ACTION_LABELS) | set(present)
    return sorted(((a, action_label(a)) for a in actions), key=lambda choice: choice[1].lower())


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LONDON)


def trail_base(*, centre: Any, portfolios: Iterable[Any] | QuerySet | None = None) -> QuerySet[AuditEvent]:
    """The rows someone may read: the centre's, and for an EV only those about the portfolios in their sample."""
    rows = AuditEvent.objects.filter(centre=centre)
    if portfolios is not None:
        rows = rows.filter(portfolio__in=portfolios)
    return rows


def trail_for(
    *, centre: Any, portfolios: Iterable[Any] | QuerySet | None = None, filters: dict[str, Any] | None = None
) -> QuerySet[AuditEvent]:
    """The centre's rows matching `filters` (person, learner, unit, action, date_from, date_to), newest first.

    Dates are Europe/London calendar days and both ends are inclusive: "to 26/10/2025" takes in everything up to
    midnight at the end of that day, whether the clocks say BST or GMT.
    """
    filters = filters or {}
    rows = trail_base(centre=centre, portfolios=portfolios)
    if filters.get("person"):
        rows = rows.filter(actor=filters["person"])
    if filters.get("learner"):
        rows = rows.filter(portfolio__learner=filters["learner"])
    if filters.get("unit"):
        rows = rows.filter(portfolio__unit=filters["unit"])
    if filters.get("action"):
        rows = rows.filter(action=filters["action"])
    if filters.get("date_from"):
        rows = rows.filter(at__gte=day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(at__lt=day_start(filters["date_to"] + datetime.timedelta(days=1)))
    # Everything the page and the CSV show comes with the row, so a page of 50 costs what a page of 5 does.
    return rows.select_related("actor", "portfolio__learner", "portfolio__unit").order_by("-at", "-id")
