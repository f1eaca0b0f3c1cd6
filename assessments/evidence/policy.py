"""Who may do what to an evidence item, and to a portfolio's assessment plan, now: the rules the evidence,
review and plan pages, the {% may %} tag and the services all ask, written once.

Each answer has two parts, asked together by `evidence_may` and `plan_may`:
- who: the person's links to the portfolio (assessments/access.py) and the kind of item. The learner changes
  their own items, never the assessor's records; the learner's assessor reviews the learner's items and makes
  and changes their own records; learner and assessor write in an item's thread. No link is 404.
- now: the lock. Nothing changes behind a signed unit, its own or one the item is cross-referenced to.

The pages ask `evidence_who` (or `plan_who`) at the door and show the lock's reason on the page itself, as a
message beside the form: a learner who opens a locked item's form reads why they cannot save it.
"""

from __future__ import annotations

from django.utils import timezone

from assessments.decisions import YES, Decision, refuse
from assessments.models import LOCKED_STATUSES, AssessmentPlan, Author, Evidence, Portfolio, PortfolioStatus
from people.models import Role

NO_LINK = refuse("No such portfolio.", 404)

LEARNERS_EVIDENCE = "Only the learner can change their evidence."
ASSESSORS_RECORD = "This is the assessor's record: only the assessor can change it."
LEARNERS_ITEM = "This is the learner's evidence: review it instead."
OWN_RECORD = "This is your own record, accepted as you made it: change the record instead."
REVIEWERS = "Only the learner's assessor reviews their evidence."
RECORDERS = "Only the learner's assessor records observations, questioning and professional discussions."
ACKNOWLEDGERS = "Only the learner acknowledges the assessor's observation of them."
THREAD = "Only the learner and their assessor write in the feedback thread."
WITNESS = "Only the learner asks their witness to confirm a statement."
LOCKED = (
    "This unit has been signed off, so its evidence is locked. "
    "The signer (or a centre admin) must withdraw the signature before anything can change."
)

# What each action needs: the links any one of which allows it, the words when the person has none of them, and
# who must have made the item (None: either). "add" and "record_add" are asked of the portfolio.
NEEDS: dict[str, tuple[frozenset[Role], str, str | None]] = {
    "add": (frozenset({Role.LEARNER}), LEARNERS_EVIDENCE, None),
    "edit": (frozenset({Role.LEARNER}), LEARNERS_EVIDENCE, Author.LEARNER),
    "delete": (frozenset({Role.LEARNER}), LEARNERS_EVIDENCE, Author.LEARNER),
    "witness_resend": (frozenset({Role.LEARNER}), WITNESS, Author.LEARNER),
    "review": (frozenset({Role.ASSESSOR}), REVIEWERS, Author.LEARNER),
    "feedback": (frozenset({Role.LEARNER, Role.ASSESSOR}), THREAD, None),
    "record_add": (frozenset({Role.ASSESSOR}), RECORDERS, None),
    "record_edit": (frozenset({Role.ASSESSOR}), RECORDERS, Author.ASSESSOR),
    "acknowledge": (frozenset({Role.LEARNER}), ACKNOWLEDGERS, Author.ASSESSOR),
}
# Asked of an item made by the other side: the words, and 404 where the page is not for such items at all.
WRONG_AUTHOR = {
    "edit": refuse(ASSESSORS_RECORD),
    "delete": refuse(ASSESSORS_RECORD),
    "witness_resend": refuse(ASSESSORS_RECORD),
    "review": refuse(OWN_RECORD),
    "record_edit": refuse(LEARNERS_ITEM, 404),
    "acknowledge": refuse("Only the assessor's observation is acknowledged.", 404),
}
ACTIONS = frozenset({"read", *NEEDS})


# A service has no request, so no active role: it asks with the links the portfolio's row shows, and this one
# besides, for whoever the page let through, so a refusal there names the role rather than saying "no such".
ASKED_BY_SERVICE = "service"


def links_of(user_id: int | None, portfolio: Portfolio) -> set[Role | str]:
    """The links a service can tell from the portfolio's row alone: the learner's and the assessor's (only they
    change evidence), beside ASKED_BY_SERVICE."""
    links: set[Role | str] = {ASKED_BY_SERVICE}
    if user_id is not None and user_id == portfolio.learner_id:
        links.add(Role.LEARNER)
    if user_id is not None and user_id == portfolio.assessor_id:
        links.add(Role.ASSESSOR)
    return links


def _portfolio(target: Evidence | Portfolio) -> Portfolio:
    return target if isinstance(target, Portfolio) else target.portfolio


def evidence_who(links: set[Role | str], action: str, target: Evidence | Portfolio) -> Decision:
    """May someone linked by `links` do this to this item (or, for "add" and "record_add", in this portfolio),
    whatever the lock says?"""
    if action not in ACTIONS:
        raise ValueError(f"No such evidence action: {action}")
    if not links:
        return NO_LINK
    if action == "read":
        return YES
    allowed, reason, author = NEEDS[action]
    if not links & allowed:
        return refuse(reason)
    if author is not None and isinstance(target, Evidence) and target.author != author:
        return WRONG_AUTHOR[action]
    return YES


def locked_reason(portfolio: Portfolio, evidence: Evidence | None = None) -> str | None:
    """Why nothing may change now: the unit is signed off, or one the item also counts towards is. None when open.

    Reads the item's cross-references as they are on the object, prefetched by a list page or read here."""
    if portfolio.status in LOCKED_STATUSES:
        return LOCKED
    if evidence is not None and evidence.pk:
        # A list page's rows come with them read (where prefetch_related leaves them); asking the related manager
        # would build one for every question of every row.
        read = getattr(evidence, "_prefetched_objects_cache", {}).get("cross_references")
        locked = next(
            (p for p in (evidence.cross_references.all() if read is None else read) if p.status in LOCKED_STATUSES),
            None,
        )
        if locked is not None:
            return f"This item also counts towards {locked.unit.title}, which has been signed off, so it is locked."
    return None


def evidence_now(action: str, target: Evidence | Portfolio) -> Decision:
    """Does the lock allow this action now?"""
    if action == "read":
        return YES
    evidence = target if isinstance(target, Evidence) else None
    if refusal := locked_reason(_portfolio(target), evidence):
        return refuse(refusal)
    return YES


def evidence_may(user_id: int | None, links: set[Role | str], action: str, target: Evidence | Portfolio) -> Decision:
    """May the person, linked to the item's portfolio by `links`, do this to the item now? The {% may %} tag asks
    with the viewer's links; the services ask with `links_of` the portfolio's row, under its lock."""
    who = evidence_who(links, action, target)
    return evidence_now(action, target) if who else who


# --- The assessment plan ---------------------------------------------------------------------------------------

PLAN_CHANGERS = "Only the learner's assessor changes the assessment plan."
PLAN_AGREERS = "Only the learner and their assessor agree to the assessment plan."
PLAN_LOCKED = "This unit has been signed off, so its assessment plan can no longer change."
PLAN_WITHDRAWN = "This registration has been withdrawn, so its assessment plan can no longer change."
PLAN_NEEDS: dict[str, tuple[frozenset[Role], str]] = {
    "plan_change": (frozenset({Role.ASSESSOR}), PLAN_CHANGERS),
    "plan_agree": (frozenset({Role.LEARNER, Role.ASSESSOR}), PLAN_AGREERS),
}


def plan_who(links: set[Role | str], action: str) -> Decision:
    """May someone linked by `links` read the plan, change its actions ("plan_change") or agree to it
    ("plan_agree")?"""
    if action not in PLAN_NEEDS and action != "plan_read":
        raise ValueError(f"No such plan action: {action}")
    if not links:
        return NO_LINK
    if action == "plan_read":
        return YES
    allowed, reason = PLAN_NEEDS[action]
    return YES if links & allowed else refuse(reason)


def plan_now(portfolio: Portfolio) -> Decision:
    """Is the plan open: not signed off, not withdrawn?"""
    if portfolio.status in LOCKED_STATUSES:
        return refuse(PLAN_LOCKED)
    if portfolio.status == PortfolioStatus.WITHDRAWN:
        return refuse(PLAN_WITHDRAWN)
    return YES


NOTHING_TO_AGREE = "The plan has no actions yet, so there is nothing to agree to."


def agreed_field(links: set[Role | str]) -> str:
    """Whose agreement the person gives: the learner's, or else the assessor's."""
    return "learner_agreed_at" if Role.LEARNER in links else "assessor_agreed_at"


def plan_agreement(links: set[Role | str], plan: AssessmentPlan | None) -> Decision:
    """Is there something for this person to agree to: a plan with actions that they have not agreed to as it
    stands (any change to its actions clears both agreements)?"""
    if plan is None or not plan.actions.exists():
        return refuse(NOTHING_TO_AGREE)
    if (agreed := getattr(plan, agreed_field(links))) is not None:
        return refuse(f"You agreed to this plan on {timezone.localtime(agreed):%d/%m/%Y}.")
    return YES


def plan_may(user_id: int | None, links: set[Role | str], action: str, portfolio: Portfolio) -> Decision:
    """May the person change (or agree to) the portfolio's assessment plan now?"""
    who = plan_who(links, action)
    if not who or action == "plan_read":
        return who
    if not (now := plan_now(portfolio)) or action != "plan_agree":
        return now
    return plan_agreement(links, AssessmentPlan.objects.filter(portfolio=portfolio).first())
