"""The portfolio with its people, read by SQL built once (portfolio/sql_once.py): the same objects the ORM gives,
in one query, None when there is no such portfolio."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.access import _WITH_PEOPLE
from assessments.models import Portfolio
from tests.factories import PortfolioFactory

RELATED = ["learner", "assessor", "iv", "unit", "centre", "awarding_body"]


def _fields(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if k != "_state"}


def _assert_same(prepared: Portfolio, orm: Portfolio) -> None:
    assert _fields(prepared) == _fields(orm)
    assert type(prepared) is Portfolio and not prepared._state.adding and prepared._state.db == orm._state.db
    assert sorted(prepared._state.fields_cache) == sorted(orm._state.fields_cache) == sorted(RELATED)
    for name in RELATED:
        mine, theirs = prepared._state.fields_cache[name], orm._state.fields_cache[name]
        assert (mine is None) == (theirs is None), name
        if mine is not None:
            assert type(mine) is type(theirs) and _fields(mine) == _fields(theirs), name


def test_the_portfolio_comes_with_its_people_in_one_query_as_the_orm_gives_it(world):
    orm = Portfolio.objects.with_people().get(pk=world.portfolio.pk)
    with CaptureQueriesContext(connection) as ctx:
        prepared = _WITH_PEOPLE.get(world.portfolio.pk)
        [getattr(prepared, name) for name in RELATED]
        prepared.learner.full_name, prepared.unit.title, prepared.centre.name  # noqa: B018
    assert len(ctx.captured_queries) == 1
    _assert_same(prepared, orm)
    assert prepared.created_at == orm.created_at and prepared.created_at.tzinfo is not None


def test_a_portfolio_without_an_assessor_or_iv_has_none_and_another_key_reads_another_row(world):
    other = PortfolioFactory(centre=world.centre, assessor=None, iv=None)
    prepared = _WITH_PEOPLE.get(other.pk)
    assert prepared.pk == other.pk and prepared.assessor is None and prepared.iv is None
    _assert_same(prepared, Portfolio.objects.with_people().get(pk=other.pk))
    assert _WITH_PEOPLE.get(world.portfolio.pk).learner == world.learner


def test_no_such_portfolio_is_none(world):
    assert _WITH_PEOPLE.get(world.portfolio.pk + 1000) is None
