"""The assessor's caseload: their learners' units at one centre with progress and status, and what waits for
them, oldest first. Worked out in a fixed number of queries whatever the caseload. And what the learner's own
units wait for them to do."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q
from django.urls import reverse

from assessments.judgement.coverage import portfolios_progress
from assessments.models import (
    LOCKED_STATUSES,
    Author,
    Decision,
    Evidence,
    Portfolio,
    PortfolioStatus,
    Referral,
    Signature,
    SignatureKind,
)
from notifications.panel import Task
from people.models import Centre, Role, User
from units.models import UnitCode

# The waiting list shows this many, those that have waited longest; the counts cover them all.
WAITING_SHOWN = 50


class WaitingKind:
    EVIDENCE = "evidence"
    SUBMITTED = "submitted"
    REFERRAL = "referral"


@dataclass
class Waiting:
    """One thing that waits for the assessor."""

    kind: str
    portfolio: Portfolio
    # Since when it has waited; None only for a submitted unit whose learner's signature cannot be found.
    since: datetime.datetime | None
    title: str
    detail: str
    url: str


@dataclass
class Caseload:
    portfolios: list[Portfolio]
    waiting: list[Waiting]
    counts: Counter = field(default_factory=Counter)

    @property
    def waiting_total(self) -> int:
        return sum(self.counts.values())


def assessor_caseload(assessor: User, centre: Centre) -> Caseload:
    mine = Q(portfolio__assessor=assessor, portfolio__centre=centre) & ~Q(portfolio__status=PortfolioStatus.WITHDRAWN)
    portfolios = list(
        Portfolio.objects.filter(assessor=assessor, centre=centre)
        .current()
        .with_people()
        .prefetch_related(Prefetch("unit__codes", queryset=UnitCode.objects.select_related("awarding_body")))
    )
    by_pk = {p.pk: p for p in portfolios}
    progress = portfolios_progress(portfolios)

    # Evidence new or changed since the assessor last judged it. Their own records (observations and the like)
    # do not wait for them.
    pending = Evidence.objects.filter(mine, decision=Decision.PENDING).exclude(author=Author.ASSESSOR)
    pending_counts = dict(
        pending.order_by().values("portfolio_id").annotate(n=Count("pk")).values_list("portfolio_id", "n")
    )
    oldest = list(
        pending.only("pk", "number", "title", "portfolio_id", "updated_at", "decided_at").order_by("updated_at", "pk")[
            :WAITING_SHOWN
        ]
    )
    # Units the learner has submitted for sign-off, waiting since the learner's declaration.
    submitted_at = dict(
        Signature.objects.standing()
        .filter(mine, kind=SignatureKind.LEARNER, portfolio__status=PortfolioStatus.SUBMITTED)
        .values_list("portfolio_id", "signed_at")
    )
    # Referrals of their work by the IV or EV that opened the unit's current round, until the assessor signs again.
    referrals = list(
        Referral.objects.filter(mine, role__in=[Role.IV, Role.EV], round__gte=F("portfolio__round") - 1)
        .exclude(portfolio__status__in=LOCKED_STATUSES)
        .select_related("referred_by")
        .order_by("created_at", "pk")
    )

    waiting: list[Waiting] = []
    for e in oldest:
        portfolio = by_pk[e.portfolio_id]
        waiting.append(
            Waiting(
                kind=WaitingKind.EVIDENCE,
                portfolio=portfolio,
                since=e.updated_at,
                title=f"{e.reference} {e.title}",
                detail="New evidence" if e.decided_at is None else "Changed since you judged it",
                url=reverse("evidence_review", args=[e.pk]),
            )
        )
    for portfolio in portfolios:
        portfolio.progress = progress[portfolio.pk]  # type: ignore[attr-defined]
        portfolio.waiting_evidence = pending_counts.get(portfolio.pk, 0)  # type: ignore[attr-defined]
        portfolio.referral = None  # type: ignore[attr-defined]
        if portfolio.status == PortfolioStatus.SUBMITTED:
            waiting.append(
                Waiting(
                    kind=WaitingKind.SUBMITTED,
                    portfolio=portfolio,
                    since=submitted_at.get(portfolio.pk),
                    title="Unit submitted for sign-off",
                    detail="The learner has made their declaration.",
                    url=reverse("signoff", args=[portfolio.pk]),
                )
            )
    for referral in referrals:
        portfolio = by_pk[referral.portfolio_id]
        portfolio.referral = referral  # type: ignore[attr-defined]
        who = "the IV" if referral.role == Role.IV else "the EV"
        waiting.append(
            Waiting(
                kind=WaitingKind.REFERRAL,
                portfolio=portfolio,
                since=referral.created_at,
                title=f"Referred back by {who}, {referral.referred_by.full_name}",
                detail=referral.reasons,
                url=reverse("portfolio_history", args=[portfolio.pk]),
            )
        )
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    waiting.sort(key=lambda w: (w.since or never, w.kind, w.portfolio.pk))
    counts = Counter(
        {
            WaitingKind.EVIDENCE: sum(pending_counts.values()),
            WaitingKind.SUBMITTED: sum(1 for p in portfolios if p.status == PortfolioStatus.SUBMITTED),
            WaitingKind.REFERRAL: len(referrals),
        }
    )
    return Caseload(portfolios=portfolios, waiting=waiting[:WAITING_SHOWN], counts=counts)


def learner_tasks(portfolios: list[Portfolio]) -> list[Task]:
    """What the learner's units wait for them to do, from what is already worked out for the dashboard (each
    portfolio's `progress`), without a query: a unit in progress whose evidence covers every criterion and range
    item waits for the learner to submit it."""
    tasks = []
    for portfolio in portfolios:
        progress = portfolio.progress  # type: ignore[attr-defined]
        covered = (
            progress.criteria_total > 0
            and progress.criteria_covered == progress.criteria_total
            and progress.range_covered == progress.range_total
        )
        if covered and portfolio.status == PortfolioStatus.IN_PROGRESS:
            tasks.append(
                Task(
                    kind="unit_ready",
                    title=f"Submit this unit: {portfolio.unit.title}",
                    url=reverse("signoff", args=[portfolio.pk]),
                    body="Every criterion and range item has evidence. Check it, then make your declaration "
                    "on the sign-off page.",
                )
            )
    return tasks
