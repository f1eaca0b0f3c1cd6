"""Who may do what with a unit's record, now: the rules the record PDF, the unit's history and the verification
page ask, written once.

The record is the unit's, not any one role's: everyone linked to the portfolio (assessments/access.py) reads its
PDF (a draft until something is signed) and its history, an external verifier on a visit included while the visit
reaches it. Anyone else learns nothing of it (404), not even that it exists; a record code checked at /verify/
tells strangers only the unit, the signing dates and whether the record still matches, never who signed.

One part of the history is not the learner's: the verifiers' reports, the action points they set the assessor and
the EV's findings are internal quality assurance, which the sign-off page and the report pages already keep from
the learner (quality/policy.py, `report_may`). The history leaves those events out for a learner, rather than
telling them in a line what the report page refuses them.
"""

from __future__ import annotations

from assessments.decisions import YES, Decision, refuse
from assessments.models import Portfolio
from people.models import Role

NO_LINK = refuse("No such portfolio.", 404)
NOT_THE_LEARNERS = (
    "IV reports, the action points they set and the external verifier's findings are internal quality assurance: "
    "they are for the assessor, the verifiers and the centre's admins."
)
# The audit actions that are the verifiers' own (quality/services/reports.py and visits.py): what "history_qa" covers.
QA_EVENTS = ("iv_report.written", "action_point.done", "ev.findings_recorded")

# Each action, and whether the learner's link alone is enough for it.
ACTIONS: dict[str, bool] = {
    "pdf": True,  # download the record as a PDF
    "history": True,  # read the unit's history: signatures, referrals and every change in plain words
    "history_qa": False,  # read the quality-assurance events in that history
    "signers": True,  # see on the verification page who signed the record
}


def record_may(user_id: int | None, links: set[Role | str], action: str, portfolio: Portfolio) -> Decision:
    """May the person, linked to the portfolio by `links` (assessments/access.py), do this with its record now?

    No link is 404 for every action (the verification page then shows a stranger's view rather than refusing);
    the learner, linked by nothing else, is refused the quality-assurance events (403)."""
    if action not in ACTIONS:
        raise ValueError(f"No such record action: {action}")
    if not links:
        return NO_LINK
    if not ACTIONS[action] and not links - {Role.LEARNER}:
        return refuse(NOT_THE_LEARNERS)
    return YES
