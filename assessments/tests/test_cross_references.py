"""Cross-references: one evidence item counts in the learner's other portfolios too (the workbook's
cross-references to other units), without being added twice."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.judgement.coverage import portfolio_coverage
from assessments.models import Evidence, EvidenceSetting, PortfolioStatus
from audit.models import AuditEvent
from people.models import Role
from tests.factories import CentreFactory, PortfolioFactory, member
from units.models import AssessmentMethod, Criterion, RangeItem

C4 = "deliver-customer-service-to-difficult-customers"
SECOND = "test-communicate-with-customers"
THIRD = "test-keep-customer-records"


def crit(slug: str, code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__unit__slug=slug, outcome__number=int(outcome), number=int(number))


def rng(slug: str, letter: str) -> RangeItem:
    return RangeItem.objects.get(unit__slug=slug, letter=letter)


def save(learner, portfolio, *, criteria=(), range_items=(), setting=EvidenceSetting.REAL_WORK, days_ago=1, **extra):
    return services.evidence_save(
        actor=learner,
        portfolio=portfolio,
        title=extra.pop("title", "Complaint about a missing parcel"),
        method=AssessmentMethod.objects.get(code=extra.pop("method", "O")),
        activity_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        setting=setting,
        criteria=list(criteria),
        range_items=list(range_items),
        **extra,
    )


def form_data(**overrides):
    data = {
        "title": "Refund at the customer desk",
        "method": AssessmentMethod.objects.get(code="RA").pk,
        "activity_date": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "setting": EvidenceSetting.REAL_WORK,
        "description": "I greeted the customer, listened, and confirmed the refund in writing.",
        "criteria": [crit(C4, "2.1").pk],
        "range_items": [],
    }
    data.update(overrides)
    return data


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


@pytest.fixture
def shared(world, second_portfolio):
    """E1 in the C4 portfolio, also covering 998.1.1 and range a of the second unit."""
    return save(
        world.learner,
        world.portfolio,
        criteria=[crit(C4, "2.1"), crit(C4, "2.4"), crit(SECOND, "1.1")],
        range_items=[rng(C4, "b"), rng(SECOND, "a")],
    )


# Counting in both portfolios ---------------------------------------------------------------------------------------


def test_cross_referenced_item_counts_in_both_coverage_grids(world, second_portfolio, shared):
    assert list(shared.cross_references.all()) == [second_portfolio]
    assert Evidence.objects.count() == 1

    home = portfolio_coverage(world.portfolio)
    assert (home.criteria_covered, home.range_covered) == (2, 1)
    assert {row.criterion.code: row.refs for block in home.outcomes for row in block.rows if row.refs} == {
        "2.1": ["E1"],
        "2.4": ["E1"],
    }

    other = portfolio_coverage(second_portfolio)
    assert (other.criteria_covered, other.criteria_total, other.range_covered, other.range_total) == (1, 4, 1, 2)
    assert [row.refs for block in other.outcomes for row in block.rows] == [["E1 (unit 220)"], [], [], []]
    assert [row.refs for row in other.range_rows] == [["E1 (unit 220)"], []]
    assert other.matrix[0][2] == [["E1 (unit 220)"], []]


def test_grid_of_the_other_portfolio_shows_the_item_with_its_home_unit(learner_client, second_portfolio, shared):
    own = save(second_portfolio.learner, second_portfolio, criteria=[crit(SECOND, "1.1")])

    response = learner_client.get(reverse("portfolio_detail", args=[second_portfolio.pk]))

    assert own.reference == "E1"  # numbered in its own portfolio
    assert "1 of 4 criteria, 1 of 2 range items" in text_of(response)
    row = [r for b in response.context["coverage"].outcomes for r in b.rows if r.criterion.code == "1.1"][0]
    assert row.refs == ["E1", "E1 (unit 220)"]


def test_learner_ticks_another_units_criteria_on_the_form_and_it_counts_there(learner_client, world, second_portfolio):
    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(
            criteria=[crit(C4, "2.1").pk, crit(SECOND, "1.2").pk, crit(SECOND, "2.1").pk],
            range_items=[rng(SECOND, "b").pk],
        ),
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.portfolio == world.portfolio
    assert list(evidence.cross_references.all()) == [second_portfolio]
    event = AuditEvent.objects.get(action="evidence.added")
    assert event.data["criteria"] == ["2.1"]
    assert event.data["range"] == []
    assert event.data["cross_references"] == [
        {"portfolio": second_portfolio.pk, "unit": SECOND, "criteria": ["1.2", "2.1"], "range": ["b"]}
    ]
    other = portfolio_coverage(second_portfolio)
    assert (other.criteria_covered, other.range_covered) == (2, 1)


def test_unticking_the_other_units_boxes_removes_the_cross_reference(learner_client, world, second_portfolio, shared):
    response = learner_client.post(
        reverse("evidence_edit", args=[shared.pk]), form_data(criteria=[crit(C4, "2.1").pk], range_items=[])
    )

    assert response.status_code == 302
    assert not shared.cross_references.exists()
    assert portfolio_coverage(second_portfolio).criteria_covered == 0
    assert "cross_references" not in AuditEvent.objects.get(action="evidence.changed").data


def test_only_units_ticked_become_cross_references(world, second_portfolio, third_unit):
    third = PortfolioFactory(centre=world.centre, learner=world.learner, unit=third_unit)

    evidence = save(world.learner, world.portfolio, criteria=[crit(C4, "1.1"), crit(THIRD, "1.2")])

    assert list(evidence.cross_references.all()) == [third]
    assert portfolio_coverage(second_portfolio).criteria_covered == 0


# The form -----------------------------------------------------------------------------------------------------------


def test_form_has_a_collapsible_section_for_each_other_current_portfolio(learner_client, world, second_portfolio):
    response = learner_client.get(reverse("evidence_add", args=[world.portfolio.pk]))

    page = response.content.decode()
    text = text_of(response)
    assert "Also counts towards unit 998 Communicate with customers (test unit)" in text
    assert page.count("<details") == 1
    assert '<details class="cross-reference mb-3 border rounded p-2">' in page  # closed while nothing is ticked
    # Grouped by outcome, numbered and worded as City & Guilds prints them (the workbook's), with the range.
    assert "998.1 To communicate with customers, you must: (what you must do)" in text
    assert "998.1.1 greet customers in a way that makes them feel welcome" in text
    assert "998.2.2 explain why written replies must be clear and accurate" in text
    assert "b when writing to customers" in text
    # This unit's own boxes stay where they were.
    assert "220.2.1 listen patiently" in text


def test_form_leaves_out_withdrawn_and_other_centres_portfolios(learner_client, world, second_portfolio, third_unit):
    second_portfolio.status = PortfolioStatus.WITHDRAWN
    second_portfolio.save()
    elsewhere = CentreFactory()
    PortfolioFactory(centre=elsewhere, learner=world.learner, unit=third_unit)

    response = learner_client.get(reverse("evidence_add", args=[world.portfolio.pk]))

    assert "Also counts towards" not in text_of(response)
    assert "<details" not in response.content.decode()


def test_editing_opens_the_section_with_the_boxes_already_ticked(learner_client, shared):
    response = learner_client.get(reverse("evidence_edit", args=[shared.pk]))

    page = response.content.decode()
    assert '<details class="cross-reference mb-3 border rounded p-2" open>' in page
    one_one = crit(SECOND, "1.1").pk
    assert f'value="{one_one}" id="criterion-{one_one}" checked' in page
    range_a = rng(SECOND, "a").pk
    assert f'value="{range_a}" id="range-{range_a}" checked' in page


def test_form_page_query_count_does_not_grow_with_the_number_of_other_portfolios(
    learner_client, world, second_portfolio, third_unit
):
    url = reverse("evidence_add", args=[world.portfolio.pk])

    def count() -> tuple[int, int]:
        learner_client.get(url)  # the first visit also saves the session
        with CaptureQueriesContext(connection) as queries:
            response = learner_client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["form"].other_portfolios)

    with_one, shown_one = count()
    PortfolioFactory(centre=world.centre, learner=world.learner, unit=third_unit)
    with_two, shown_two = count()

    assert (shown_one, shown_two) == (1, 2)
    assert with_two == with_one


# Refusals -----------------------------------------------------------------------------------------------------------


def _register_elsewhere(world, second_unit, how: str) -> None:
    if how == "another learner's unit":
        PortfolioFactory(centre=world.centre, unit=second_unit, learner=member(world.centre, Role.LEARNER))
    elif how == "withdrawn":
        PortfolioFactory(centre=world.centre, learner=world.learner, unit=second_unit, status=PortfolioStatus.WITHDRAWN)
    elif how == "at another centre":
        PortfolioFactory(centre=world.other_centre, learner=world.learner, unit=second_unit)


CASES = ["another learner's unit", "withdrawn", "at another centre", "not registered at all"]


@pytest.mark.parametrize("how", CASES)
def test_mapping_a_unit_the_learner_is_not_registered_on_here_is_refused_by_the_service(world, second_unit, how):
    _register_elsewhere(world, second_unit, how)

    with pytest.raises(ValidationError) as caught:
        save(world.learner, world.portfolio, criteria=[crit(C4, "2.1"), crit(SECOND, "1.1")], range_items=[])
    errors = caught.value.message_dict
    assert errors["criteria"] == ["A criterion chosen is not from this unit or another unit you are registered on."]

    with pytest.raises(ValidationError) as caught:
        save(world.learner, world.portfolio, criteria=[], range_items=[rng(SECOND, "a")])
    assert "range_items" in caught.value.message_dict
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("how", CASES)
def test_mapping_a_unit_the_learner_is_not_registered_on_is_refused_beside_the_field(
    learner_client, world, second_unit, how
):
    _register_elsewhere(world, second_unit, how)

    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(criteria=[crit(C4, "2.1").pk, crit(SECOND, "1.1").pk], range_items=[rng(SECOND, "b").pk]),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["criteria"] and errors["range_items"]
    assert 'id="criteria-errors"' in response.content.decode()
    assert 'id="range-errors"' in response.content.decode()
    assert not Evidence.objects.exists()


def test_simulation_rule_applies_to_each_unit_by_its_own_rule(world, second_portfolio):
    # The second unit allows simulation for performance evidence; C4 does not.
    allowed = save(
        world.learner,
        world.portfolio,
        setting=EvidenceSetting.SIMULATION,
        criteria=[crit(C4, "3.6"), crit(SECOND, "1.1")],
        range_items=[rng(SECOND, "a")],
    )
    assert list(allowed.cross_references.all()) == [second_portfolio]

    with pytest.raises(ValidationError) as caught:
        save(
            world.learner,
            world.portfolio,
            setting=EvidenceSetting.SIMULATION,
            criteria=[crit(C4, "2.1"), crit(SECOND, "1.1")],
            range_items=[rng(C4, "a"), rng(SECOND, "a")],
        )
    assert caught.value.message_dict == {
        "criteria": ["Simulation is not allowed for performance evidence in this unit, so it cannot cover 2.1."],
        "range_items": [
            "Simulation is not allowed for performance evidence in this unit, so it cannot cover the range."
        ],
    }


def test_simulation_rule_of_the_cross_referenced_unit_applies_from_a_unit_that_allows_it(world, second_portfolio):
    home_allows = save(
        world.learner, second_portfolio, setting=EvidenceSetting.SIMULATION, criteria=[crit(SECOND, "1.1")]
    )
    assert home_allows.reference == "E1"

    with pytest.raises(ValidationError) as caught:
        save(
            world.learner,
            second_portfolio,
            setting=EvidenceSetting.SIMULATION,
            criteria=[crit(SECOND, "1.1"), crit(C4, "2.1"), crit(C4, "3.6")],
            range_items=[rng(C4, "b")],
        )
    title = "“Deliver customer service to difficult customers”"
    assert caught.value.message_dict == {
        "criteria": [f"Simulation is not allowed for performance evidence in {title}, so it cannot cover 2.1."],
        "range_items": [
            f"Simulation is not allowed for performance evidence in {title}, so it cannot cover its range."
        ],
    }


def test_activity_date_before_the_other_registration_started_is_refused(learner_client, world, second_portfolio):
    second_portfolio.start_date = timezone.localdate() - datetime.timedelta(days=5)
    second_portfolio.save()
    when = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()

    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(activity_date=when, criteria=[crit(C4, "2.1").pk, crit(SECOND, "1.1").pk]),
    )

    assert response.context["form"].errors["activity_date"] == [
        "The date of the activity is before your registration on “Communicate with customers (test unit)” started "
        f"({second_portfolio.start_date:%d/%m/%Y})."
    ]
    assert not Evidence.objects.exists()
    # The same date is fine for this unit alone.
    response = learner_client.post(reverse("evidence_add", args=[world.portfolio.pk]), form_data(activity_date=when))
    assert response.status_code == 302


# The evidence list --------------------------------------------------------------------------------------------------


def test_other_portfolios_list_shows_the_item_marked_with_a_link_home_and_no_edit(
    learner_client, world, second_portfolio, shared
):
    response = learner_client.get(reverse("evidence_list", args=[second_portfolio.pk]))

    page = response.content.decode()
    text = text_of(response)
    assert [e.shown_reference for e in response.context["page"]] == ["E1 (unit 220)"]
    assert "cross-referenced from Deliver customer service to difficult customers" in text
    assert f'href="{reverse("portfolio_detail", args=[world.portfolio.pk])}"' in page
    assert reverse("evidence_edit", args=[shared.pk]) not in page
    assert reverse("evidence_delete_confirm", args=[shared.pk]) not in page
    # It covers 1.1 and range a here; the C4 criteria it also covers are not this unit's.
    row = page[page.index("E1 (unit 220)") :]
    row = row[: row.index("</tr>")]
    assert "1.1; range a" in html.unescape(re.sub(r"<[^>]+>", "", row))
    assert "2.4" not in row


def test_home_list_keeps_edit_links_and_says_where_else_the_item_counts(learner_client, world, shared):
    response = learner_client.get(reverse("evidence_list", args=[world.portfolio.pk]))

    page = response.content.decode()
    assert reverse("evidence_edit", args=[shared.pk]) in page
    assert "Also counts towards unit 998 Communicate with customers (test unit)" in text_of(response)


def test_list_sorts_own_items_first_and_filters_by_this_units_criteria(learner_client, second_portfolio, shared):
    own = save(second_portfolio.learner, second_portfolio, criteria=[crit(SECOND, "2.1")], days_ago=3)
    url = reverse("evidence_list", args=[second_portfolio.pk])

    by_ref = learner_client.get(url, {"sort": "ref"}).context
    assert [e.shown_reference for e in by_ref["page"]] == ["E1", "E1 (unit 220)"]
    assert [label for label, _ in by_ref["criteria"]] == ["998.1.1", "998.1.2", "998.2.1", "998.2.2"]
    by_date = learner_client.get(url, {"sort": "date"}).context["page"]
    assert [e.pk for e in by_date] == [own.pk, shared.pk]
    filtered = learner_client.get(url, {"criterion": crit(SECOND, "1.1").pk}).context["page"]
    assert [e.pk for e in filtered] == [shared.pk]


def test_assessor_of_the_other_portfolio_only_gets_a_link_home_when_they_may_open_it(client, world, second_portfolio):
    other_assessor = member(world.centre, Role.ASSESSOR)
    second_portfolio.assessor = other_assessor
    second_portfolio.save()
    save(world.learner, world.portfolio, criteria=[crit(SECOND, "1.1")])
    client.force_login(other_assessor)

    response = client.get(reverse("evidence_list", args=[second_portfolio.pk]))

    assert response.status_code == 200
    assert "cross-referenced from Deliver customer service to difficult customers" in text_of(response)
    assert f'href="{reverse("portfolio_detail", args=[world.portfolio.pk])}"' not in response.content.decode()
    assert client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).status_code == 404


# Query counts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["portfolio_detail", "evidence_list"])
def test_other_portfolios_pages_run_the_same_number_of_queries_at_5_and_at_50_cross_referenced_items(
    learner_client, world, second_portfolio, name
):
    url = reverse(name, args=[second_portfolio.pk])

    def count() -> int:
        learner_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert learner_client.get(url).status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for _ in range(n):
            save(world.learner, world.portfolio, criteria=[crit(C4, "2.1"), crit(SECOND, "1.1")])
            save(world.learner, second_portfolio, criteria=[crit(SECOND, "2.1")], range_items=[rng(SECOND, "b")])

    add(5)
    at_five = count()
    add(45)
    assert count() == at_five
