"""The name, email and learner number searches of the registrations list and the cohort page: what they find, that
their queries do not grow with the centre, and (on PostgreSQL) that they read off the trigram indexes of migrations
people 0003 and assessments 0018 rather than scanning every person."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.centre import views
from assessments.models import Portfolio
from assessments.tests.qualifications import made_qualification
from people.models import Role, User
from people.search import name_or_email
from tests.factories import PortfolioFactory, member


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


@pytest.fixture
def omar(world):
    learner = member(world.centre, Role.LEARNER, user__full_name="Omar Okafor", user__email="o.okafor@example.org")
    PortfolioFactory(centre=world.centre, learner=learner, learner_number="OK-0042")
    return learner


def listed(client, **params) -> list[str]:
    response = client.get(reverse("centre_portfolios"), params)
    assert response.status_code == 200
    return sorted(p.learner_number for p in response.context["page"])


@pytest.mark.parametrize("text", ["omar oka", "OKAFOR", "o.okafor@EXAMPLE", "ok-0042", "0042"])
def test_the_learner_search_finds_a_registration_by_name_email_or_number_in_any_case(admin_client, omar, text):
    assert listed(admin_client, q=text) == ["OK-0042"]


def test_a_search_many_people_match_finds_the_same_registrations(admin_client, world, omar, monkeypatch):
    # Beyond LEARNERS_FOUND people the text is matched row by row instead of through the people found first.
    PortfolioFactory(centre=world.centre, learner_number="NO-MATCH-1")
    PortfolioFactory(centre=world.other_centre, learner=omar, learner_number="ELSEWHERE-1")
    narrow = listed(admin_client, q="o")
    monkeypatch.setattr(views, "LEARNERS_FOUND", 1)

    assert User.objects.filter(name_or_email("o")).count() > 1
    assert listed(admin_client, q="o") == narrow
    assert "OK-0042" in narrow and "ELSEWHERE-1" not in narrow
    assert listed(admin_client, q="okafor") == ["OK-0042"]


def test_the_searches_make_the_same_queries_at_a_centre_ten_times_larger(admin_client, world, omar):
    def queries(url: str, params: dict) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        assessor = member(world.centre, Role.ASSESSOR)
        for _ in range(n):
            PortfolioFactory(centre=world.centre, assessor=assessor, learner=member(world.centre, Role.LEARNER))

    registrations = reverse("centre_portfolios")
    searches = [
        (registrations, {"q": "okafor"}),
        (registrations, {"q": "ok-0042"}),
        (registrations, {"assessor": world.assessor.full_name[:4]}),
    ]
    admin_client.get(registrations)  # settle the session first
    add(3)
    few = [queries(url, params) for url, params in searches]
    add(30)
    assert [queries(url, params) for url, params in searches] == few


def test_the_cohort_pages_learners_make_the_same_queries_searched_or_not_at_a_larger_centre(
    admin_client, world, omar, unit, second_unit, third_unit
):
    url = reverse("centre_qualification_register", args=[made_qualification().pk])

    def queries(params: dict) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url, params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    admin_client.get(url)  # settle the session first
    few = [queries({}), queries({"q": "okafor"})]
    found = admin_client.get(url, {"q": "OKAFOR"}).content.decode()
    for _ in range(30):
        member(world.centre, Role.LEARNER)

    assert [queries({}), queries({"q": "okafor"})] == few
    assert found.count('name="learners"') == 1 and "Omar Okafor" in found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_on_postgresql_the_searches_read_off_the_trigram_indexes(world, omar):
    # A test database is small enough for a scan to be cheaper, so scans are turned off for the plan: what is
    # checked is that the indexes match the expressions Django writes, so the planner can use them at all.
    # Plain index scans are off too: with scans off the planner may otherwise walk another b-tree whole and filter
    # (GIN indexes are read by bitmap scans only, which stay on).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    people = User.objects.filter(name_or_email("okafor")).order_by().explain()
    numbers = Portfolio.objects.filter(learner_number__icontains="ok-00").order_by().explain()

    assert "people_user_full_name_trgm" in people and "people_user_email_trgm" in people
    assert "portfolio_learner_number_trgm" in numbers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_on_postgresql_people_in_name_order_are_read_off_an_index(world):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "user_name_order" in User.objects.order_by("full_name", "email")[:50].explain()
