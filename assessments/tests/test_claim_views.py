"""The centre admin's claim list: completed units not yet claimed, with the ULN and the awarding body's enrolment
number, as a page and as CSV; marking units claimed; entering the identifiers."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.models import Portfolio, RecordCode
from assessments.models.portfolio import validate_uln
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.models import AuditEvent
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("uln", ["1000000043", "1234567899"])
def test_a_uln_whose_last_digit_checks_is_accepted(uln):
    validate_uln(uln)


@pytest.mark.parametrize(
    "uln",
    [
        "1000000042",  # the check digit should be 3
        "1000000063",  # the weighted sum divides by 11: no ULN has these first nine digits
        "0000000042",
        "100000004",
        "10000000a3",
    ],
)
def test_a_uln_that_does_not_check_is_refused(uln):
    with pytest.raises(ValidationError):
        validate_uln(uln)


def test_the_list_holds_completed_units_of_the_centre_only_with_their_identifiers(admin, complete):  # noqa: F811 (the fixture imported above)
    world = complete
    Portfolio.objects.filter(pk=world.portfolio.pk).update(uln="1000000043", enrolment_number="CG-ENR-77")
    waiting = PortfolioFactory(centre=world.centre)  # in progress: nothing to claim yet
    PortfolioFactory(centre=world.other_centre)
    html = admin.get(reverse("centre_claims")).content.decode()
    assert "Lena Learner" in html and "1000000043" in html and "CG-ENR-77" in html
    assert "220 Deliver customer service to difficult customers" in html
    assert timezone.localdate().strftime("%d/%m/%Y") in html
    assert waiting.learner.full_name not in html
    assert html.count('name="portfolio"') == 1


def test_a_missing_identifier_is_named_with_a_link_to_enter_it(admin, complete):  # noqa: F811 (the fixture imported above)
    html = admin.get(reverse("centre_claims")).content.decode()
    link = reverse("centre_portfolio_identifiers", args=[complete.portfolio.pk]) + "?next=claims"
    assert f'<a href="{link}">Enter ULN and enrolment number</a>' in html


def test_the_csv_has_one_row_per_claim_in_the_awarding_bodys_terms(admin, complete):  # noqa: F811 (the fixture imported above)
    world = complete
    Portfolio.objects.filter(pk=world.portfolio.pk).update(uln="1000000043", enrolment_number="CG-ENR-77")
    code = RecordCode.objects.get(portfolio=world.portfolio, round=world.portfolio.round)
    response = admin.get(reverse("centre_claims_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-51001-')
    header, *rows = rows_of(response)
    assert header == [
        "Learner",
        "Unique learner number",
        "Enrolment number",
        "Awarding body",
        "Unit number",
        "Unit title",
        "Completed",
        "Record code",
    ]
    assert rows == [
        [
            "Lena Learner",
            "1000000043",
            "CG-ENR-77",
            "City & Guilds",
            "220",
            "Deliver customer service to difficult customers",
            timezone.localdate().strftime("%d/%m/%Y"),
            code.display,
        ]
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_neutralises_spreadsheet_formulas(admin, complete, start):  # noqa: F811 (the fixture imported above)
    world = complete
    world.learner.full_name = f'{start}HYPERLINK("http://x.example","Lena")'
    world.learner.save(update_fields=["full_name"])
    Portfolio.objects.filter(pk=world.portfolio.pk).update(enrolment_number=f"{start}1+1")
    (row,) = rows_of(admin.get(reverse("centre_claims_csv")))[1:]
    assert row[0] == f'\'{start}HYPERLINK("http://x.example","Lena")'
    assert row[2] == f"'{start}1+1"


def test_marking_units_claimed_takes_them_off_the_list_and_audits_each(admin, complete):  # noqa: F811 (the fixture imported above)
    world = complete
    elsewhere = PortfolioFactory(centre=world.other_centre)
    waiting = PortfolioFactory(centre=world.centre)
    response = admin.post(
        reverse("centre_claims_mark"), {"portfolio": [world.portfolio.pk, elsewhere.pk, waiting.pk, "x"]}
    )
    assert response.status_code == 302 and response.url == reverse("centre_claims")
    world.portfolio.refresh_from_db()
    assert world.portfolio.claimed_at is not None
    assert Portfolio.objects.filter(pk__in=[elsewhere.pk, waiting.pk], claimed_at__isnull=False).count() == 0
    assert AuditEvent.objects.filter(action="portfolio.claimed", portfolio=world.portfolio).count() == 1
    assert "No completed unit is waiting to be claimed." in admin.get(reverse("centre_claims")).content.decode()
    assert rows_of(admin.get(reverse("centre_claims_csv")))[1:] == []


def test_the_admin_enters_a_uln_and_enrolment_number_and_a_wrong_uln_is_refused(admin, world):
    url = reverse("centre_portfolio_identifiers", args=[world.portfolio.pk])
    refused = admin.post(url, {"uln": "1000000042", "enrolment_number": "E1"})
    assert refused.status_code == 200
    assert "its last digit does not check" in refused.content.decode()
    world.portfolio.refresh_from_db()
    assert (world.portfolio.uln, world.portfolio.enrolment_number) == ("", "")
    saved = admin.post(url, {"uln": "10000 00043", "enrolment_number": " E1 ", "next": "claims"})
    assert saved.status_code == 302 and saved.url == reverse("centre_claims")
    world.portfolio.refresh_from_db()
    assert (world.portfolio.uln, world.portfolio.enrolment_number) == ("1000000043", "E1")
    event = AuditEvent.objects.get(action="portfolio.identifiers_changed")
    assert event.data["after"] == {"uln": "1000000043", "enrolment_number": "E1"}


def test_the_admin_dashboard_links_to_the_claim_list(admin):
    assert f'href="{reverse("centre_claims")}"' in admin.get(reverse("home")).content.decode()


def test_the_assign_page_shows_the_identifiers_and_links_to_change_them(admin, world):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(uln="1234567899")
    html = admin.get(reverse("centre_portfolio_assign", args=[world.portfolio.pk])).content.decode()
    assert "ULN 1234567899 · enrolment number not entered" in html
    assert reverse("centre_portfolio_identifiers", args=[world.portfolio.pk]) in html


def test_registering_takes_the_uln_and_enrolment_number_and_refuses_a_uln_that_does_not_check(admin, world):
    from assessments.tests.test_centre_views import registration
    from people.models import Role
    from tests.factories import member

    newcomer = member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org")
    url = reverse("centre_portfolio_register")
    refused = admin.post(url, registration(world, newcomer, uln="1000000042", enrolment_number="OCR-E-9"))
    assert refused.status_code == 200 and "its last digit does not check" in refused.content.decode()
    assert not Portfolio.objects.filter(learner=newcomer).exists()
    admin.post(url, registration(world, newcomer, uln="1000 000 043", enrolment_number=" OCR-E-9 "))
    portfolio = Portfolio.objects.get(learner=newcomer)
    assert (portfolio.uln, portfolio.enrolment_number) == ("1000000043", "OCR-E-9")


def test_the_page_and_the_csv_keep_their_query_count_as_the_list_grows(admin, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import PortfolioStatus

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            admin.get(reverse("centre_claims"))
        with CaptureQueriesContext(connection) as csv_file:
            admin.get(reverse("centre_claims_csv"))
        return len(page), len(csv_file)

    # The status is set directly: only the list's reading of completed units is measured here.
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.COMPLETE)
    counts()  # the first request of a session does its own one-off work
    one = counts()
    for _ in range(4):
        extra = PortfolioFactory(centre=world.centre)
        Portfolio.objects.filter(pk=extra.pk).update(status=PortfolioStatus.COMPLETE)
    assert admin.get(reverse("centre_claims")).content.decode().count('name="portfolio"') == 5
    assert counts() == one
