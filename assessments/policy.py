"""Who may do what to a portfolio's sign-off, now: the rules the sign-off page, its template tag and the
sign-off services all ask, written once.

An internal verifier never samples, reports on, releases, refers or signs a unit in which they made an
assessment decision: a judgement of a claim, an assessor's record, an assessor's signature or countersignature,
in any round, whatever the assignment says now (an admin may have moved the assessor to be the unit's IV).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from assessments.access import COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV
from assessments.decisions import YES, Decision
from assessments.decisions import refuse as _no
from assessments.models import Author, ClaimJudgement, Evidence, Portfolio, PortfolioStatus, Signature, SignatureKind
from people.models import Membership, Qualification, Role

OWN_DECISIONS = "An internal verifier cannot verify their own assessment decisions."

ASSESSOR_SIGNATURES = (SignatureKind.ASSESSOR, SignatureKind.ASSESSOR_COUNTERSIGN)


def decided_by(user_id: int) -> Q:
    """Portfolios in which this person made an assessment decision (or assess now), as one filter."""
    here = Q(portfolio=OuterRef("pk")) | Q(cross_references=OuterRef("pk"))
    # The units they judged in, worked out once for the whole query: asked unit by unit, each unit read every
    # judgement the person ever made (an IV who assesses elsewhere has thousands), or every item there is.
    judgements = ClaimJudgement.objects.filter(judged_by_id=user_id)
    judged_in = Evidence.cross_references.through.objects.filter(evidence__in=judgements.values("evidence_id"))
    items = Evidence.objects.filter(here).filter(
        Q(decided_by_id=user_id) | Q(author=Author.ASSESSOR, created_by_id=user_id)
    )
    # Withdrawn ones too: the decision was made, whatever became of the signature.
    signed = Signature.objects.filter(portfolio=OuterRef("pk"), signer_id=user_id, kind__in=ASSESSOR_SIGNATURES)
    return (
        Q(assessor_id=user_id)
        | Q(pk__in=judgements.values("evidence__portfolio_id"))
        | Q(pk__in=judged_in.values("portfolio_id"))
        | Q(Exists(items))
        | Q(Exists(signed))
    )


def made_assessment_decisions(user_id: int, portfolio: Portfolio) -> bool:
    """Whether this person made an assessment decision in the portfolio, in any round, or is its assessor now:
    one query (none when they are its assessor now)."""
    if portfolio.assessor_id == user_id:
        return True
    return Portfolio.objects.filter(decided_by(user_id), pk=portfolio.pk).exists()


# --- The portfolio's sign-off ----------------------------------------------------------------------------------
#
# The external verifier. An EV allocated to the centre for the unit's awarding body may sample, refer, release
# and sign any of its units with no visit at all: awarding bodies sample remotely as a matter of course, so a
# visit is one way of sampling, not a condition of it. Such work is audited as remote sampling. An EV not
# allocated to the centre reaches a unit only through an open visit whose sample holds it, and only while it is
# open; with neither they have no link to the unit at all (404).

S = PortfolioStatus
K = SignatureKind


NO_LINK = _no("No such portfolio.", 404)

# What each sign-off action needs: the link to the portfolio, and the words when the person lacks it.
EV_ONLY = "Only an external verifier allocated to this centre, or visiting it with this unit in their sample, {}."
NEEDS: dict[str, tuple[Role | str, str]] = {
    "submit": (Role.LEARNER, "Only the learner makes the learner's declaration."),
    "sign_assessor": (Role.ASSESSOR, "Only the learner's assessor signs the assessment decision."),
    "assessor_refer": (Role.ASSESSOR, "Only the learner's assessor refers a submitted unit back."),
    "countersign_assessor": (COUNTERSIGN_ASSESSOR, "A countersignature must come from another, qualified assessor."),
    "sign_iv": (Role.IV, "Only the unit's internal verifier signs its verification."),
    "iv_sample": (Role.IV, "Only the unit's internal verifier samples it."),
    "iv_release": (Role.IV, "Only the unit's internal verifier releases it."),
    "iv_refer": (Role.IV, "Only the unit's internal verifier refers it back from verification."),
    "countersign_iv": (
        COUNTERSIGN_IV,
        "An IV countersignature must come from another, qualified IV not involved here.",
    ),
    "sign_ev": (Role.EV, EV_ONLY.format("signs here")),
    "ev_sample": (Role.EV, EV_ONLY.format("samples it")),
    "ev_release": (Role.EV, EV_ONLY.format("releases it from the sample")),
    "ev_refer": (Role.EV, EV_ONLY.format("refers it back")),
}
SIGN_ACTIONS = {
    K.LEARNER: "submit",
    K.ASSESSOR: "sign_assessor",
    K.ASSESSOR_COUNTERSIGN: "countersign_assessor",
    K.IV: "sign_iv",
    K.IV_COUNTERSIGN: "countersign_iv",
    K.EV: "sign_ev",
}
IV_ACTIONS = frozenset({"sign_iv", "iv_sample", "iv_release", "iv_refer", "countersign_iv"})

# The EV signs once the IV has signed (and been countersigned, if qualifying) or released the unit.
EV_SIGNS_FROM = frozenset({S.IV_SIGNED, S.IV_COUNTERSIGNED, S.IV_RELEASED})
REFERRERS = {
    Role.ASSESSOR: frozenset({S.SUBMITTED}),
    Role.IV: frozenset({S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED}),
    Role.EV: frozenset({S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED, S.IV_SIGNED, S.IV_COUNTERSIGNED, S.IV_RELEASED}),
}
ASSESSED = frozenset({S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED})
FINISHED = frozenset({S.COMPLETE, S.WITHDRAWN})


def _state(portfolio: Portfolio, action: str) -> str | None:
    """Why the unit's state does not allow the action now; None when it does."""
    status, label = portfolio.status, portfolio.get_status_display().lower()
    not_now = f"This unit is {label}: that is not due now."
    due = {
        "submit": status == S.IN_PROGRESS,
        "sign_assessor": status == S.SUBMITTED,
        "assessor_refer": status in REFERRERS[Role.ASSESSOR],
        "countersign_assessor": status == S.ASSESSOR_SIGNED,
        "sign_iv": status in ASSESSED,
        "iv_sample": status in ASSESSED,
        "iv_release": status in ASSESSED,
        "iv_refer": status in REFERRERS[Role.IV],
        "countersign_iv": status == S.IV_SIGNED,
        "ev_sample": status not in FINISHED,
        "sign_ev": status in EV_SIGNS_FROM,
        "ev_release": status not in FINISHED | {S.EV_SIGNED},
        "ev_refer": status in REFERRERS[Role.EV],
    }[action]
    if not due:
        return not_now
    if action in ("iv_sample", "iv_release") and portfolio.iv_sampled:
        return "You have sampled this unit: sign it or refer it back."
    if action == "ev_sample" and portfolio.ev_sampled:
        return "The unit is already in the external verifier's sample."
    if action in ("sign_ev", "ev_release", "ev_refer") and not portfolio.ev_sampled:
        return "Mark the unit as sampled first: it is not in the external verifier's sample."
    return None


def _qualification(user_id: int | None, centre_id: int, role: Role) -> str | None:
    if user_id is None:
        return None
    membership = Membership.objects.filter(user_id=user_id, centre_id=centre_id, role=role, is_active=True).first()
    return membership.qualification if membership else None


def qualifying(portfolio: Portfolio, role: Role) -> bool:
    """Whether the unit's own assessor (or IV) is still qualifying, so their decision needs a countersignature."""
    who = portfolio.assessor_id if role == Role.ASSESSOR else portfolio.iv_id
    return _qualification(who, portfolio.centre_id, role) == Qualification.QUALIFYING


def countersigner_qualified(user_id: int, portfolio: Portfolio, role: Role) -> bool:
    return _qualification(user_id, portfolio.centre_id, role) == Qualification.QUALIFIED


def order_refusal(portfolio: Portfolio, action: str) -> str | None:
    """The chain's order beyond the status map: countersignatures before the next signer. None when in order."""
    status = portfolio.status
    if action == "countersign_assessor" and not qualifying(portfolio, Role.ASSESSOR):
        return "The assessor is qualified, so their decision needs no countersignature."
    if action in ("sign_iv", "iv_release") and status == S.ASSESSOR_SIGNED and qualifying(portfolio, Role.ASSESSOR):
        return "The assessor is still qualifying: their decision must be countersigned first."
    if action == "countersign_iv" and not qualifying(portfolio, Role.IV):
        return "The IV is qualified, so their decision needs no countersignature."
    if action == "sign_ev" and status == S.IV_SIGNED and qualifying(portfolio, Role.IV):
        return "The IV is still qualifying: their decision must be countersigned first."
    return None


def portfolio_may(user_id: int, links: set[Role | str], action: str, portfolio: Portfolio) -> Decision:
    """May the person, linked to the portfolio by `links` (assessments/access.py), do this sign-off action now?

    The page and the {% may %} tag ask with the viewer's links; the services ask again inside their locked
    transaction, on the row as it stands then, so the last word is always the current state's."""
    if not links:
        return NO_LINK
    link, reason = NEEDS[action]
    if link not in links:
        return _no(reason)
    if refusal := _state(portfolio, action):
        return _no(refusal)
    if action in IV_ACTIONS and made_assessment_decisions(user_id, portfolio):
        return _no(OWN_DECISIONS)
    if action == "countersign_assessor" and not countersigner_qualified(user_id, portfolio, Role.ASSESSOR):
        return _no("Only a qualified assessor at this centre can countersign.")
    if action == "countersign_iv" and not countersigner_qualified(user_id, portfolio, Role.IV):
        return _no("Only a qualified internal verifier at this centre can countersign.")
    if refusal := order_refusal(portfolio, action):
        return _no(refusal)
    return YES


WITHDRAW_WHO = "Only the signer or a centre admin can withdraw a signature."


def signature_may_withdraw(
    user_id: int, links: set[Role | str], signature: Signature, portfolio: Portfolio
) -> Decision:
    """May this person withdraw this signature now: its signer or a centre admin, while it stands and the unit is
    not complete. Only the latest standing signature may go; the service checks that under its lock."""
    if not links:
        return NO_LINK
    if signature.signer_id != user_id and Role.ADMIN not in links:
        return _no(WITHDRAW_WHO)
    if signature.withdrawn_at is not None:
        return _no("This signature has already been withdrawn.")
    if portfolio.status == S.COMPLETE:
        return _no("The unit is complete: its signatures stand.")
    return YES
