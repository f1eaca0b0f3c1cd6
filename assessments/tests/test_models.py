"""The database itself refuses registrations that break the rules, whatever writes them."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from people.models import Role
from tests.factories import PortfolioFactory, member


def test_an_iv_cannot_be_the_assessor_of_the_same_portfolio(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.assessor)


def test_a_learner_cannot_assess_their_own_portfolio(world):
    learner = member(world.centre, Role.LEARNER)
    with pytest.raises(IntegrityError), transaction.atomic():
        PortfolioFactory(centre=world.centre, learner=learner, assessor=learner)


def test_planned_end_cannot_precede_start(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortfolioFactory(
            centre=world.centre,
            start_date=datetime.date(2026, 11, 23),
            planned_end_date=datetime.date(2026, 11, 22),
        )


def test_one_registration_per_learner_unit_and_centre(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortfolioFactory(centre=world.centre, learner=world.learner)


def test_city_and_guilds_portfolio_knows_its_unit_number(world):
    assert world.portfolio.unit_code.code == "220"
