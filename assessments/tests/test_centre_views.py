"""Centre admin registering learners on units and assigning their assessor and IV."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Portfolio
from audit.models import AuditEvent
from people.models import Membership, Qualification, Role
from tests.factories import PortfolioFactory, member, unit_next_version
from units.models import UnitCode

pytestmark = pytest.mark.django_db


def error_beside(response, field: str) -> str:
    """The text of the error crispy renders under `field`, or "" when there is none."""
    page = response.content.decode()
    found = re.search(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def unit_code(body: str) -> UnitCode:
    """The unit's number under the body, on the fixture's unit (its first version)."""
    return UnitCode.objects.get(awarding_body__code=body, unit__version=1)


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


@pytest.fixture
def newcomer(world):
    return member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org")


def registration(world, learner, **overrides) -> dict:
    data = {
        "learner": learner.pk,
        "unit_code": unit_code("OCR").pk,
        "learner_number": "OCR-7781",
        "start_date": "2026-11-23",
        "planned_end_date": "2027-05-23",
        "assessor": world.assessor.pk,
        "iv": world.iv.pk,
    }
    data.update(overrides)
    return data


# Registering -------------------------------------------------------------------------------------------------------


def test_registering_learner_creates_portfolio_with_awarding_body_of_unit_code(admin_client, world, newcomer):
    response = admin_client.post(reverse("centre_portfolio_register"), registration(world, newcomer), follow=True)

    assert response.redirect_chain == [(reverse("centre_portfolios"), 302)]
    portfolio = Portfolio.objects.get(learner=newcomer)
    assert portfolio.centre == world.centre
    assert portfolio.unit == world.portfolio.unit
    assert portfolio.awarding_body.code == "OCR"
    assert portfolio.learner_number == "OCR-7781"
    assert portfolio.start_date == datetime.date(2026, 11, 23)
    assert portfolio.planned_end_date == datetime.date(2027, 5, 23)
    assert (portfolio.assessor, portfolio.iv) == (world.assessor, world.iv)
    assert f"Nia Newcomer is registered on {portfolio.unit.title}." in messages_of(response)
    assert "OCR-7781" in response.content.decode()


def test_registering_with_city_and_guilds_code_uses_city_and_guilds(admin_client, world, newcomer):
    admin_client.post(
        reverse("centre_portfolio_register"),
        registration(world, newcomer, unit_code=unit_code("CG").pk, assessor="", iv=""),
    )

    portfolio = Portfolio.objects.get(learner=newcomer)
    assert portfolio.awarding_body.name == "City & Guilds"
    assert (portfolio.assessor, portfolio.iv) == (None, None)


def test_registration_offers_and_takes_only_the_newest_version_of_each_unit(admin_client, world, newcomer):
    first = unit_code("CG")
    newer = unit_next_version(world.portfolio.unit)
    latest = newer.codes.get(awarding_body__code="CG")
    url = reverse("centre_portfolio_register")
    select = re.search(r'<select name="unit_code".*?</select>', admin_client.get(url).content.decode(), re.S).group(0)
    offered = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select))
    title = "Deliver customer service to difficult customers (version 2)"
    assert offered[str(latest.pk)] == f"City &amp; Guilds 220: {title}"
    assert str(first.pk) not in offered and len(offered) == 2  # OCR C4 and City & Guilds 220, once each

    # The older version, posted anyway, is refused: a new learner starts on the current specification.
    response = admin_client.post(url, registration(world, newcomer, unit_code=first.pk))
    assert "Select a valid choice" in error_beside(response, "unit_code")
    admin_client.post(url, registration(world, newcomer, unit_code=latest.pk))
    assert Portfolio.objects.get(learner=newcomer).unit == newer
    world.portfolio.refresh_from_db()
    assert world.portfolio.unit.version == 1  # the earlier registration keeps the version it started on


def test_registering_writes_portfolio_registered_audit_row(admin_client, world, newcomer):
    admin_client.post(reverse("centre_portfolio_register"), registration(world, newcomer))

    portfolio = Portfolio.objects.get(learner=newcomer)
    event = AuditEvent.objects.get(action="portfolio.registered")
    assert event.centre == world.centre
    assert event.actor == world.admin
    assert (event.target_type, event.target_id) == ("assessments.portfolio", str(portfolio.pk))
    assert event.data == {
        "learner": newcomer.pk,
        "unit": portfolio.unit.slug,
        "awarding_body": "OCR",
        "assessor": world.assessor.pk,
        "iv": world.iv.pk,
    }


@pytest.mark.parametrize("who", ["assessor", "deactivated", "other_centre"])
def test_only_active_learner_at_centre_can_be_registered(admin_client, world, who):
    if who == "assessor":
        person = world.assessor
    elif who == "deactivated":
        person = member(world.centre, Role.LEARNER, is_active=False)
    else:
        person = member(world.other_centre, Role.LEARNER)

    response = admin_client.post(reverse("centre_portfolio_register"), registration(world, person, assessor="", iv=""))

    assert response.status_code == 200
    assert error_beside(response, "learner").startswith("Select a valid choice.")
    assert not Portfolio.objects.filter(learner=person).exists()


def test_planned_end_before_start_shows_error_beside_planned_end_and_creates_nothing(admin_client, world, newcomer):
    response = admin_client.post(
        reverse("centre_portfolio_register"),
        registration(world, newcomer, start_date="2026-11-23", planned_end_date="2026-11-22"),
    )

    assert response.status_code == 200
    assert error_beside(response, "planned_end_date") == "The planned end date must be on or after the start date."
    assert not Portfolio.objects.filter(learner=newcomer).exists()
    assert not AuditEvent.objects.filter(action="portfolio.registered").exists()


def test_planned_end_on_start_day_is_accepted(admin_client, world, newcomer):
    admin_client.post(
        reverse("centre_portfolio_register"),
        registration(world, newcomer, start_date="2026-11-23", planned_end_date="2026-11-23"),
    )

    assert Portfolio.objects.filter(learner=newcomer).exists()


@pytest.mark.parametrize("body", ["CG", "OCR"])
def test_registering_same_learner_on_same_unit_twice_is_refused(admin_client, world, body):
    # world.learner is already registered on the unit (City & Guilds 220); OCR C4 is the same unit.
    response = admin_client.post(
        reverse("centre_portfolio_register"), registration(world, world.learner, unit_code=unit_code(body).pk)
    )

    assert response.status_code == 200
    assert "Lena Learner is already registered on" in error_beside(response, "unit_code")
    assert Portfolio.objects.filter(learner=world.learner).count() == 1
    assert not AuditEvent.objects.filter(action="portfolio.registered").exists()


def test_same_person_as_assessor_and_iv_is_refused_beside_iv(admin_client, world, newcomer):
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )

    response = admin_client.post(
        reverse("centre_portfolio_register"), registration(world, newcomer, iv=world.assessor.pk)
    )

    assert response.status_code == 200
    assert error_beside(response, "iv") == "An internal verifier cannot verify their own assessment decisions."
    assert not Portfolio.objects.filter(learner=newcomer).exists()


def test_assessor_from_other_centre_cannot_be_chosen(admin_client, world, newcomer):
    stranger = member(world.other_centre, Role.ASSESSOR, user__full_name="Sid Stranger")

    response = admin_client.post(
        reverse("centre_portfolio_register"), registration(world, newcomer, assessor=stranger.pk)
    )

    assert response.status_code == 200
    assert error_beside(response, "assessor").startswith("Select a valid choice.")
    assert not Portfolio.objects.filter(learner=newcomer).exists()
    assert "Sid Stranger" not in admin_client.get(reverse("centre_portfolio_register")).content.decode()


# Assigning ---------------------------------------------------------------------------------------------------------


def test_reassigning_assessor_and_iv_saves_and_audits_before_and_after(admin_client, world):
    backup_assessor = member(world.centre, Role.ASSESSOR, user__full_name="Bea Backup")
    backup_iv = member(world.centre, Role.IV, user__full_name="Vic Backup")

    response = admin_client.post(
        reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        {"assessor": backup_assessor.pk, "iv": backup_iv.pk},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("centre_portfolios"), 302)]
    assert "Saved the assessor and IV for Lena Learner." in messages_of(response)
    world.portfolio.refresh_from_db()
    assert (world.portfolio.assessor, world.portfolio.iv) == (backup_assessor, backup_iv)
    event = AuditEvent.objects.get(action="portfolio.assigned")
    assert event.centre == world.centre
    assert event.actor == world.admin
    assert event.data == {
        "before": {"assessor": world.assessor.pk, "iv": world.iv.pk},
        "after": {"assessor": backup_assessor.pk, "iv": backup_iv.pk},
    }


def test_reassigning_moves_learner_between_assessor_dashboards(admin_client, client, world):
    backup_assessor = member(world.centre, Role.ASSESSOR, user__full_name="Bea Backup")
    admin_client.post(
        reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        {"assessor": backup_assessor.pk, "iv": world.iv.pk},
    )

    client.force_login(backup_assessor)
    assert "Lena Learner" in client.get(reverse("home")).content.decode()
    client.force_login(world.assessor)
    old = client.get(reverse("home"))
    assert "Lena Learner" not in old.content.decode()
    assert "No learners are assigned to you yet." in old.content.decode()


def test_saving_assignment_unchanged_writes_no_audit_row(admin_client, world):
    admin_client.post(
        reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        {"assessor": world.assessor.pk, "iv": world.iv.pk},
    )

    assert not AuditEvent.objects.filter(action="portfolio.assigned").exists()


def test_assigning_same_person_as_assessor_and_iv_is_refused(admin_client, world):
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )

    response = admin_client.post(
        reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        {"assessor": world.assessor.pk, "iv": world.assessor.pk},
    )

    assert error_beside(response, "iv") == "An internal verifier cannot verify their own assessment decisions."
    world.portfolio.refresh_from_db()
    assert world.portfolio.iv == world.iv
    assert not AuditEvent.objects.filter(action="portfolio.assigned").exists()


# The registrations list --------------------------------------------------------------------------------------------


def listed_numbers(response) -> set[str]:
    return {p.learner_number for p in response.context["page"]}


def test_unassigned_filter_shows_portfolio_without_iv(admin_client, world):
    PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=None, learner_number="NO-IV-1")

    response = admin_client.get(reverse("centre_portfolios"), {"status": "unassigned"})

    assert listed_numbers(response) == {"NO-IV-1"}
    assert "Not assigned" in response.content.decode()


def test_search_finds_registration_by_learner_number(admin_client, world):
    PortfolioFactory(centre=world.centre, learner_number="ZZ-9999")

    response = admin_client.get(reverse("centre_portfolios"), {"q": "cg-0001"})

    assert listed_numbers(response) == {"CG-0001"}


def test_a_search_holding_a_nul_lists_nothing_rather_than_failing(admin_client, world):
    response = admin_client.get(reverse("centre_portfolios"), {"q": "cg\x000001", "assessor": "a\x00b"})

    assert response.status_code == 200
    assert listed_numbers(response) == set()


def test_registrations_list_never_shows_other_centre(admin_client, world):
    PortfolioFactory(centre=world.other_centre, learner_number="ELSEWHERE-1")

    response = admin_client.get(reverse("centre_portfolios"))

    assert listed_numbers(response) == {"CG-0001"}


def test_registrations_list_query_count_does_not_grow_with_rows(admin_client, world):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("centre_portfolios"))
        assert response.status_code == 200
        return len(queries)

    def add_rows(n: int) -> None:
        for _ in range(n):
            PortfolioFactory(
                centre=world.centre,
                assessor=member(world.centre, Role.ASSESSOR),
                iv=member(world.centre, Role.IV),
            )

    admin_client.get(reverse("centre_portfolios"))  # settle the session first
    add_rows(1)
    few = count_queries()
    add_rows(18)
    many = count_queries()

    assert len(admin_client.get(reverse("centre_portfolios")).context["page"]) == 20
    assert many == few

    add_rows(40)  # past one page: the next page is found without counting the centre's registrations
    page = admin_client.get(reverse("centre_portfolios")).context["page"]
    assert len(page) == 50 and page.has_next
    assert count_queries() == few


def test_registrations_are_listed_newest_first_a_page_at_a_time(admin_client, world):
    for n in range(55):
        PortfolioFactory(centre=world.centre, learner_number=f"PAGE-{n:02d}")

    first = admin_client.get(reverse("centre_portfolios"))
    second = admin_client.get(reverse("centre_portfolios"), {"page": "2"})

    assert [p.learner_number for p in first.context["page"]][:2] == ["PAGE-54", "PAGE-53"]
    assert listed_numbers(second) == {"PAGE-04", "PAGE-03", "PAGE-02", "PAGE-01", "PAGE-00", "CG-0001"}
    assert "registrations 51 to 56" in second.content.decode()
    assert 'page=2">Next' in first.content.decode() and "Next" not in second.content.decode()


def test_assessor_filter_searches_by_name_or_email_rather_than_listing_every_assessor(admin_client, world):
    other = member(world.centre, Role.ASSESSOR, user__full_name="Omar Other", user__email="omar@example.org")
    PortfolioFactory(centre=world.centre, assessor=other, learner_number="OMAR-1")

    by_name = admin_client.get(reverse("centre_portfolios"), {"assessor": "omar oth"})
    by_email = admin_client.get(reverse("centre_portfolios"), {"assessor": "OMAR@EXAMPLE"})
    by_id = admin_client.get(reverse("centre_portfolios"), {"assessor": str(world.assessor.pk)})

    assert listed_numbers(by_name) == listed_numbers(by_email) == {"OMAR-1"}
    assert listed_numbers(by_id) == {"CG-0001"}
    page = by_name.content.decode()
    assert """<label class="form-label" for="assessor">Assessor's name or email</label>""" in page
    assert 'id="assessor" name="assessor" value="omar oth"' in page
    assert "<option" not in page.split('id="assessor"')[1].split("</form>")[0]


def test_the_admin_sets_the_centres_sufficiency_thresholds_and_may_leave_any_empty(admin_client, world):
    from assessments.models import SufficiencyThresholds

    url = reverse("centre_sufficiency")
    assert url in admin_client.get(reverse("centre_portfolios")).content.decode()
    page = admin_client.get(url).content.decode()
    assert 'name="min_customers"' in page and 'value="' not in page.split('name="min_customers"')[1][:40]
    refused = admin_client.post(url, {"min_customers": "0"})
    assert error_beside(refused, "min_customers") and not SufficiencyThresholds.objects.exists()
    assert admin_client.post(url, {"min_customers": "3", "min_weeks": "4"}).status_code == 302
    saved = SufficiencyThresholds.objects.get(centre=world.centre)
    assert (saved.min_customers, saved.min_occasions, saved.min_weeks) == (3, None, 4)
    event = AuditEvent.objects.get(action="sufficiency.thresholds_changed")
    assert event.data["after"] == {"min_customers": 3, "min_occasions": None, "min_weeks": 4}
    assert 'value="3"' in admin_client.get(url).content.decode()
