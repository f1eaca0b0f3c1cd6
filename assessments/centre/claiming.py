"""The claim list: completed units the centre has not yet claimed a certificate for, with the identifiers the
awarding body asks for, and the writes that fill those identifiers in and mark units claimed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus, RecordCode
from assessments.models.portfolio import validate_uln
from assessments.models.records import format_record_code
from audit.services import audit_log
from people.models import Centre, Role, User

HEADER = [
    "Learner",
    "Unique learner number",
    "Enrolment number",
    "Awarding body",
    "Unit number",
    "Unit title",
    "Completed",
    "Record code",
]


@dataclass
class Claim:
    portfolio: Portfolio
    completed: datetime.date | None
    record_code: str

    def cells(self) -> list[str]:
        p = self.portfolio
        code = p.unit_code
        return [
            p.learner.full_name,
            p.uln,
            p.enrolment_number,
            p.awarding_body.name,
            code.code if code else "",
            p.unit.title,
            self.completed.strftime("%d/%m/%Y") if self.completed else "",
            self.record_code,
        ]

    @property
    def missing(self) -> list[str]:
        """What the awarding body will ask for that the centre has not entered yet."""
        p = self.portfolio
        return [label for label, value in (("ULN", p.uln), ("enrolment number", p.enrolment_number)) if not value]


def unclaimed(centre: Centre) -> QuerySet[Portfolio]:
    return (
        Portfolio.objects.filter(centre=centre, status=PortfolioStatus.COMPLETE, claimed_at__isnull=True)
        .with_people()
        .prefetch_related("unit__codes")
        .annotate(
            # Complete on the last signature the chain needed: the newest one standing.
            completed_at=Max("signatures__signed_at", filter=Q(signatures__withdrawn_at__isnull=True)),
            record=Subquery(
                RecordCode.objects.filter(portfolio=OuterRef("pk"), round=OuterRef("round")).values("code")[:1]
            ),
        )
        .order_by("learner__full_name", "unit__title", "pk")
    )


def claims_for(centre: Centre) -> list[Claim]:
    return [
        Claim(
            portfolio=p,
            completed=timezone.localtime(p.completed_at).date() if p.completed_at else None,
            record_code=format_record_code(p.record) if p.record else "",
        )
        for p in unclaimed(centre)
    ]


class IdentifiersForm(forms.Form):
    uln = forms.CharField(
        label="Unique learner number (ULN)",
        # Room for the spaces a ULN is often copied with; the service takes them out and checks the 10 digits.
        max_length=20,
        required=False,
        help_text="10 digits; leave empty if not known yet.",
    )
    enrolment_number = forms.CharField(label="Awarding body's enrolment number", max_length=30, required=False)


def cleaned_uln(value: str) -> str:
    """The ULN without the spaces it is often copied with, checked; empty stays empty (not known yet)."""
    uln = "".join(value.split())
    if uln:
        try:
            validate_uln(uln)
        except ValidationError as exc:
            raise ValidationError({"uln": exc.messages}) from exc
    return uln


@transaction.atomic
def portfolio_identifiers_set(*, actor: User, portfolio: Portfolio, uln: str, enrolment_number: str) -> Portfolio:
    """Record the learner's ULN and the awarding body's enrolment number on their registration."""
    portfolio = Portfolio.objects.select_for_update().select_related("learner", "centre").get(pk=portfolio.pk)
    uln, enrolment_number = cleaned_uln(uln), enrolment_number.strip()
    before = {"uln": portfolio.uln, "enrolment_number": portfolio.enrolment_number}
    after = {"uln": uln, "enrolment_number": enrolment_number}
    if before == after:
        return portfolio
    portfolio.uln, portfolio.enrolment_number = uln, enrolment_number
    portfolio.save(update_fields=["uln", "enrolment_number"])
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=portfolio.centre,
        action="portfolio.identifiers_changed",
        target=portfolio,
        summary=f"{portfolio.learner.full_name}: ULN and enrolment number",
        data={"before": before, "after": after},
    )
    return portfolio


@transaction.atomic
def portfolios_claim(*, actor: User, centre: Centre, portfolio_ids: Iterable[int]) -> int:
    """Mark completed units of the centre as claimed; anything not complete, claimed already or of another centre
    is left as it is. Returns how many were marked."""
    now = timezone.now()
    portfolios = list(
        Portfolio.objects.select_for_update()
        .filter(pk__in=list(portfolio_ids), centre=centre, status=PortfolioStatus.COMPLETE, claimed_at__isnull=True)
        .select_related("learner", "unit")
        .order_by("pk")
    )
    for portfolio in portfolios:
        portfolio.claimed_at = now
        portfolio.save(update_fields=["claimed_at"])
        audit_log(
            actor=actor,
            actor_role=Role.ADMIN,
            centre=centre,
            action="portfolio.claimed",
            target=portfolio,
            portfolio=portfolio,
            summary=f"{portfolio.learner.full_name}: {portfolio.unit.title} claimed",
        )
    return len(portfolios)
