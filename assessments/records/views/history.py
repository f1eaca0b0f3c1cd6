"""The unit's history: every signature, and every change that concerns the unit, in plain words, round by round.

A unit can gather years of events; the page shows one page of them at a time, the latest page first, so it stays
small whatever the unit's age.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.access import get_portfolio_for_user
from assessments.decisions import enforce
from assessments.models import PortfolioStatus, Referral, Signature
from assessments.records.policy import QA_EVENTS, record_may
from audit.models import AuditEvent
from audit.trail import action_label, role_label

EVENTS_PER_PAGE = 50
# Every page an EV opens is audited; in the unit's history those rows would bury the changes themselves.
NOT_CHANGES = ["ev.page_viewed"]


def _status_words(value: Any) -> str | None:
    return PortfolioStatus(value).label if value in PortfolioStatus.values else None


def _describe(event: AuditEvent, referral_times: list[Any]) -> None:
    """Words for one event, kept on it for the template: what happened, who in which role, any status change."""
    event.round = 1 + sum(1 for at in referral_times if at < event.at)  # type: ignore[attr-defined]
    event.what = action_label(event.action)  # type: ignore[attr-defined]
    event.role_words = role_label(event.actor_role) if event.actor_role else ""  # type: ignore[attr-defined]
    before, after = _status_words(event.data.get("before")), _status_words(event.data.get("after"))
    event.status_change = f"{before} → {after}" if before and after else ""  # type: ignore[attr-defined]


def portfolio_history(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_portfolio_for_user(request, portfolio_id)
    links = portfolio.links  # type: ignore[attr-defined]
    enforce(record_may(request.user.pk, links, "history", portfolio))
    hidden = NOT_CHANGES
    if not record_may(request.user.pk, links, "history_qa", portfolio):
        hidden = [*NOT_CHANGES, *QA_EVENTS]
    events = (
        AuditEvent.objects.filter(portfolio=portfolio)
        .exclude(action__in=hidden)
        .select_related("actor")
        .order_by("at", "pk")
    )
    paginator = Paginator(events, EVENTS_PER_PAGE)
    # Without a page asked for, the latest events: a verifier opens the page to see where the unit stands.
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    referrals = list(Referral.objects.filter(portfolio=portfolio).select_related("referred_by").order_by("created_at"))
    referral_times = [r.created_at for r in referrals]
    for event in page:
        _describe(event, referral_times)
    rounds_on_page = {event.round for event in page}  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/history.html",
        {
            "portfolio": portfolio,
            "page": page,
            "signatures": Signature.objects.filter(portfolio=portfolio)
            .select_related("withdrawn_by")
            .order_by("round", "signed_at"),
            "referrals": [r for r in referrals if r.round in rounds_on_page],
        },
    )
