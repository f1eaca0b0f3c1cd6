"""What the IV's and the EV's signatures need from quality assurance. The sign-off chain
(assessments/signoff/services/) runs these through `add_signing_check`, registered in `QualityConfig.ready`."""

from __future__ import annotations

from assessments.models import Portfolio, SignatureKind
from assessments.signoff.services import TransitionError, add_signing_check
from people.models import User
from quality.models import Agreement, EVFinding, IVReport, SampleStage


def check_ev_findings(portfolio: Portfolio, actor: User) -> None:
    """The EV signs only over findings they recorded in this round that agree with the decisions."""
    latest = (
        EVFinding.objects.filter(portfolio=portfolio, round=portfolio.round, ev=actor)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or latest.agreement != "agree":
        raise TransitionError("Record your findings on this unit (agreeing with the decisions) before signing.")


def check_iv_report(portfolio: Portfolio, actor: User) -> None:
    """The IV signs only over their summative report on this round agreeing with the assessor's decision: the
    report is what a verifier reads to see why the IV agreed. Referring back needs no report."""
    if not IVReport.objects.filter(
        portfolio=portfolio,
        round=portfolio.round,
        iv_id=portfolio.iv_id,
        stage=SampleStage.SUMMATIVE,
        agreement=Agreement.AGREE,
    ).exists():
        raise TransitionError("Write your IV report on this unit (agreeing with the decision) before signing.")


def register() -> None:
    add_signing_check(SignatureKind.EV, check_ev_findings)
    add_signing_check(SignatureKind.IV, check_iv_report)
