"""Who is linked to a portfolio, and how.

A portfolio is seen by its learner, its assessor, its IV, the admins of its
centre and the EVs of its awarding body allocated to that centre. Anyone else
gets 404; a linked person whose link does not allow the action gets 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from assessments.models import Evidence, EvidenceFile, Portfolio
from people.access import available_roles
from people.models import EVAllocation, Membership, Qualification, Role
from people.visit_links import visit_reaches
from portfolio.sql_once import PreparedGet

# Not roles of their own: a qualified assessor (or IV) at the centre is linked to the portfolios of a colleague
# who is still qualifying, to read them and countersign their decisions.
COUNTERSIGN_ASSESSOR = "countersign_assessor"
COUNTERSIGN_IV = "countersign_iv"
# Added beside Role.EV when the EV reaches the portfolio only through an open visit's sample, not an allocation:
# they may read that portfolio and nothing of the learner's beyond it.
EV_VISIT = "ev_visit"


def _mentors(role, portfolio: Portfolio, user_id: int) -> bool:
    """Whether this qualified assessor or IV may countersign the decisions of the portfolio's own one."""
    colleague = portfolio.assessor_id if role.role == Role.ASSESSOR else portfolio.iv_id
    if colleague is None or user_id in (colleague, portfolio.learner_id, portfolio.assessor_id):
        return False
    if role.membership is None or role.membership.qualification != Qualification.QUALIFIED:
        return False
    return Membership.objects.filter(
        user_id=colleague,
        centre_id=portfolio.centre_id,
        role=role.role,
        qualification=Qualification.QUALIFYING,
        is_active=True,
    ).exists()


def portfolio_links(request: HttpRequest, portfolio: Portfolio) -> set[Role | str]:
    user = request.user
    links: set[Role | str] = set()
    for role in available_roles(request):
        if role.centre is not None and role.centre.pk == portfolio.centre_id:
            if role.role == Role.LEARNER and portfolio.learner_id == user.pk:
                links.add(Role.LEARNER)
            elif role.role == Role.ASSESSOR and portfolio.assessor_id == user.pk:
                links.add(Role.ASSESSOR)
            elif role.role == Role.IV and portfolio.iv_id == user.pk:
                links.add(Role.IV)
            elif role.role == Role.ADMIN:
                links.add(Role.ADMIN)
            elif role.role in (Role.ASSESSOR, Role.IV) and _mentors(role, portfolio, user.pk):
                links.add(COUNTERSIGN_ASSESSOR if role.role == Role.ASSESSOR else COUNTERSIGN_IV)
        elif role.external_verifier is not None:
            if role.external_verifier.awarding_body_id == portfolio.awarding_body_id and (
                EVAllocation.objects.filter(
                    external_verifier=role.external_verifier, centre_id=portfolio.centre_id, is_active=True
                ).exists()
            ):
                links.add(Role.EV)
            elif visit_reaches(external_verifier_id=role.external_verifier.pk, portfolio_id=portfolio.pk):
                links.update({Role.EV, EV_VISIT})
    return links


def links_reach_sibling(request: HttpRequest, portfolio: Portfolio, sibling: Portfolio) -> bool:
    """Whether `portfolio.links` (the viewer's links to it) also let them open `sibling`, another portfolio
    of the same learner at the same centre (one an evidence item is cross-referenced between), without a query."""
    links: set[Role | str] = portfolio.links  # type: ignore[attr-defined]
    if EV_VISIT in links:
        # A visit reaches only the portfolios in its sample; the page links to the sibling only if it says so.
        return False
    if sibling.learner_id != portfolio.learner_id or sibling.centre_id != portfolio.centre_id:
        return False
    return bool(
        links & {Role.LEARNER, Role.ADMIN}
        or (Role.ASSESSOR in links and sibling.assessor_id == request.user.pk)
        or (Role.IV in links and sibling.iv_id == request.user.pk)
        or (Role.EV in links and sibling.awarding_body_id == portfolio.awarding_body_id)
    )


# How a refusal names the people who may do what was refused, when the view gives no reason of its own.
LINK_WORDS = {
    Role.LEARNER: "the learner",
    Role.ASSESSOR: "the learner's assessor",
    Role.IV: "the unit's internal verifier",
    Role.EV: "an external verifier allocated to the centre",
    Role.ADMIN: "a centre admin",
    COUNTERSIGN_ASSESSOR: "a qualified assessor countersigning",
    COUNTERSIGN_IV: "a qualified internal verifier countersigning",
}


def only_reason(allowed: set[Role] | set[Role | str]) -> str:
    """The words "Only the learner can do this.", naming every way in `allowed`, in a fixed order."""
    words = [w for link, w in LINK_WORDS.items() if link in allowed]
    named = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"Only {named} can do this."


def _check(
    request: HttpRequest, portfolio: Portfolio, allowed: set[Role] | None, reason: str | None = None
) -> set[Role]:
    links = portfolio_links(request, portfolio)
    if not links:
        raise Http404("No such portfolio.")
    if allowed is not None and not links & allowed:
        raise PermissionDenied(reason or only_reason(allowed))
    return links


_WITH_PEOPLE = PreparedGet(lambda: Portfolio.objects.with_people())


def get_portfolio_for_user(
    request: HttpRequest, portfolio_id: int, allowed: set[Role] | None = None, *, reason: str | None = None
) -> Portfolio:
    """The portfolio, if the user is linked to it (404 otherwise) in one of `allowed` ways (403 otherwise, saying
    `reason`, or who may)."""
    # Every portfolio page asks this first: the query's SQL is built once per process (portfolio/sql_once.py).
    portfolio = _WITH_PEOPLE.get(portfolio_id)
    if portfolio is None:
        raise Http404("No Portfolio matches the given query.")
    # Kept on the object so the view can tell the learner from readers without asking again.
    portfolio.links = _check(request, portfolio, allowed, reason)  # type: ignore[attr-defined]
    request.audit_portfolio = portfolio  # type: ignore[attr-defined]  # the EV page log (quality/middleware.py)
    return portfolio


def get_evidence_for_user(
    request: HttpRequest, evidence_id: int, allowed: set[Role] | None = None, *, reason: str | None = None
) -> Evidence:
    evidence = get_object_or_404(
        Evidence.objects.select_related("portfolio__unit", "portfolio__centre", "method"), pk=evidence_id
    )
    evidence.portfolio.links = _check(request, evidence.portfolio, allowed, reason)  # type: ignore[attr-defined]
    request.audit_portfolio = evidence.portfolio  # type: ignore[attr-defined]  # the EV page log
    return evidence


def get_evidence_file_for_user(request: HttpRequest, file_id: int) -> EvidenceFile:
    """A file, for anyone who may read its evidence item in any portfolio it counts towards; else 404."""
    record = get_object_or_404(
        EvidenceFile.objects.select_related("evidence__portfolio").prefetch_related("evidence__cross_references"),
        pk=file_id,
    )
    evidence = record.evidence
    for portfolio in (evidence.portfolio, *evidence.cross_references.all()):
        if portfolio_links(request, portfolio):
            request.audit_portfolio = portfolio  # type: ignore[attr-defined]  # the EV page log
            return record
    raise Http404("No such file.")
