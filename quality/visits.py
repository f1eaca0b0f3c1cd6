"""Which EV visits are open today. A visit opens on its first day and ends by itself after its last day
(Europe/London dates); a cancelled visit is closed. Every access check goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from quality.models import EVVisit


def today() -> datetime.date:
    return timezone.localdate()


def open_visits(*, on: datetime.date | None = None) -> QuerySet[EVVisit]:
    day = on or today()
    return EVVisit.objects.filter(cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day)


def is_open(visit: EVVisit, *, on: datetime.date | None = None) -> bool:
    day = on or today()
    return visit.cancelled_at is None and visit.starts_on <= day <= visit.ends_on


def visited_centre_ids(*, external_verifier_ids: Iterable[int]) -> QuerySet:
    """Centres where one of these EVs is on an open visit today."""
    ids = list(external_verifier_ids)
    return open_visits().filter(external_verifier_id__in=ids).values_list("centre_id", flat=True)


def visit_reaches(*, external_verifier_id: int, portfolio_id: int) -> bool:
    """Whether an open visit by this EV has the portfolio in its sample."""
    return open_visits().filter(external_verifier_id=external_verifier_id, sample__id=portfolio_id).exists()


def visit_reaches_user(*, user_id: int, portfolio_id: int) -> bool:
    return open_visits().filter(external_verifier__user_id=user_id, sample__id=portfolio_id).exists()
