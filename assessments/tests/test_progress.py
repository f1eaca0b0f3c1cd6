"""The progress rule (assessments/judgement/progress.py): a unit's and a qualification's percentage and its status
against the planned end date, at each boundary, and worked out in the same queries for one registration or many."""

from __future__ import annotations

import datetime

import pytest

from assessments.judgement.coverage import Progress
from assessments.judgement.progress import (
    AT_RISK_MARGIN,
    RULE_IN_WORDS,
    Rag,
    _group_slots,
    elapsed_percent,
    qualifications_standing,
    rag,
    unit_percent,
    units_standing,
)
from assessments.models import PortfolioStatus, QualificationRegistration
from assessments.tests.qualifications import made_qualification
from people.models import Role
from tests.factories import PortfolioFactory, member
from units.models import QualificationGroup, QualificationUnit

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 4, 11)  # 100 days after START


def day(n: int) -> datetime.date:
    return START + datetime.timedelta(days=n)


# --- the share of the planned time gone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [(day(-5), 0), (day(0), 0), (day(1), 1), (day(50), 50), (day(99), 99), (day(100), 100), (day(130), 100)],
)
def test_elapsed_share_runs_from_0_on_the_start_to_100_on_the_planned_end(today, expected):
    assert day(100) == END
    assert elapsed_percent(start=START, end=END, today=today) == expected


def test_a_one_day_registration_is_all_gone_on_its_day():
    assert elapsed_percent(start=START, end=START, today=START) == 0
    assert elapsed_percent(start=START, end=START, today=day(1)) == 100


# --- the colour ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "today", "expected"),
    [
        # Half the time gone: half done is on track, one point less at risk, down to the margin.
        (50, day(50), Rag.ON_TRACK),
        (49, day(50), Rag.AT_RISK),
        (50 - AT_RISK_MARGIN, day(50), Rag.AT_RISK),
        (50 - AT_RISK_MARGIN - 1, day(50), Rag.BEHIND),
        # Before the start nothing is expected yet.
        (0, day(-1), Rag.ON_TRACK),
        (0, day(0), Rag.ON_TRACK),
        # On the planned end day, only 100% is on track; the margin still applies that day.
        (100, day(100), Rag.ON_TRACK),
        (99, day(100), Rag.AT_RISK),
        (100 - AT_RISK_MARGIN, day(100), Rag.AT_RISK),
        (100 - AT_RISK_MARGIN - 1, day(100), Rag.BEHIND),
        # The day after it, anything short of 100% is behind.
        (99, day(101), Rag.BEHIND),
        (100, day(101), Rag.ON_TRACK),
    ],
)
def test_the_colour_compares_the_percentage_with_the_time_gone(percent, today, expected):
    assert rag(percent=percent, start=START, end=END, today=today) == expected


def test_the_rule_is_stated_in_words_with_its_numbers():
    assert f"{AT_RISK_MARGIN} percentage points" in RULE_IN_WORDS
    assert "planned end date has passed" in RULE_IN_WORDS
    assert {r.label for r in Rag} == {"On track", "At risk", "Behind"}


# --- a unit's percentage ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("covered", "status", "expected"),
    [
        ((0, 0), PortfolioStatus.IN_PROGRESS, 0),
        ((7, 2), PortfolioStatus.IN_PROGRESS, 50),  # 9 of 18, rounded down
        ((13, 4), PortfolioStatus.IN_PROGRESS, 94),  # 17 of 18 is 94.4
        ((14, 4), PortfolioStatus.SUBMITTED, 99),  # everything evidenced, not yet signed
        ((3, 0), PortfolioStatus.ASSESSOR_SIGNED, 100),
        ((14, 4), PortfolioStatus.COMPLETE, 100),
    ],
)
def test_a_unit_is_its_criteria_and_range_with_evidence_and_100_only_once_signed(covered, status, expected):
    progress = Progress(criteria_covered=covered[0], criteria_total=14, range_covered=covered[1], range_total=4)
    assert unit_percent(progress, status) == expected


def test_a_unit_with_nothing_to_cover_is_at_0():
    assert unit_percent(Progress(), PortfolioStatus.IN_PROGRESS) == 0


def test_a_withdrawn_unit_has_no_colour(world):
    world.portfolio.status = PortfolioStatus.WITHDRAWN
    standing = units_standing([world.portfolio])[world.portfolio.pk]
    assert standing.rag is None and standing.label == "Withdrawn"


# --- a qualification's rules of combination -------------------------------------------------------------------------


def _group(kind="", minimum_units=None, minimum_credits=None, number=1):
    return QualificationGroup(
        number=number, kind=kind, minimum_units=minimum_units, minimum_credits=minimum_credits, title=""
    )


def _units(*numbers_and_credits):
    return [QualificationUnit(number=n, credit_value=c, position=i) for i, (n, c) in enumerate(numbers_and_credits)]


def test_every_mandatory_unit_counts_and_one_not_registered_is_0():
    units = _units(("1", 3), ("2", 3), ("3", 3))
    slots, shortfalls = _group_slots(_group("mandatory"), {"1": (90, 3), "3": (30, 3)}, units)
    assert slots == [90, 0, 30]
    assert shortfalls == ["Mandatory unit 2 not registered."]


def test_an_optional_group_counts_its_best_units_up_to_its_minimum():
    units = _units(("1", 3), ("2", 3), ("3", 3))
    slots, shortfalls = _group_slots(
        _group("optional", minimum_units=2), {"1": (10, 3), "2": (80, 3), "3": (40, 3)}, units
    )
    assert slots == [80, 40] and shortfalls == []
    slots, shortfalls = _group_slots(_group("optional", minimum_units=2), {"3": (40, 3)}, units)
    assert slots == [40, 0]
    assert shortfalls == ["1 more unit needed in group 1."]


def test_an_optional_group_by_credits_takes_units_until_their_credits_reach_the_minimum():
    units = _units(("1", 4), ("2", 3), ("3", 6))
    # 90% of 3 credits, then 20% of 4 credits: 7 credits reach the minimum of 6.
    slots, shortfalls = _group_slots(_group("optional", minimum_credits=6), {"2": (90, 3), "1": (20, 4)}, units)
    assert slots == [90, 20] and shortfalls == []
    # 3 credits registered: 3 more needed, which unit 3 (6 credits) alone would make up.
    slots, shortfalls = _group_slots(_group("optional", minimum_credits=6), {"2": (90, 3)}, units)
    assert slots == [90, 0]
    assert shortfalls == ["3 more credits needed in group 1."]


def test_a_group_whose_rules_are_not_stated_counts_the_units_registered():
    units = _units(("220", None))
    assert _group_slots(_group(), {"220": (60, 6)}, units) == ([60], [])
    assert _group_slots(_group(), {}, units) == ([], [])


@pytest.fixture
def qualification(unit, second_unit, third_unit):
    return made_qualification()


def _registered(world, qualification, learner, units, *, statuses=None):
    registration = QualificationRegistration.objects.create(
        learner=learner,
        centre=world.centre,
        qualification=qualification,
        learner_number="Q1",
        start_date=day(0),
        planned_end_date=day(100),
    )
    for n, u in enumerate(units):
        PortfolioFactory(
            centre=world.centre,
            learner=learner,
            unit=u,
            qualification_registration=registration,
            start_date=day(0),
            planned_end_date=day(100),
            status=(statuses or {}).get(n, PortfolioStatus.IN_PROGRESS),
        )
    return registration


def test_a_qualification_averages_the_units_its_rules_need(world, qualification, unit, second_unit, third_unit):
    registration = _registered(
        world,
        qualification,
        member(world.centre, Role.LEARNER),
        [unit, second_unit, third_unit],
        statuses={0: PortfolioStatus.COMPLETE, 1: PortfolioStatus.ASSESSOR_SIGNED},
    )
    standing = qualifications_standing([registration], today=day(50))[registration.pk]
    # 100 + 100 + 0 (997 has no evidence) over three units.
    assert standing.percent == 66
    assert standing.rag == Rag.ON_TRACK
    assert standing.shortfalls == []


def test_a_qualification_missing_a_mandatory_unit_says_so(world, qualification, unit):
    registration = _registered(
        world, qualification, member(world.centre, Role.LEARNER), [unit], statuses={0: PortfolioStatus.COMPLETE}
    )
    standing = qualifications_standing([registration], today=day(60))[registration.pk]
    # 220 complete; 998 and an optional unit not registered count as 0.
    assert standing.percent == 33
    assert standing.rag == Rag.BEHIND
    assert standing.shortfalls == [
        "Mandatory unit 998 not registered.",
        "1 more unit needed in group 2 (Optional units).",
    ]


def test_qualifications_take_the_same_queries_for_one_registration_or_five(
    world, qualification, unit, second_unit, third_unit, django_assert_num_queries
):
    one = [_registered(world, qualification, member(world.centre, Role.LEARNER), [unit, second_unit])]
    five = one + [
        _registered(world, qualification, member(world.centre, Role.LEARNER), [unit, second_unit, third_unit])
        for _ in range(4)
    ]
    for registrations in (one, five):
        fetched = list(
            QualificationRegistration.objects.filter(pk__in=[r.pk for r in registrations]).select_related(
                "qualification"
            )
        )
        with django_assert_num_queries(12):
            standings = qualifications_standing(fetched)
        assert len(standings) == len(registrations)


def test_units_take_the_same_queries_for_one_or_five(world, django_assert_num_queries):
    one = [world.portfolio]
    five = one + [PortfolioFactory(centre=world.centre) for _ in range(4)]
    for portfolios in (one, five):
        with django_assert_num_queries(8):
            assert len(units_standing(portfolios)) == len(portfolios)


def test_a_qualifications_total_credits_short_keeps_it_below_100(world, qualification, unit, second_unit, third_unit):
    qualification.total_minimum_credits = 40
    qualification.save()
    done = {0: PortfolioStatus.COMPLETE, 1: PortfolioStatus.COMPLETE, 2: PortfolioStatus.COMPLETE}
    learner = member(world.centre, Role.LEARNER)
    registration = _registered(world, qualification, learner, [unit, second_unit, third_unit], statuses=done)
    credits = sum(u.credit_value for u in (unit, second_unit, third_unit))
    standing = qualifications_standing([registration], today=day(50))[registration.pk]
    assert standing.percent == 99
    assert standing.shortfalls == [f"{40 - credits} more credits needed for the qualification."]
    qualification.total_minimum_credits = credits
    qualification.save()
    standing = qualifications_standing([registration], today=day(150))[registration.pk]
    assert (standing.percent, standing.rag, standing.shortfalls) == (100, Rag.ON_TRACK, [])
