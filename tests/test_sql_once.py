"""Queries built by the ORM once per process (assessments/judgement/sql_once.py): the same rows and objects as the
ORM gives, for each request's values, in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from assessments.models import Evidence
from assessments.tests.test_evidence_views import add
from portfolio.sql_once import SqlOnce
from units.models import Criterion


def _criteria(unit):
    return (
        Criterion.objects.filter(outcome__unit_id=unit).select_related("outcome").order_by("outcome__number", "number")
    )


def test_objects_are_the_orms_with_their_joined_objects_in_one_query(world):
    once = SqlOnce(_criteria, "unit")
    expected = list(_criteria(world.portfolio.unit_id))
    for _ in range(2):  # the first call builds the SQL, the second reuses it
        with CaptureQueriesContext(connection) as queries:
            got = once.objects(unit=world.portfolio.unit_id)
            outcomes = [c.outcome for c in got]  # read with the criteria, not a query each
        assert len(queries) == 1
        assert got == expected and len(got) > 3
        assert [c.__dict__.keys() for c in got] == [c.__dict__.keys() for c in expected]
        assert [(c.text, c.workbook_text, o.number, o.kind) for c, o in zip(got, outcomes, strict=True)] == [
            (c.text, c.workbook_text, c.outcome.number, c.outcome.kind) for c in expected
        ]
    assert once.objects(unit=world.portfolio.unit_id + 1000) == []  # another value, the same SQL


def test_rows_come_in_the_order_values_list_names_them_with_their_fields_converted(world):
    add(world, criteria=["2.1"], days_ago=3)
    add(world, criteria=["2.2"], days_ago=10)

    def items(portfolio):
        # Named out of the SQL's order (the annotation first), and a date SQLite stores as text.
        return (
            Evidence.objects.filter(portfolio_id=portfolio)
            .annotate(twice=F("number") * 2)
            .order_by("number")
            .values_list("twice", "activity_date", "pk")
        )

    once = SqlOnce(items, "portfolio")
    assert once.rows(portfolio=world.portfolio.pk) == list(items(world.portfolio.pk))
    assert once.rows(portfolio=world.portfolio.pk)[0][0] == 2


def test_a_value_the_query_does_not_take_is_refused(world):
    once = SqlOnce(lambda unit: Criterion.objects.filter(outcome__unit_id=3), "unit")
    with pytest.raises(AssertionError):
        once.objects(unit=world.portfolio.unit_id)
