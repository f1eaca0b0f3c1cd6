"""Who may do what to a portfolio's sign-off, now: the rules the sign-off page, its template tag and the
sign-off services all ask, written once.

An internal verifier never samples, reports on, releases, refers or signs a unit in which they made an
assessment decision: a judgement of a claim, an assessor's record, an assessor's signature or countersignature,
in any round, whatever the assignment says now (an admin may have moved the assessor to be the unit's IV).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from assessments.models import Author, ClaimJudgement, Evidence, Portfolio, Signature, SignatureKind

OWN_DECISIONS = "An internal verifier cannot verify their own assessment decisions."

ASSESSOR_SIGNATURES = (SignatureKind.ASSESSOR, SignatureKind.ASSESSOR_COUNTERSIGN)


def decided_by(user_id: int) -> Q:
    """Portfolios in which this person made an assessment decision (or assess now), as one filter."""
    here = Q(portfolio=OuterRef("pk")) | Q(cross_references=OuterRef("pk"))
    judged = ClaimJudgement.objects.filter(
        Q(evidence__portfolio=OuterRef("pk")) | Q(evidence__cross_references=OuterRef("pk")), judged_by_id=user_id
    )
    items = Evidence.objects.filter(here).filter(
        Q(decided_by_id=user_id) | Q(author=Author.ASSESSOR, created_by_id=user_id)
    )
    # Withdrawn ones too: the decision was made, whatever became of the signature.
    signed = Signature.objects.filter(portfolio=OuterRef("pk"), signer_id=user_id, kind__in=ASSESSOR_SIGNATURES)
    return Q(assessor_id=user_id) | Q(Exists(judged)) | Q(Exists(items)) | Q(Exists(signed))


def made_assessment_decisions(user_id: int, portfolio: Portfolio) -> bool:
    """Whether this person made an assessment decision in the portfolio, in any round, or is its assessor now:
    one query (none when they are its assessor now)."""
    if portfolio.assessor_id == user_id:
        return True
    return Portfolio.objects.filter(decided_by(user_id), pk=portfolio.pk).exists()
