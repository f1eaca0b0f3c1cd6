"""The centres' tallies kept by the database's triggers (people 0006, assessments 0020): after every kind of write to
registrations and memberships, through the services, the ORM's bulk writes and raw SQL, each tally equals a count
of the rows; what was written past the triggers is found and put right by the recount; and the admin's dashboard
shows the tallies in the same queries whatever the size of the centre."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.centre.tallies import (
    centre_tallies_differing,
    centre_tallies_recount,
    registration_totals,
)
from assessments.models import Portfolio, PortfolioStatus, RegistrationTally
from people.models import Membership, MembershipTally, Role
from people.services import member_deactivate, member_reactivate
from tests.factories import CentreFactory, PortfolioFactory, UserFactory, member
from tests.tamper import raw_sql
from units.models import UnitCode

pytestmark = pytest.mark.django_db

W, C, IP = PortfolioStatus.WITHDRAWN, PortfolioStatus.COMPLETE, PortfolioStatus.IN_PROGRESS


def totals(centre) -> tuple[int, int, int]:
    """(current, complete, unassigned) as the tally has them, after checking every tally against a count."""
    assert centre_tallies_differing() == set()
    found = registration_totals(centre.pk)
    return found["current"], found["complete"], found["unassigned"]


def people(centre) -> dict[str, int]:
    assert centre_tallies_differing() == set()
    return {role: n for role, n in MembershipTally.objects.filter(centre=centre).values_list("role", "active") if n}


# Registrations ----------------------------------------------------------------------------------------------------


def test_a_registration_counts_once_made_through_the_service_or_the_orm(world):
    assert totals(world.centre) == (1, 0, 0)
    learner = member(world.centre, Role.LEARNER)
    services.portfolio_register(
        actor=world.admin,
        centre=world.centre,
        learner=learner,
        unit_code=UnitCode.objects.get(awarding_body__code="CG"),
        learner_number="CG-0002",
        start_date=world.portfolio.start_date,
        planned_end_date=world.portfolio.planned_end_date,
        assessor=world.assessor,
    )
    assert totals(world.centre) == (2, 0, 1)  # no IV yet
    PortfolioFactory(centre=world.centre, status=W)
    PortfolioFactory(centre=world.centre, status=C, assessor=world.assessor, iv=world.iv)
    assert totals(world.centre) == (3, 1, 1)
    assert totals(world.other_centre) == (0, 0, 0)


def test_withdrawing_and_completing_move_the_totals_and_moving_back_restores_them(world):
    portfolio = world.portfolio
    portfolio.iv = None
    portfolio.save()
    assert totals(world.centre) == (1, 0, 1)
    moves = [(W, (0, 0, 0)), (IP, (1, 0, 1)), (C, (1, 1, 1)), (W, (0, 0, 0)), (C, (1, 1, 1)), (IP, (1, 0, 1))]
    for status, expected in moves:
        portfolio.status = status
        portfolio.save(update_fields=["status"])
        assert totals(world.centre) == expected, status
    portfolio.status = PortfolioStatus.SUBMITTED  # one current status to another: no total moves
    portfolio.save()
    assert totals(world.centre) == (1, 0, 1)


def test_assigning_and_unassigning_the_assessor_and_the_iv(world):
    other_assessor = member(world.centre, Role.ASSESSOR)
    steps = [
        (None, world.iv, (1, 0, 1)),
        (None, None, (1, 0, 1)),
        (other_assessor, None, (1, 0, 1)),
        (other_assessor, world.iv, (1, 0, 0)),
        (world.assessor, world.iv, (1, 0, 0)),
    ]
    for assessor, iv, expected in steps:
        services.portfolio_assign(actor=world.admin, portfolio=world.portfolio, assessor=assessor, iv=iv)
        assert totals(world.centre) == expected, (assessor, iv)
    # A withdrawn registration without an IV needs none.
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=W, iv=None)
    assert totals(world.centre) == (0, 0, 0)


def test_moving_a_registration_to_another_centre_moves_its_totals(world):
    world.portfolio.iv = None
    world.portfolio.save()
    Portfolio.objects.filter(pk=world.portfolio.pk).update(centre=world.other_centre)
    assert totals(world.centre) == (0, 0, 0)
    assert totals(world.other_centre) == (1, 0, 1)
    Portfolio.objects.filter(pk=world.portfolio.pk).update(centre=world.centre, status=C)
    assert totals(world.centre) == (1, 1, 1)
    assert totals(world.other_centre) == (0, 0, 0)


def test_deleting_registrations_one_or_in_bulk_takes_them_away(world):
    extra = [PortfolioFactory(centre=world.centre, status=status) for status in (IP, C, W)]
    assert totals(world.centre) == (3, 1, 2)
    extra[0].delete()
    assert totals(world.centre) == (2, 1, 1)
    Portfolio.objects.filter(pk__in=[p.pk for p in extra[1:]]).delete()
    assert totals(world.centre) == (1, 0, 0)


def test_bulk_create_and_bulk_update_across_centres(world):
    learners = [UserFactory() for _ in range(6)]
    Portfolio.objects.bulk_create(
        Portfolio(
            learner=learner,
            centre=world.centre if n % 2 else world.other_centre,
            unit=world.portfolio.unit,
            awarding_body=world.portfolio.awarding_body,
            assessor=world.assessor if n % 3 else None,
            learner_number=f"B{n}",
            start_date=world.portfolio.start_date,
            planned_end_date=world.portfolio.planned_end_date,
            status=C if n == 5 else IP,
        )
        for n, learner in enumerate(learners)
    )
    assert totals(world.centre) == (4, 1, 3)
    assert totals(world.other_centre) == (3, 0, 3)
    Portfolio.objects.update(iv=world.iv)  # every centre in one statement
    assert totals(world.centre) == (4, 1, 1)  # one still without an assessor
    assert totals(world.other_centre) == (3, 0, 1)
    Portfolio.objects.filter(centre=world.other_centre).update(status=W)
    assert totals(world.other_centre) == (0, 0, 0)
    Portfolio.objects.filter(status=C).update(status=IP, assessor=world.assessor)
    assert totals(world.centre) == (4, 0, 1)


def test_a_write_that_moves_no_total_writes_no_tally(world):
    RegistrationTally.objects.filter(centre=world.centre).delete()  # no row: any write would make one
    Portfolio.objects.filter(pk=world.portfolio.pk).update(evidence_counter=5, status=PortfolioStatus.SUBMITTED)
    world.portfolio.refresh_from_db()
    world.portfolio.round = 2
    world.portfolio.save()
    assert not RegistrationTally.objects.filter(centre=world.centre).exists()
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=C)
    assert RegistrationTally.objects.get(centre=world.centre).complete == 1  # a write that moves one does


# Memberships ------------------------------------------------------------------------------------------------------


def test_memberships_by_role_through_deactivating_reactivating_changing_role_and_deleting(world):
    assert people(world.centre) == {Role.LEARNER: 1, Role.ASSESSOR: 1, Role.IV: 1, Role.ADMIN: 1}
    assert people(world.other_centre) == {Role.ADMIN: 1}
    second = member(world.centre, Role.LEARNER)
    member(world.centre, Role.LEARNER, is_active=False)
    assert people(world.centre)[Role.LEARNER] == 2
    member_deactivate(actor=world.admin, centre=world.centre, user=second)
    assert people(world.centre)[Role.LEARNER] == 1
    member_reactivate(actor=world.admin, centre=world.centre, user=second)
    assert people(world.centre)[Role.LEARNER] == 2
    membership = Membership.objects.get(user=second, centre=world.centre)
    membership.role = Role.ADMIN
    membership.save()
    assert people(world.centre) == {Role.LEARNER: 1, Role.ASSESSOR: 1, Role.IV: 1, Role.ADMIN: 2}
    membership.centre = world.other_centre
    membership.save()
    assert people(world.centre)[Role.ADMIN] == 1
    assert people(world.other_centre) == {Role.ADMIN: 2}
    membership.delete()
    assert people(world.other_centre) == {Role.ADMIN: 1}
    Membership.objects.filter(centre=world.centre).update(is_active=False)
    assert people(world.centre) == {}
    Membership.objects.filter(centre=world.centre, role=Role.IV).update(is_active=True)
    assert people(world.centre) == {Role.IV: 1}


def test_deleting_a_person_takes_their_memberships_away_and_bulk_create_adds_them(world):
    someone = member(world.centre, Role.ASSESSOR)
    assert people(world.centre)[Role.ASSESSOR] == 2
    someone.delete()  # their membership goes with them (CASCADE)
    assert people(world.centre)[Role.ASSESSOR] == 1
    Membership.objects.bulk_create(
        Membership(user=UserFactory(), centre=centre, role=Role.LEARNER)
        for centre in (world.centre, world.centre, world.other_centre)
    )
    assert people(world.centre)[Role.LEARNER] == 3
    assert people(world.other_centre)[Role.LEARNER] == 1


# Put right --------------------------------------------------------------------------------------------------------


def test_tallies_emptied_or_rows_written_past_the_triggers_are_found_and_put_right(world):
    learner = member(world.centre, Role.LEARNER)
    RegistrationTally.objects.all().delete()  # as a TRUNCATE of the tally would
    raw_sql(
        "UPDATE people_membership SET is_active = %s WHERE centre_id = %s AND role = %s",
        [False, world.centre.pk, Role.ASSESSOR],
        "people_membership",
    )
    assert centre_tallies_differing() == {world.centre.pk}
    assert centre_tallies_recount(centre_ids=[world.other_centre.pk]) == set()  # only the centres asked
    assert centre_tallies_recount() == {world.centre.pk}
    assert centre_tallies_differing() == set()
    assert registration_totals(world.centre.pk) == {"current": 1, "complete": 0, "unassigned": 0}
    assert people(world.centre) == {Role.LEARNER: 2, Role.IV: 1, Role.ADMIN: 1}
    # The triggers go on from the recounted tallies (SQLite's on memberships are gone until the test rolls back).
    PortfolioFactory(centre=world.centre, learner=learner, iv=None)
    assert totals(world.centre) == (2, 0, 1)


def test_the_command_names_the_centres_put_right_and_maintenance_runs_it(world, capsys):
    MembershipTally.objects.filter(centre=world.other_centre).update(active=7)
    call_command("tallies_recount")
    assert "Put right the tallies of 1 centre(s) that differed from a count: Southbank College (52002)." in (
        capsys.readouterr().out
    )
    call_command("tallies_recount")
    assert "Every centre's tallies matched a count of its rows." in capsys.readouterr().out
    from portfolio.management.commands.maintenance import steps

    assert "tallies_recount" in [name for name, _ in steps()]


def test_the_migration_writes_the_tallies_of_the_rows_already_there(world):
    PortfolioFactory(centre=world.other_centre, status=C, iv=None)
    RegistrationTally.objects.all().delete()
    MembershipTally.objects.all().delete()
    for app, name in [("people", "0006_membership_tallies"), ("assessments", "0020_registration_tallies")]:
        fill = importlib.import_module(f"{app}.migrations.{name}").TALLY.fill
        with connection.cursor() as cursor:
            cursor.execute(fill)
    assert centre_tallies_differing() == set()
    assert totals(world.other_centre) == (1, 1, 1)
    assert people(world.other_centre) == {Role.ADMIN: 1, Role.LEARNER: 1}


def test_the_triggers_are_there_for_both_tables(db):
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE %s"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, ["%_tally_%"])
        names = {name for (name,) in cursor.fetchall()}
    assert names == {
        f"{table}_tally_{event}"
        for table in ("people_membership", "assessments_portfolio")
        for event in ("insert", "update", "delete")
    }


# The admin's dashboard --------------------------------------------------------------------------------------------


def _dashboard(client) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries), response


def test_the_admin_dashboard_shows_the_tallies_in_the_same_queries_at_a_larger_centre(client, world):
    client.force_login(world.admin)
    client.get(reverse("home"))  # settle the session first
    small, response = _dashboard(client)
    assert response.context["totals"] == {"current": 1, "complete": 0, "unassigned": 0}

    learners = [UserFactory() for _ in range(60)]
    Membership.objects.bulk_create(Membership(user=u, centre=world.centre, role=Role.LEARNER) for u in learners)
    Portfolio.objects.bulk_create(
        Portfolio(
            learner=learner,
            centre=world.centre,
            unit=world.portfolio.unit,
            awarding_body=world.portfolio.awarding_body,
            assessor=world.assessor,
            iv=None if n % 4 == 0 else world.iv,
            learner_number=f"B{n}",
            start_date=world.portfolio.start_date,
            planned_end_date=world.portfolio.planned_end_date,
            status=[IP, C, W][n % 3],
        )
        for n, learner in enumerate(learners)
    )
    large, response = _dashboard(client)

    assert large == small
    # 60 more: 20 withdrawn, 20 complete; of the 40 current, those without an IV (n % 4 == 0, n % 3 != 2): 10.
    assert response.context["totals"] == {"current": 41, "complete": 20, "unassigned": 10}
    assert dict(response.context["people_counts"])[Role.LEARNER] == 61
    text = " ".join(response.content.decode().split())
    assert "41 current registrations, 20 complete." in text
    assert "10 need an assessor or IV" in text


def test_a_new_centre_with_no_tally_yet_shows_zeros(client, world):
    centre = CentreFactory()
    admin = member(centre, Role.ADMIN)
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert response.context["totals"] == {"current": 0, "complete": 0, "unassigned": 0}
    assert dict(response.context["people_counts"]) == {Role.LEARNER: 0, Role.ASSESSOR: 0, Role.IV: 0, Role.ADMIN: 1}
