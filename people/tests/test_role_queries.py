"""What every signed-in request pays before its view: the session, the user and the viewer's roles, the roles in
one query whatever their number, and still read from the database on each request (a role taken away stops
working at once)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from people.models import ExternalVerifier, Membership, Qualification, Role
from people.roles import roles_for
from tests.factories import CentreFactory, MembershipFactory
from units.models import AwardingBody


def _queries(client: Client, url: str) -> list[str]:
    client.get(url)  # the first request may write the chosen role into the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def _add_roles(user, count: int) -> None:
    for n in range(count):
        MembershipFactory(user=user, centre=CentreFactory(name=f"Extra Centre {n}"), role=Role.LEARNER)


@pytest.mark.parametrize("url_name", ["portfolio_detail", "evidence_list"])
def test_a_portfolio_page_reads_the_same_queries_with_one_role_or_many(world, url_name):
    url = reverse(url_name, args=[world.portfolio.pk])
    client = Client()
    client.force_login(world.assessor)
    one = _queries(client, url)
    _add_roles(world.assessor, 4)
    many = _queries(client, url)
    assert len(many) == len(one)
    # The roles, centre ones and EV ones alike, are one query.
    assert sum("people_membership" in sql and "people_externalverifier" in sql for sql in many) == 1
    assert not [sql for sql in many if "people_externalverifier" in sql and "people_membership" not in sql]


def test_an_ev_role_adds_no_query_for_the_roles(world):
    # Holding an EV role as well costs the access check its own look-ups for it (allocation, visit), not another
    # read of the roles.
    client = Client()
    client.force_login(world.assessor)
    ExternalVerifier.objects.create(user=world.assessor, awarding_body=AwardingBody.objects.get(code="CG"))
    sql = _queries(client, reverse("portfolio_detail", args=[world.portfolio.pk]))
    assert sum("people_membership" in q or 'FROM "people_externalverifier"' in q for q in sql) == 1


def test_a_signed_in_page_reads_its_session_once_and_its_user_with_their_roles_in_one_query(world):
    client = Client()
    client.force_login(world.learner)
    sql = _queries(client, reverse("portfolio_detail", args=[world.portfolio.pk]))
    assert sum('FROM "django_session"' in q for q in sql) == 1
    user_columns = [q for q in sql if 'FROM "people_user"' in q and '"password"' in q]
    assert len(user_columns) == 1
    assert "people_membership" in user_columns[0] and "people_externalverifier" in user_columns[0]
    assert sum("people_membership" in q and "people_externalverifier" in q for q in sql) == 1


def test_a_user_read_with_their_roles_has_exactly_the_roles_read_on_their_own(world):
    from people.roles import roles_read_with, user_with_roles

    MembershipFactory(user=world.assessor, centre=world.other_centre, role=Role.IV)
    ExternalVerifier.objects.create(user=world.assessor, awarding_body=AwardingBody.objects.get(code="CG"))
    user = user_with_roles(world.assessor.pk)
    assert user == world.assessor
    assert [r.key for r in roles_read_with(user)] == [r.key for r in roles_for(world.assessor)]
    assert len(roles_read_with(user)) == 3
    nobody = user_with_roles(world.learner.pk)
    assert [r.role for r in roles_read_with(nobody)] == [Role.LEARNER]
    Membership.objects.filter(user=world.learner).delete()
    assert roles_read_with(user_with_roles(world.learner.pk)) == []
    # A user read some other way has none: their roles are read when asked.
    assert roles_read_with(world.assessor) is None


def test_roles_come_centre_roles_first_by_centre_name_then_role_then_ev_roles(world):
    user = world.assessor
    MembershipFactory(user=user, centre=CentreFactory(name="Aardvark College"), role=Role.IV)
    MembershipFactory(user=user, centre=world.centre, role=Role.ADMIN)
    ev = ExternalVerifier.objects.create(user=user, awarding_body=AwardingBody.objects.get(code="CG"))
    roles = roles_for(user)
    assert [(r.role, r.centre.name if r.centre else None) for r in roles] == [
        (Role.IV, "Aardvark College"),
        (Role.ADMIN, "Northgate Training"),
        (Role.ASSESSOR, "Northgate Training"),
        (Role.EV, None),
    ]
    assert [r.key for r in roles][-1] == f"ev{ev.pk}"
    # The instances are whole and typed as the ORM would give them (booleans, aware datetimes, the related rows).
    assessor = roles[2].membership
    assert assessor == Membership.objects.get(user=user, role=Role.ASSESSOR)
    assert assessor.is_active is True and assessor.created_at == Membership.objects.get(pk=assessor.pk).created_at
    assert assessor.qualification == Qualification.QUALIFIED and not roles[2].is_qualifying
    assert roles[2].centre == world.centre and roles[2].centre.is_active is True
    assert roles[3].external_verifier == ev and roles[3].external_verifier.is_active is True
    assert roles[3].label == f"External verifier for {ev.awarding_body.name}"
    with CaptureQueriesContext(connection) as ctx:
        [r.label for r in roles]
    assert not ctx.captured_queries


def test_inactive_roles_and_roles_at_inactive_centres_are_left_out(world):
    user = world.assessor
    closed = CentreFactory(name="Closed Centre", is_active=False)
    MembershipFactory(user=user, centre=closed, role=Role.ADMIN)
    MembershipFactory(user=user, centre=world.other_centre, role=Role.ADMIN, is_active=False)
    ExternalVerifier.objects.create(user=user, awarding_body=AwardingBody.objects.get(code="CG"), is_active=False)
    assert [(r.role, r.centre) for r in roles_for(user)] == [(Role.ASSESSOR, world.centre)]
    # Someone else's roles are not read.
    assert [r.role for r in roles_for(world.ev)] == [Role.EV]


def test_a_role_taken_away_stops_working_on_the_next_request(world):
    client = Client()
    client.force_login(world.assessor)
    url = reverse("portfolio_detail", args=[world.portfolio.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=world.assessor).update(is_active=False)
    assert client.get(url).status_code == 404
