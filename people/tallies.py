"""A centre's active memberships by role: kept in MembershipTally by the database's triggers as memberships are
written (migration people 0006), and counted from the memberships themselves here, to check the tallies and to put
them right if rows were ever written past the triggers (a TRUNCATE, a restore of the rows alone, replica mode).
`manage.py tallies_recount`, run daily by `manage.py maintenance`, does that for every centre."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection, models, transaction
from django.db.models import Count

from people.models import Membership, MembershipTally


def tally_lock(model: type[models.Model]) -> None:
    """Hold the tally table until the transaction ends, so no write's trigger moves a tally between the count and
    the rewrite: a writer that already moved one has committed before the count (its rows are counted), one that
    has not waits until the rewrite is committed and then adds its change to it. Reading stays open.
    SQLite needs nothing: every transaction there takes the one write lock at its start (transaction_mode)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def membership_counts(*, centre_ids: Collection[int] | None = None) -> dict[tuple[int, str], int]:
    """Active memberships by (centre, role), counted from the rows."""
    rows = Membership.objects.filter(is_active=True)
    if centre_ids is not None:
        rows = rows.filter(centre_id__in=centre_ids)
    counted = rows.values("centre", "role").annotate(n=Count("pk")).order_by()
    return {(row["centre"], row["role"]): row["n"] for row in counted}


def membership_tallied(*, centre_ids: Collection[int] | None = None) -> dict[tuple[int, str], int]:
    """The same, as the tallies have it; a tally of 0 is no entry, as in the count."""
    rows = MembershipTally.objects.exclude(active=0)
    if centre_ids is not None:
        rows = rows.filter(centre_id__in=centre_ids)
    return {(centre, role): n for centre, role, n in rows.values_list("centre", "role", "active")}


def membership_tallies_differing(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """The centres whose tally of some role is not the count of its active memberships."""
    counted, tallied = membership_counts(centre_ids=centre_ids), membership_tallied(centre_ids=centre_ids)
    return {
        centre
        for centre, role in counted.keys() | tallied.keys()
        if counted.get((centre, role)) != tallied.get((centre, role))
    }


@transaction.atomic
def membership_tallies_recount(*, centre_ids: Collection[int] | None = None) -> set[int]:
    """Put right every centre's tallies (or those of `centre_ids`) that differ from a count of the memberships, in
    one transaction. Returns the centres that were wrong."""
    tally_lock(MembershipTally)
    wrong = membership_tallies_differing(centre_ids=centre_ids)
    if wrong:
        MembershipTally.objects.filter(centre_id__in=wrong).delete()
        MembershipTally.objects.bulk_create(
            MembershipTally(centre_id=centre, role=role, active=n)
            for (centre, role), n in membership_counts(centre_ids=wrong).items()
        )
    return wrong
