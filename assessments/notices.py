"""What the sign-off chain waits for, as notifications to the people who must act.

The services of the chain call `unit_notices_sync` after every move, inside their transaction. It works from the
unit's status as it now stands, not from the move that was made, so a signature, a release, a referral and a
withdrawal all leave the same, right set open: what waits is announced once (notify() keeps one open notification
per person, kind and unit) and what no longer waits is closed.

The learner hears of what the assessor decides or says about each evidence item (`evidence_judged_notice`,
`evidence_feedback_notice`) until they act on it: by reading the item, changing it, or submitting the unit.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator

from assessments.models import AssessmentPlan, Decision, Evidence, Feedback, Portfolio, PortfolioStatus, Referral
from audit.models import AuditEvent
from notifications.services import notifications_done, notifications_done_among, notify
from people.models import Membership, Qualification, Role, User

S = PortfolioStatus

# The steps of the chain that wait for someone; each is open only while the unit's status says it waits.
CHAIN_KINDS = ("unit_submitted", "countersign_due", "iv_due", "iv_countersign_due", "ev_due")
# Beyond this many qualified colleagues, telling each of them would be noise: the centre admins arrange it instead.
MAX_COUNTERSIGNERS = 5


def _names(portfolio: Portfolio) -> str:
    return f"{portfolio.learner.full_name} – {portfolio.unit.title}"


def _is_qualifying(user: User | None, portfolio: Portfolio, role: Role) -> bool:
    if user is None:
        return False
    return Membership.objects.filter(
        user=user, centre_id=portfolio.centre_id, role=role, qualification=Qualification.QUALIFYING, is_active=True
    ).exists()


def _people(portfolio: Portfolio, role: Role, **extra: object):
    return User.objects.filter(
        is_active=True,
        memberships__centre_id=portfolio.centre_id,
        memberships__role=role,
        memberships__is_active=True,
        **{f"memberships__{k}": v for k, v in extra.items()},
    ).distinct()


def _countersigners(portfolio: Portfolio, role: Role) -> tuple[list[User], bool]:
    """Who is told a countersignature is needed, and whether they are the admins standing in for too many (or no)
    qualified colleagues."""
    involved = [pk for pk in (portfolio.learner_id, portfolio.assessor_id, portfolio.iv_id) if pk]
    qualified = list(
        _people(portfolio, role, qualification=Qualification.QUALIFIED).exclude(pk__in=involved)[
            : MAX_COUNTERSIGNERS + 1
        ]
    )
    if 0 < len(qualified) <= MAX_COUNTERSIGNERS:
        return qualified, False
    return list(_people(portfolio, Role.ADMIN)), True


def _sampling_ev(portfolio: Portfolio) -> User | None:
    """The EV whose sample holds the unit, the latest to take it: the EV who marked it sampled, or the visiting EV
    an EV visit's sample holds it for (the hold's audit row names them; they may not have looked at it yet)."""
    event = (
        AuditEvent.objects.filter(portfolio_id=portfolio.pk)
        .filter(
            Q(action="portfolio.sampled", data__by=Role.EV.value) | Q(action="portfolio.ev_held", data__has_key="ev")
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return None
    if event.action == "portfolio.ev_held":
        return User.objects.filter(pk=event.data["ev"], is_active=True).first()
    return event.actor


def _countersign_due(
    portfolio: Portfolio, role: Role, colleague: User | None, fallback: str, kind: str, need: str, names: str
) -> tuple[list[User], str]:
    """Who is asked for a countersignature of a qualifying colleague's decision, and the title they see."""
    people, arrange = _countersigners(portfolio, role)
    if arrange:
        return people, f"Arrange a qualified {kind}'s countersignature: {names}"
    who = colleague.full_name if colleague else fallback
    return people, f"{need} needed for {who}'s decision: {names}"


def _due(portfolio: Portfolio) -> dict[str, tuple[list[User], str]]:
    """Which steps wait now, for whom, with what title."""
    status, names = portfolio.status, _names(portfolio)
    due: dict[str, tuple[list[User], str]] = {}
    if status == S.SUBMITTED and portfolio.assessor:
        due["unit_submitted"] = ([portfolio.assessor], f"Unit submitted for sign-off: {names}")
    elif status in (S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED):
        if status == S.ASSESSOR_SIGNED and _is_qualifying(portfolio.assessor, portfolio, Role.ASSESSOR):
            due["countersign_due"] = _countersign_due(
                portfolio, Role.ASSESSOR, portfolio.assessor, "the assessor", "assessor", "Countersignature", names
            )
        elif portfolio.iv:
            due["iv_due"] = ([portfolio.iv], f"Ready for internal verification: sample or release {names}")
    elif status in (S.IV_SIGNED, S.IV_COUNTERSIGNED, S.IV_RELEASED):
        iv_qualifying = status == S.IV_SIGNED and _is_qualifying(portfolio.iv, portfolio, Role.IV)
        if iv_qualifying:
            due["iv_countersign_due"] = _countersign_due(
                portfolio, Role.IV, portfolio.iv, "the IV", "IV", "IV countersignature", names
            )
        elif portfolio.ev_sampled:
            ev = _sampling_ev(portfolio)
            if ev is not None:
                due["ev_due"] = ([ev], f"Ready for external verification: {names}")
    return due


def unit_notices_sync(portfolio: Portfolio, *, actor: User, referral: Referral | None = None) -> None:
    """Close what the unit no longer waits for and announce what it now waits for. `portfolio` is the locked row,
    with its new status; `referral` the one just made, if the move was a referral."""
    due = _due(portfolio)
    url = reverse("signoff", args=[portfolio.pk])
    for kind in CHAIN_KINDS:
        if kind not in due:
            notifications_done(target=portfolio, kind=kind)
    for kind, (people, title) in due.items():
        for person in people:
            # Whoever made the move knows of it: their own work from it shows on their caseload.
            if person.pk != actor.pk:
                notify(user=person, kind=kind, target=portfolio, title=title, url=url, centre=portfolio.centre)
    if portfolio.status == S.SUBMITTED:
        # Submitting again is the answer to a referral.
        notifications_done(target=portfolio, kind="unit_referred")
    elif portfolio.status == S.COMPLETE:
        notify(
            user=portfolio.learner,
            kind="unit_complete",
            target=portfolio,
            title=f"Your unit is complete: {portfolio.unit.title}",
            url=url,
            centre=portfolio.centre,
            body="Every signature it needs has been made. Your centre can now claim the certificate.",
        )
    if referral is not None:
        _referred(portfolio, referral, url)
    if portfolio.status != S.IN_PROGRESS:
        _evidence_notices_moved_on(portfolio)


def _referred(portfolio: Portfolio, referral: Referral, url: str) -> None:
    reasons = Truncator(" ".join(referral.reasons.split())).chars(200)
    notify(
        user=portfolio.learner,
        kind="unit_referred",
        target=portfolio,
        title=f"Your unit was referred back: {reasons}",
        url=url,
        centre=portfolio.centre,
        body=f"{portfolio.unit.title}. Referred back by {referral.referred_by.full_name}: {referral.reasons}",
    )
    # The assessor answers for the decision the verifier sent back, so they hear of it too.
    if referral.role in (Role.IV, Role.EV) and portfolio.assessor:
        label = "IV" if referral.role == Role.IV else "EV"
        notify(
            user=portfolio.assessor,
            kind="unit_referred",
            target=portfolio,
            title=f"Referred back by the {label}: {_names(portfolio)}",
            url=url,
            centre=portfolio.centre,
            body=referral.reasons,
        )


def unit_notices_reassigned(portfolio: Portfolio, *, before: dict[str, int | None], actor: User) -> None:
    """The unit's assessor or IV changed: what waited for the one who left now waits for the one who came."""
    for field in ("assessor", "iv"):
        old = before.get(field)
        if old is not None and old != getattr(portfolio, f"{field}_id"):
            notifications_done(target=portfolio, user=User(pk=old))
    unit_notices_sync(portfolio, actor=actor)


def plan_agreement_due(plan: AssessmentPlan, portfolio: Portfolio) -> None:
    """The plan's actions changed, which clears the learner's agreement: they agree to it as it now stands."""
    if not plan.actions.exists():
        notifications_done(target=plan, kind="plan_agree")
        return
    notify(
        user=portfolio.learner,
        kind="plan_agree",
        target=plan,
        title=f"Read and agree to your assessment plan: {portfolio.unit.title}",
        url=reverse("plan_detail", args=[portfolio.pk]),
        centre=portfolio.centre,
    )


# --- The learner's evidence: what the assessor decided or said about an item ---------------------------------------

# Open on an item until the learner acts on it. Being told an item was accepted, or of new feedback, is acted on by
# reading the item; an item sent back waits until the learner changes it.
EVIDENCE_KINDS = ("evidence_sent_back", "evidence_accepted", "evidence_feedback")
READ_KINDS = ("evidence_accepted", "evidence_feedback")


def _item(evidence: Evidence) -> str:
    return f"{evidence.reference} {evidence.title}"


def _item_url(evidence: Evidence, *, thread: bool = False) -> str:
    return reverse("evidence_detail", args=[evidence.pk]) + ("#thread" if thread else "")


def evidence_judged_notice(
    *, evidence: Evidence, portfolio: Portfolio, assessor: User, before: str, feedback: str, rejected: Sequence[str]
) -> None:
    """The assessor accepted the item or sent it back: tell the learner, with the feedback and the claims not
    confirmed. It replaces what the learner was told of the item before. A judgement that neither changes the
    decision nor says anything (verdicts corrected, say) is not news to them."""
    if evidence.decision == before and not feedback:
        return
    learner = portfolio.learner
    notifications_done(target=evidence, user=learner, kinds=EVIDENCE_KINDS)
    # What the assessor said comes first: the dashboard shows only the start of it.
    said = f"{assessor.full_name} says: {feedback} " if feedback else ""
    unit = f"Unit: {portfolio.unit.title}."
    if evidence.decision == Decision.SENT_BACK:
        kind, title = "evidence_sent_back", f"Sent back by your assessor: {_item(evidence)}"
        body = f"{said}Change the item as your assessor asks, then save it. {unit}"
    else:
        kind, title = "evidence_accepted", f"Accepted by your assessor: {_item(evidence)}"
        not_confirmed = f"Not confirmed: {', '.join(rejected)}. " if rejected else ""
        body = f"{said}{not_confirmed}{unit}"
    notify(
        user=learner,
        kind=kind,
        target=evidence,
        title=title,
        url=_item_url(evidence, thread=bool(feedback)),
        centre=portfolio.centre,
        body=body,
    )


def evidence_feedback_notice(*, message: Feedback, evidence: Evidence, portfolio: Portfolio) -> None:
    """A message in the item's thread. The assessor's is news to the learner; the learner's is their answer to
    what they were told."""
    if message.author_id == portfolio.learner_id:
        notifications_done(target=evidence, user=message.author, kind="evidence_feedback")
        return
    notify(
        user=portfolio.learner,
        kind="evidence_feedback",
        target=evidence,
        title=f"New feedback on {_item(evidence)}",
        url=_item_url(evidence, thread=True),
        centre=portfolio.centre,
        body=f"{message.author.full_name}: {message.text}",
    )


def evidence_notices_read(*, evidence: Evidence, reader: User) -> None:
    """The learner opened the item: what they were only told of is done. An item sent back still waits for them to
    change it."""
    if reader.pk == evidence.portfolio.learner_id:
        notifications_done(target=evidence, user=reader, kinds=READ_KINDS)


def evidence_notices_answered(evidence: Evidence) -> None:
    """The learner changed (or deleted) the item: whatever they were told of it is answered."""
    notifications_done(target=evidence, kinds=EVIDENCE_KINDS)


def _evidence_notices_moved_on(portfolio: Portfolio) -> None:
    """The unit left the learner's hands: what they were told of its items is behind them. An item sent back still
    waits while the unit is only submitted, as the learner may change it until the assessor signs."""
    kinds = READ_KINDS if portfolio.status == S.SUBMITTED else EVIDENCE_KINDS
    notifications_done_among(
        targets=Evidence.objects.filter(portfolio_id=portfolio.pk), kinds=kinds, user=portfolio.learner_id
    )
