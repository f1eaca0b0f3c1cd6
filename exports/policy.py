"""Who may read, download or retry an export, now: the export pages ask this, with the same Decision as every
other policy (assessments/decisions.py).

An export is its centre's: its admins, acting as admin there, read, download and retry it. A learner's own portable
portfolio is theirs too, while they act as that centre's learner. One learner's export is as private as their
registrations: anyone who may not open one of them (another learner at the centre) learns nothing of it (404).
"""

from __future__ import annotations

from assessments.decisions import YES, Decision, refuse
from exports.models import Export, ExportStatus
from people.models import Role

# The viewer's links to an export (exports/views.py works them out from the request):
OWN = "own"  # the learner's own portable portfolio, which they asked for
LINKED = "linked"  # linked to its centre (and to the learner's registrations, for one learner's export)
ADMIN_ELSEWHERE = "admin_elsewhere"  # acting as an admin, of another centre

NO_SUCH = refuse("No such export.", 404)
SWITCH_TO_LEARNER = "Switch to your learner role at that centre to fetch your portfolio."
SWITCH_TO_ADMIN = "Switch to your centre admin role at that centre."
ADMINS_ONLY = "This page is for another role. Switch role from the menu if you hold it."
NO_FILE = "This export has no file to download."
ACTIONS = frozenset({"read", "download", "retry"})


def export_may(user_id: int | None, links: set[Role | str], action: str, export: Export) -> Decision:
    """May the person read the export (its page and progress), download its file, or retry it, now?"""
    if action not in ACTIONS:
        raise ValueError(f"No such export action: {action}")
    if OWN in links:
        if Role.LEARNER not in links:
            return refuse(SWITCH_TO_LEARNER)
    elif not links:
        return NO_SUCH
    elif ADMIN_ELSEWHERE in links:
        return refuse(SWITCH_TO_ADMIN)
    elif Role.ADMIN not in links:
        return refuse(ADMINS_ONLY)
    if action == "download" and (export.status != ExportStatus.DONE or not export.file):
        return refuse(NO_FILE, 404)
    return YES
