"""Who may do what in quality assurance, now: the IV's sampling plans and their items, IV reports and their action
points, EV visits and their findings. The sampling and report pages, the visit pages and the services ask these,
with the same Decision (assessments/decisions.py) as the sign-off and evidence policies.

Links here are the viewer's ways in, worked out by the page from the request (the views' `_links` helpers): the
role they act in at the object's centre, and LINKED when they hold any role there (or reach it as an EV) but act in
another. Nobody linked is told the object exists: 404. The rule that an IV never verifies their own assessment
decisions is assessments/policy.py's (`made_assessment_decisions`); sampling and reporting ask it here.
"""

from __future__ import annotations

from assessments.decisions import YES, Decision, refuse
from assessments.models import Portfolio, PortfolioStatus
from assessments.policy import OWN_DECISIONS, made_assessment_decisions
from people.models import Role
from quality.models import ActionPoint, EVVisit, IVReport, SampleItem, SamplingPlan

# Linked to the object's centre, in a role that is not the one the action needs (or not acting in it now).
LINKED = "linked"

# --- Sampling plans and their items ------------------------------------------------------------------------------

ANOTHER_IVS = "This sampling plan is another internal verifier's."
ONLY_ITS_IV_REPORTS = "Only the IV whose sampling plan this is reports on it."
ONLY_THE_UNITS_IV = "Only the unit's internal verifier can sample it."
PLAN_ACTIONS = frozenset({"read", "change", "report"})


def sample_may(user_id: int | None, links: set[Role | str], action: str, plan: SamplingPlan) -> Decision:
    """May the person read a sampling plan, change it (add to it, take from it) or report on its items? `links`:
    the role they act in at the plan's centre, beside LINKED.

    A plan is its IV's: the centre's admins may read it; anyone else at the centre gets 403."""
    if action not in PLAN_ACTIONS:
        raise ValueError(f"No such sampling plan action: {action}")
    if not links:
        return refuse("No such sample item." if action == "report" else "No such sampling plan.", 404)
    if Role.IV in links and plan.iv_id == user_id:
        return YES
    if action == "read" and Role.ADMIN in links:
        return YES
    return refuse(ONLY_ITS_IV_REPORTS if action == "report" else ANOTHER_IVS)


def sample_item_may(user_id: int | None, links: set[Role | str], action: str, item: SampleItem) -> Decision:
    """An item is its plan's: the plan's rule answers."""
    return sample_may(user_id, links, action, item.plan)


def sample_unit_may(user_id: int | None, links: set[Role | str], portfolio: Portfolio) -> Decision:
    """May the IV put this unit in a sample (or write its IV report)? `links`: the viewer's links to the portfolio
    (assessments/access.py). Its IV, and never someone who made an assessment decision in it."""
    if not links:
        return refuse("No such portfolio.", 404)
    if Role.ASSESSOR in links or (Role.IV in links and made_assessment_decisions(user_id, portfolio)):
        return refuse(OWN_DECISIONS)
    if Role.IV not in links:
        return refuse(ONLY_THE_UNITS_IV)
    return YES


# --- IV reports and their action points --------------------------------------------------------------------------

REPORT_READERS = "IV reports are for the centre's assessors, verifiers and admins."
ONLY_ITS_ASSESSOR = "Only the assessor it was set for marks an action point done."
ONLY_THE_UNITS_IV_REPORTS = "Only the unit's internal verifier writes an IV report on it."
OWN_REPORT = "An internal verifier cannot report on their own assessment decisions."


def report_unit_may(user_id: int | None, links: set[Role | str], portfolio: Portfolio) -> Decision:
    """May the person write the unit's IV report? Its IV, who made no assessment decision in it."""
    if not links:
        return refuse("No such portfolio.", 404)
    if Role.IV not in links:
        return refuse(ONLY_THE_UNITS_IV_REPORTS)
    if made_assessment_decisions(user_id, portfolio):
        return refuse(OWN_REPORT)
    return YES


def row_links(user_id: int | None, portfolio: Portfolio) -> set[Role | str]:
    """The links a service can tell from the portfolio's row alone (it has no request): its IV's and its
    assessor's, beside LINKED for whoever the page let through."""
    links: set[Role | str] = {LINKED}
    if user_id is not None and user_id == portfolio.iv_id:
        links.add(Role.IV)
    if user_id is not None and user_id == portfolio.assessor_id:
        links.add(Role.ASSESSOR)
    return links


def report_may(user_id: int | None, links: set[Role | str], action: str, report: IVReport) -> Decision:
    """May the person read the report? `links`: the roles they hold at the report's centre, Role.EV when they may
    read what it covers as an EV, and LINKED when they are linked to it otherwise (the unit's learner).

    Its IV, the assessor whose decisions it covers, the centre's admins and the EVs who may read the unit."""
    if action != "read":
        raise ValueError(f"No such report action: {action}")
    if (
        Role.ADMIN in links
        or Role.EV in links
        or (Role.IV in links and user_id == report.iv_id)
        or (Role.ASSESSOR in links and user_id == report.assessor_id)
    ):
        return YES
    # Holding a role at the centre is not a link to a unit's report: only LINKED (to the unit, or to the centre for
    # a report on a criterion) tells the others it exists.
    return refuse(REPORT_READERS) if LINKED in links else refuse("No such report.", 404)


def action_point_may(user_id: int | None, links: set[Role | str], action: str, point: ActionPoint) -> Decision:
    """May the person mark the action point done? The assessor it was set for, acting at the centre as assessor.
    Others who may read the report, or are linked to its unit, are refused (403); anyone else learns nothing."""
    if action != "done":
        raise ValueError(f"No such action point action: {action}")
    if Role.ASSESSOR in links and point.assessor_id == user_id:
        return YES
    read = report_may(user_id, links, "read", point.report)
    return read if read.status == 404 else refuse(ONLY_ITS_ASSESSOR)


# --- EV visits and findings --------------------------------------------------------------------------------------

VISIT_FOR = "A visit is for the visiting external verifier and the centre's admins."
TRAIL_FOR = "A visit's audit trail is for the visiting external verifier and the centre admins."
FINDINGS_BY = "Only the unit's external verifier records findings on it."
FINDINGS_WITHDRAWN = "This registration is withdrawn: there is nothing to verify."
VISIT_ACTIONS = frozenset({"open", "audit_trail"})


def switch_to(words: str) -> str:
    """A link for someone who holds the visit's EV role, or admin at its centre, but acts in another now: the
    words name the role to switch to (ActiveRole.in_sentence)."""
    return f"switch:{words}"


def _closed(action: str, visit: EVVisit, today, cancelled_on) -> str | None:
    """Why the visit's EV cannot open it (or its audit trail) today; None while it is open."""
    if action == "audit_trail":
        if visit.cancelled_at is not None:
            return "This visit was cancelled, so its audit trail is closed."
        if today < visit.starts_on:
            return f"The visit opens on {visit.starts_on:%d/%m/%Y}: you can read its audit trail from then."
        if visit.ends_on < today:
            return f"The visit ended on {visit.ends_on:%d/%m/%Y}, so its audit trail is closed."
        return None
    if visit.cancelled_at is not None:
        ended = min(visit.ends_on, cancelled_on)
        return f"This visit ended on {ended:%d/%m/%Y}: your access ended with it. The centre cancelled it."
    if today < visit.starts_on:
        return f"This visit opens on {visit.starts_on:%d/%m/%Y}."
    if visit.ends_on < today:
        return f"This visit ended on {visit.ends_on:%d/%m/%Y}: your access ended with it."
    return None


def visit_may(user_id: int | None, links: set[Role | str], action: str, visit: EVVisit) -> Decision:
    """May the person open the visit ("open") or its audit trail ("audit_trail") now? `links`: Role.EV when they
    act as the visit's EV, Role.ADMIN when they act as an admin of its centre, `switch_to(...)` when they hold one
    of those but act in another role, LINKED when they are at the centre in another role.

    The centre's admins open it at any time; its EV only while it is open (from its first day to its last, unless
    cancelled): after that they are told when it ended. Anyone else learns nothing of it."""
    from django.utils import timezone

    from quality.visits import today

    if action not in VISIT_ACTIONS:
        raise ValueError(f"No such visit action: {action}")
    if Role.ADMIN in links:
        return YES
    if Role.EV in links:
        cancelled_on = timezone.localdate(visit.cancelled_at) if visit.cancelled_at is not None else None
        closed = _closed(action, visit, today(), cancelled_on)
        return refuse(closed) if closed else YES
    switch = next((str(link) for link in links if str(link).startswith("switch:")), None)
    if switch is not None:
        if action == "audit_trail":
            return refuse("Switch to your external verifier role to read this visit's audit trail.")
        return refuse(f"Switch to your role as {switch.removeprefix('switch:')} to open this visit.")
    if LINKED in links:
        return refuse(TRAIL_FOR if action == "audit_trail" else VISIT_FOR)
    return refuse("No such visit.", 404)


def findings_may(user_id: int | None, links: set[Role | str], portfolio: Portfolio, *, now: bool = True) -> Decision:
    """May the person record EV findings on the unit? `links`: their links to the portfolio. Its external verifier
    (allocated to the centre, or visiting with the unit in their sample), while the learner is not withdrawn. With
    now=False, who alone: the findings page opens and the service says why a withdrawn unit takes none."""
    if not links:
        return refuse("No such portfolio.", 404)
    if Role.EV not in links:
        return refuse(FINDINGS_BY)
    if now and portfolio.status == PortfolioStatus.WITHDRAWN:
        return refuse(FINDINGS_WITHDRAWN)
    return YES
