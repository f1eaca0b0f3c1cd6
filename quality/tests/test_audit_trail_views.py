"""The audit trail pages and their CSV, driven through the test client as the people who use them: a centre admin
filtering their centre's trail, and an EV reading the rows about their visit's sample while the visit is open."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_log
from people.models import ExternalVerifier, Role
from quality.models import EVVisit
from tests.factories import PortfolioFactory, external_verifier, member

UTC = datetime.UTC


# --- Helpers ---------------------------------------------------------------------------------------------------


def text_of(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :] if '<main id="main"' in page else page
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def event(world, *, at=None, actor=None, role=Role.ADMIN, action="portfolio.assigned", portfolio=None, **kwargs):
    """One audit row at a chosen moment (rows take their time from the clock and can never be changed after)."""
    at = at or timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_log(
            actor=actor or world.admin,
            actor_role=role,
            centre=kwargs.pop("centre", world.centre),
            action=action,
            portfolio=portfolio,
            summary=kwargs.pop("summary", f"{action} happened"),
            **kwargs,
        )


def shown(response) -> list[int]:
    return [e.pk for e in response.context["page"]]


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def admin_client(client, world):
    client.force_login(world.admin)
    return client


def make_visit(world, *, first=None, last=None, sample=(), ev_user=None):
    today = timezone.localdate()
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=ExternalVerifier.objects.get(user=ev_user or world.ev),
        starts_on=first or today,
        ends_on=last or today + datetime.timedelta(days=1),
        created_by=world.admin,
    )
    visit.sample.set(sample)
    return visit


@pytest.fixture
def other_learner(world):
    learner = member(world.centre, Role.LEARNER, user__full_name="Omar Other")
    return PortfolioFactory(
        centre=world.centre, learner=learner, assessor=world.assessor, iv=world.iv, learner_number="CG-0002"
    )


# --- The admin's page: what it shows, and only their centre's -------------------------------------------------


def test_admin_reads_their_centres_rows_newest_first_in_uk_time(client, world):
    older = event(
        world,
        at=datetime.datetime(2025, 7, 1, 8, 30, tzinfo=UTC),
        portfolio=world.portfolio,
        summary="Assessor set to Asha Assessor",
    )
    newer = event(
        world, at=datetime.datetime(2025, 12, 1, 8, 30, tzinfo=UTC), action="member.added", summary="Someone joined"
    )
    elsewhere = event(world, actor=world.outsider, centre=world.other_centre, summary="Not ours")

    response = admin_client(client, world).get(reverse("centre_audit"))

    assert response.status_code == 200
    assert shown(response) == [newer.pk, older.pk]
    assert elsewhere.pk not in shown(response)
    text = text_of(response)
    # 08:30 UTC is 09:30 in British Summer Time and 08:30 in winter.
    assert "01/07/2025 09:30" in text and "01/12/2025 08:30" in text
    assert "Ada Admin Centre admin Assessor or IV assigned Lena Learner CG-0001" in text
    assert world.portfolio.unit.title in text and "Assessor set to Asha Assessor" in text
    assert "Person added" in text
    page = response.content.decode()
    assert "<caption" in page and 'scope="col"' in page
    for name in ("person", "learner", "unit", "action", "date_from", "date_to"):
        assert f'<label class="form-label" for="id_{name}">' in page


def test_filter_by_person(client, world):
    mine = event(world, actor=world.assessor, role=Role.ASSESSOR, portfolio=world.portfolio)
    event(world, actor=world.admin, portfolio=world.portfolio)

    response = admin_client(client, world).get(reverse("centre_audit"), {"person": world.assessor.pk})

    assert shown(response) == [mine.pk]


def test_person_choices_are_the_centres_people_only(client, world):
    response = admin_client(client, world).get(reverse("centre_audit"))
    people = set(response.context["form"].fields["person"].queryset)
    assert {world.admin, world.assessor, world.iv, world.learner, world.ev} <= people
    assert world.outsider not in people
    # Someone from another centre is not a valid choice, so the filter cannot be used to probe for them.
    response = client.get(reverse("centre_audit"), {"person": world.outsider.pk})
    assert "person" in response.context["form"].errors


def test_filter_by_learner(client, world, other_learner):
    lena = event(world, portfolio=world.portfolio)
    event(world, portfolio=other_learner)
    event(world, action="member.added")

    response = admin_client(client, world).get(reverse("centre_audit"), {"learner": world.learner.pk})

    assert shown(response) == [lena.pk]


def test_filter_by_unit(client, world, second_portfolio):
    first = event(world, portfolio=world.portfolio)
    second = event(world, portfolio=second_portfolio)

    response = admin_client(client, world).get(reverse("centre_audit"), {"unit": second_portfolio.unit_id})

    assert shown(response) == [second.pk]
    assert first.pk not in shown(response)


def test_filter_by_action_offers_known_and_present_actions(client, world):
    signed = event(world, action="signature.made", portfolio=world.portfolio)
    event(world, action="evidence.added", portfolio=world.portfolio)
    odd = event(world, action="legacy.thing")

    response = admin_client(client, world).get(reverse("centre_audit"), {"action": "signature.made"})
    assert shown(response) == [signed.pk]

    choices = dict(response.context["form"].fields["action"].choices)
    assert choices["signature.made"] == "Signature made"
    assert choices["legacy.thing"] == "legacy.thing"
    assert "witness.confirmed" in choices
    assert shown(client.get(reverse("centre_audit"), {"action": "legacy.thing"})) == [odd.pk]


@pytest.mark.parametrize(
    ("day", "before", "first", "last", "after"),
    [
        # British Summer Time: the UK day of 01/07/2025 runs from 23:00 UTC the evening before.
        (
            "2025-07-01",
            datetime.datetime(2025, 6, 30, 22, 59, 59, tzinfo=UTC),
            datetime.datetime(2025, 6, 30, 23, 0, tzinfo=UTC),
            datetime.datetime(2025, 7, 1, 22, 59, 59, tzinfo=UTC),
            datetime.datetime(2025, 7, 1, 23, 0, tzinfo=UTC),
        ),
        # Greenwich Mean Time: the UK day and the UTC day are the same.
        (
            "2025-01-15",
            datetime.datetime(2025, 1, 14, 23, 59, 59, tzinfo=UTC),
            datetime.datetime(2025, 1, 15, 0, 0, tzinfo=UTC),
            datetime.datetime(2025, 1, 15, 23, 59, 59, tzinfo=UTC),
            datetime.datetime(2025, 1, 16, 0, 0, tzinfo=UTC),
        ),
    ],
    ids=["bst", "gmt"],
)
def test_filter_by_date_takes_whole_uk_days(client, world, day, before, first, last, after):
    rows = {
        name: event(world, at=at)
        for name, at in [("before", before), ("first", first), ("last", last), ("after", after)]
    }
    admin_client(client, world)

    one_day = shown(client.get(reverse("centre_audit"), {"date_from": day, "date_to": day}))
    assert one_day == [rows["last"].pk, rows["first"].pk]
    from_day = shown(client.get(reverse("centre_audit"), {"date_from": day}))
    assert rows["before"].pk not in from_day and rows["after"].pk in from_day
    to_day = shown(client.get(reverse("centre_audit"), {"date_to": day}))
    assert rows["before"].pk in to_day and rows["last"].pk in to_day and rows["after"].pk not in to_day


def test_date_to_before_from_is_an_error_next_to_the_field(client, world):
    response = admin_client(client, world).get(
        reverse("centre_audit"), {"date_from": "2025-07-02", "date_to": "2025-07-01"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["date_to"]
    page = response.content.decode()
    assert 'id="id_date_to_error"' in page and 'aria-describedby="id_date_to_error"' in page
    assert "before the “From” date" in html.unescape(page)


# --- The CSV --------------------------------------------------------------------------------------------------


def test_csv_has_a_bom_header_and_one_line_per_row(client, world):
    world.learner.full_name = "Zoë Brontë"
    world.learner.save()
    row = event(
        world,
        at=datetime.datetime(2025, 7, 1, 23, 30, 5, tzinfo=UTC),
        actor=world.assessor,
        role=Role.ASSESSOR,
        action="evidence.judged",
        portfolio=world.portfolio,
        target=world.portfolio,
        summary="Judged: travel claimed £12.50",
    )
    event(world, centre=world.other_centre, actor=world.outsider)

    response = admin_client(client, world).get(reverse("centre_audit_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="audit-51001-{today}.csv"'
    lines = csv_of(response)
    assert lines[0] == [
        "Date", "Time (UK)", "UTC timestamp", "Person", "Email", "Role", "Action", "Learner", "Learner number",
        "Unit", "Target type", "Target ID", "Summary",
    ]  # fmt: skip
    # The export's own row is not in the file: it holds the trail as it stood when asked for.
    assert len(lines) == 2
    assert lines[1] == [
        "02/07/2025",
        "00:30:05",
        "2025-07-01T23:30:05Z",
        "Asha Assessor",
        "assessor@example.org",
        "Assessor",
        "evidence.judged",
        "Zoë Brontë",
        "CG-0001",
        world.portfolio.unit.title,
        "assessments.portfolio",
        str(world.portfolio.pk),
        "Judged: travel claimed £12.50",
    ]
    assert row.pk


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_spreadsheet_formulas(client, world, start):
    event(world, summary=f'{start}HYPERLINK("http://evil.example","click")', portfolio=world.portfolio)
    world.learner.full_name = f"{start}cmd|' /C calc'!A0"
    world.learner.save()

    lines = csv_of(admin_client(client, world).get(reverse("centre_audit_csv")))

    summary, learner = lines[1][12], lines[1][7]
    assert summary == f'\'{start}HYPERLINK("http://evil.example","click")'
    assert learner == f"'{start}cmd|' /C calc'!A0"


def test_csv_takes_the_page_filters_and_is_itself_audited(client, world, other_learner):
    lena = event(world, action="signature.made", portfolio=world.portfolio)
    event(world, action="signature.made", portfolio=other_learner)
    event(world, action="evidence.added", portfolio=world.portfolio)
    query = {"learner": world.learner.pk, "action": "signature.made", "date_from": timezone.localdate().isoformat()}

    response = admin_client(client, world).get(reverse("centre_audit_csv"), query)

    lines = csv_of(response)
    assert [line[12] for line in lines[1:]] == [lena.summary]
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == world.admin and exported.actor_role == Role.ADMIN and exported.centre == world.centre
    assert exported.data["filters"] == {
        "learner": f"Lena Learner (#{world.learner.pk})",
        "action": "signature.made",
        "date_from": timezone.localdate().strftime("%d/%m/%Y"),
    }
    assert "learner Lena Learner" in exported.summary


def test_csv_link_and_pagination_keep_the_filters(client, world):
    for _ in range(55):
        event(world, action="signature.made", portfolio=world.portfolio)
    event(world, action="evidence.added", portfolio=world.portfolio)

    response = admin_client(client, world).get(reverse("centre_audit"), {"action": "signature.made"})

    page = html.unescape(response.content.decode())
    assert "?action=signature.made&page=2" in page
    assert f'href="{reverse("centre_audit_csv")}?action=signature.made"' in page
    second = client.get(reverse("centre_audit"), {"action": "signature.made", "page": 2})
    assert len(shown(second)) == 5
    assert {e.action for e in second.context["page"]} == {"signature.made"}


def test_csv_with_filters_in_error_goes_back_to_the_page(client, world):
    query = {"date_from": "2025-07-02", "date_to": "2025-07-01"}
    response = admin_client(client, world).get(reverse("centre_audit_csv"), query)

    assert response.status_code == 302
    assert response.url == reverse("centre_audit") + "?date_from=2025-07-02&date_to=2025-07-01"
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_page_costs_the_same_queries_for_5_rows_as_for_60(client, world, other_learner, second_portfolio):
    admin_client(client, world)
    portfolios = [world.portfolio, other_learner, second_portfolio, None]
    actors = [world.admin, world.assessor, world.iv, world.learner]

    def add(n):
        for i in range(n):
            event(world, actor=actors[i % 4], portfolio=portfolios[i % 4])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("centre_audit")).status_code == 200
        return len(queries)

    # The first request after signing in settles the session's role; measure the requests after it.
    client.get(reverse("centre_audit"))
    add(5)
    few = count()
    add(55)
    many = count()
    assert few == many


def test_admin_dashboard_links_to_the_audit_trail(client, world):
    page = admin_client(client, world).get(reverse("home")).content.decode()
    assert f'href="{reverse("centre_audit")}"' in page


# --- An EV during a visit -------------------------------------------------------------------------------------


def test_ev_reads_only_rows_about_their_sample_while_the_visit_is_open(client, world, other_learner):
    visit = make_visit(world, sample=[world.portfolio])
    sampled = event(world, actor=world.assessor, role=Role.ASSESSOR, portfolio=world.portfolio)
    event(world, portfolio=other_learner, summary="not in the sample")
    event(world, action="member.added", summary="centre-wide")
    client.force_login(world.ev)

    response = client.get(reverse("visit_audit", args=[visit.pk]))

    assert response.status_code == 200
    assert shown(response) == [sampled.pk]
    text = text_of(response)
    assert "not in the sample" not in text and "centre-wide" not in text and "Omar Other" not in text
    form = response.context["form"]
    assert list(form.fields["learner"].queryset) == [world.learner]
    assert list(form.fields["person"].queryset) == [world.assessor]
    assert f'href="{reverse("visit_audit_csv", args=[visit.pk])}"' in response.content.decode()


def test_ev_csv_holds_only_the_sample_and_is_audited_against_the_visit(client, world, other_learner):
    visit = make_visit(world, sample=[world.portfolio])
    event(world, portfolio=world.portfolio, summary="sampled row")
    event(world, portfolio=other_learner, summary="other row")
    client.force_login(world.ev)

    response = client.get(reverse("visit_audit_csv", args=[visit.pk]))

    assert response.status_code == 200
    assert [line[12] for line in csv_of(response)[1:]] == ["sampled row"]
    assert f"audit-51001-visit-{visit.pk}-" in response["Content-Disposition"]
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == world.ev and exported.actor_role == Role.EV
    assert exported.target_type == "quality.evvisit" and exported.data["visit"] == visit.pk


def test_admin_of_the_centre_sees_what_the_ev_sees(client, world, other_learner):
    visit = make_visit(world, sample=[world.portfolio])
    sampled = event(world, portfolio=world.portfolio)
    event(world, portfolio=other_learner)

    response = admin_client(client, world).get(reverse("visit_audit", args=[visit.pk]))

    assert response.status_code == 200
    assert shown(response) == [sampled.pk]


def test_ev_is_refused_after_the_visit_ended_and_told_when(client, world):
    today = timezone.localdate()
    ended = make_visit(
        world,
        first=today - datetime.timedelta(days=10),
        last=today - datetime.timedelta(days=1),
        sample=[world.portfolio],
    )
    client.force_login(world.ev)

    for name in ("visit_audit", "visit_audit_csv"):
        response = client.get(reverse(name, args=[ended.pk]))
        assert response.status_code == 403
        assert f"The visit ended on {ended.ends_on:%d/%m/%Y}" in text_of(response)
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_ev_is_refused_before_the_visit_opens_and_told_when(client, world):
    later = make_visit(
        world,
        first=timezone.localdate() + datetime.timedelta(days=7),
        last=timezone.localdate() + datetime.timedelta(days=8),
    )
    client.force_login(world.ev)

    response = client.get(reverse("visit_audit", args=[later.pk]))

    assert response.status_code == 403
    assert f"The visit opens on {later.starts_on:%d/%m/%Y}" in text_of(response)


def test_cancelled_visit_is_closed_to_its_ev(client, world):
    visit = make_visit(world, sample=[world.portfolio])
    EVVisit.objects.filter(pk=visit.pk).update(cancelled_at=timezone.now())
    client.force_login(world.ev)

    response = client.get(reverse("visit_audit", args=[visit.pk]))

    assert response.status_code == 403
    assert "cancelled" in text_of(response)


@pytest.mark.parametrize("who", ["outsider", "other_ev", "allocated_other_ev"])
def test_people_not_linked_to_the_visit_get_404(client, world, who):
    visit = make_visit(world, sample=[world.portfolio])
    user = {
        "outsider": lambda: world.outsider,
        "other_ev": lambda: external_verifier(None, full_name="Nadia Nobody"),
        "allocated_other_ev": lambda: external_verifier(world.centre, body_code="OCR"),
    }[who]()
    client.force_login(user)

    for name in ("visit_audit", "visit_audit_csv"):
        assert client.get(reverse(name, args=[visit.pk])).status_code == 404


def test_ev_cannot_read_the_centre_trail(client, world):
    make_visit(world, sample=[world.portfolio])
    client.force_login(world.ev)
    assert client.get(reverse("centre_audit")).status_code == 403
    assert client.get(reverse("centre_audit_csv")).status_code == 403


def test_allocated_ev_reads_the_trail_of_their_bodys_registrations_only(client, world, unit):
    from assessments.signoff.services import unit_sign
    from tests.factories import PASSWORD, PortfolioFactory
    from units.models import AwardingBody

    other_body = PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=world.iv,
        awarding_body=AwardingBody.objects.get(code="OCR"),
    )
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    unit_sign(actor=other_body.learner, portfolio=other_body, kind="learner", password=PASSWORD)
    client.force_login(world.ev)
    page = client.get(reverse("ev_centre_audit", args=[world.centre.pk])).content.decode()
    assert world.learner.full_name in page
    assert other_body.learner.full_name not in page
    csv = b"".join(client.get(reverse("ev_centre_audit_csv", args=[world.centre.pk])).streaming_content).decode()
    assert world.learner.full_name in csv and other_body.learner.full_name not in csv
