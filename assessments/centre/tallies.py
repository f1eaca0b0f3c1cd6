"""A centre's registration totals for the admin's dashboard (current, complete, unassigned): kept in RegistrationTally
by the database's triggers as portfolios are written (migration assessments 0020), and counted from the portfolios
themselves here, to check the tallies and to put them right if rows were ever written past the triggers (a
TRUNCATE, a restore of the rows alone, replica mode). With people's tallies of memberships (people.tallies), these
are the centre's tallies: `manage.py tallies_recount`, run daily by `manage.py maintenance`, puts both right."""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.db.models import Count, Q

from assessments.models import Portfolio, PortfolioStatus, RegistrationTally
from people.tallies import membership_tallies_differing, membership_tallies_recount, tally_lock

TOTALS = ("current", "complete", "unassigned")
NO_TOTALS = dict.fromkeys(TOTALS, 0)

# What each total counts: the rule the triggers of 0020 keep, in the ORM's words.
_CURRENT = ~Q(status=PortfolioStatus.WITHDRAWN)
_COUNTS = {
    "current": Count("pk", filter=_CURRENT),
    "complete": Count("pk", filter=Q(status=PortfolioStatus.COMPLETE)),
    "unassigned": Count("pk", filter=_CURRENT & (Q(assessor__isnull=True) | Q(iv__isnull=True))),
}


def registration_totals(centre_id: int) -> dict[str, int]:
    """The centre's totals as its tally has them (one row; none yet is none registered)."""
    row = RegistrationTally.objects.filter(centre_id=centre_id).values(*TOTALS).first()
    return row or dict(NO_TOTALS)


def registration_counts(*, centre_ids: Collection[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """Each centre's totals counted from its portfolios; a centre with none counted is no entry."""
    rows = Portfolio.objects.all()
    if centre_ids is not None:
        rows = rows.filter(centre_id__in=centre_ids)
    counted = rows.values("centre").annotate(**_COUNTS).order_by()
    found = {row["centre"]: tuple(row[name] for name in TOTALS) for row in counted}
    return {centre: totals for centre, totals in found.items() if any(totals)}


def registration_tallied(*, centre_ids: Collection[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """The same, as the tallies have it."""
    rows = RegistrationTally.objects.exclude(current=0, complete=0, unassigned=0)
    if centre_ids is not None:
        rows = rows.filter(centre_id__in=centre_ids)
    return {centre: tuple(totals) for centre, *totals in rows.values_list("centre", *TOTALS)}


def registration_tallies_differing(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """The centres whose tally is not what counting their portfolios gives."""
    counted, tallied = registration_counts(centre_ids=centre_ids), registration_tallied(centre_ids=centre_ids)
    return {centre for centre in counted.keys() | tallied.keys() if counted.get(centre) != tallied.get(centre)}


@transaction.atomic
def registration_tallies_recount(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """Put right every centre's tally (or those of `centre_ids`) that differs from a count of its portfolios, in one
    transaction. Returns the centres that were wrong."""
    tally_lock(RegistrationTally)
    wrong = registration_tallies_differing(centre_ids=centre_ids)
    if wrong:
        RegistrationTally.objects.filter(centre_id__in=wrong).delete()
        RegistrationTally.objects.bulk_create(
            RegistrationTally(centre_id=centre, **dict(zip(TOTALS, totals, strict=True)))
            for centre, totals in registration_counts(centre_ids=wrong).items()
        )
    return wrong


def centre_tallies_differing(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """The centres with a tally (of people or of registrations) that differs from a count of the rows."""
    return membership_tallies_differing(centre_ids=centre_ids) | registration_tallies_differing(centre_ids=centre_ids)


def centre_tallies_recount(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """Put right the centres' tallies of people and of registrations. Each table in its own transaction: they count
    different rows, and holding both at once could deadlock with a writer that had moved one and waits for the
    other. Returns the centres that were wrong."""
    return membership_tallies_recount(centre_ids=centre_ids) | registration_tallies_recount(centre_ids=centre_ids)
