"""The "Needs your action" panel on every dashboard, the list, dismissing, and the links to the settings page
(the page itself: people/tests/test_account_views.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import Decision
from assessments.signoff.services import unit_sign
from assessments.tests.test_evidence_views import add, crit
from assessments.tests.test_signoff import cover_everything
from notifications.models import Notification
from notifications.panel import PANEL_SHOWN
from notifications.services import notify
from tests.factories import PASSWORD, PortfolioFactory
from tests.test_dashboards import main_text

pytestmark = pytest.mark.django_db
UNIT = "Deliver customer service to difficult customers"


def tell(user, target, *, title="Something needs you", kind="iv_report", centre=None, at=None):
    notification = notify(user=user, kind=kind, target=target, title=title, url="/somewhere/", centre=centre)
    if at is not None:
        Notification.objects.filter(pk=notification.pk).update(created_at=at)
        notification.refresh_from_db()
    return notification


def panel(response) -> str:
    page = response.content.decode()
    start = page.index('id="needs-action"')
    return page[start : page.index("</section>", start)]


# --- The panel on the dashboards --------------------------------------------------------------------------------


def test_the_assessor_sees_a_submitted_unit_in_the_panel_with_a_link_and_a_dismiss_button(client, world):
    cover_everything(world)
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    notification = Notification.objects.get(user=world.assessor)

    client.force_login(world.assessor)
    response = client.get(reverse("home"))

    html = panel(response)
    assert f'<a href="{reverse("signoff", args=[world.portfolio.pk])}">' in html
    assert f"Unit submitted for sign-off: Lena Learner – {UNIT}" in main_text(response)
    assert f'action="{reverse("notification_dismiss", args=[notification.pk])}"' in html
    assert '<input type="hidden" name="next" value="/">' in html
    assert "1 thing needs your action." in main_text(response)


def test_the_panel_shows_when_it_began_waiting_in_uk_time(client, world):
    # 12:30 UTC in July is 13:30 in London.
    at = datetime.datetime(2025, 7, 1, 12, 30, tzinfo=datetime.UTC)
    tell(world.learner, world.portfolio, centre=world.centre, at=at)

    client.force_login(world.learner)
    html = panel(client.get(reverse("home")))

    assert '<time datetime="2025-07-01T13:30:00+01:00">01/07/2025 13:30</time>' in html
    assert "Waiting " in html


def test_each_role_sees_the_panel_and_only_its_own_notifications(client, world):
    for persona in ("learner", "assessor", "iv", "admin", "ev"):
        user = getattr(world, persona)
        tell(user, world.portfolio, title=f"For the {persona}", centre=world.centre)
    for persona in ("learner", "assessor", "iv", "admin", "ev"):
        client.force_login(getattr(world, persona))
        text = main_text(client.get(reverse("home")))
        assert "Needs your action" in text
        assert f"For the {persona}" in text
        assert sum(f"For the {other}" in text for other in ("learner", "assessor", "iv", "admin", "ev")) == 1


def test_a_centre_role_sees_its_centres_notifications_and_an_ev_sees_all_of_theirs(client, world):
    elsewhere = PortfolioFactory(centre=world.other_centre)
    tell(world.assessor, world.portfolio, title="Here", centre=world.centre)
    tell(world.assessor, elsewhere, title="Elsewhere", centre=world.other_centre)
    tell(world.assessor, world.centre, title="No centre")
    tell(world.ev, elsewhere, title="EV elsewhere", centre=world.other_centre)
    tell(world.ev, world.portfolio, title="EV here", centre=world.centre)

    client.force_login(world.assessor)
    text = main_text(client.get(reverse("home")))
    assert "Here" in text and "No centre" in text and "Elsewhere" not in text

    client.force_login(world.ev)
    text = main_text(client.get(reverse("home")))
    assert "EV elsewhere" in text and "EV here" in text


def test_the_panel_lists_the_newest_and_says_how_many_more_there_are(client, world):
    now = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    for n in range(PANEL_SHOWN + 3):
        target = PortfolioFactory(centre=world.centre, assessor=world.assessor)
        tell(world.assessor, target, title=f"Item {n:02d}", centre=world.centre, at=now + datetime.timedelta(hours=n))

    client.force_login(world.assessor)
    response = client.get(reverse("home"))

    shown = response.context["request"].notification_panel
    assert (len(shown.items), shown.total, shown.more) == (PANEL_SHOWN, PANEL_SHOWN + 3, 3)
    assert [n.title for n in shown.items][:2] == ["Item 22", "Item 21"]
    text = main_text(response)
    assert f"23 things need your action. The {PANEL_SHOWN} newest notifications are listed here; see all 23" in text
    assert "Item 02" not in text


def test_with_nothing_waiting_the_panel_says_so(client, world):
    client.force_login(world.iv)
    assert "Needs your action Nothing needs your action." in main_text(client.get(reverse("home")))


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv", "admin", "ev"])
def test_the_dashboard_runs_the_same_number_of_queries_for_1_and_25_notifications(client, world, persona):
    user = getattr(world, persona)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries)

    client.force_login(user)
    client.get(reverse("home"))  # settle the session first
    tell(user, world.portfolio, kind="first", centre=world.centre)
    one = count()
    for n in range(24):
        tell(user, world.portfolio, kind=f"kind-{n}", centre=world.centre)
    many = count()

    assert many == one


# --- The list ------------------------------------------------------------------------------------------------------


def test_the_list_shows_open_ones_first_then_done_ones_and_only_the_users_own(client, world):
    old = tell(world.learner, world.portfolio, title="Done long ago", kind="a")
    Notification.objects.filter(pk=old.pk).update(done_at=old.created_at)
    tell(world.learner, world.portfolio, title="Still waiting", kind="b")
    tell(world.assessor, world.portfolio, title="The assessor's", kind="c")

    client.force_login(world.learner)
    response = client.get(reverse("notification_list"))

    assert [n.title for n in response.context["page"]] == ["Still waiting", "Done long ago"]
    text = main_text(response)
    assert text.index("Still waiting") < text.index("Done long ago")
    assert "The assessor's" not in text
    assert "Done " in text


def test_the_list_is_paginated(client, world):
    for n in range(30):
        tell(world.learner, world.portfolio, kind=f"k{n}")

    client.force_login(world.learner)
    first = client.get(reverse("notification_list"))
    second = client.get(reverse("notification_list"), {"page": 2})

    assert len(first.context["page"]) == 25 and len(second.context["page"]) == 5
    assert "Page 1 of 2" in main_text(first)


def test_someone_with_no_notifications_is_told_so(client, world):
    client.force_login(world.outsider)
    assert "You have no notifications." in main_text(client.get(reverse("notification_list")))


# --- Dismissing -----------------------------------------------------------------------------------------------------


def test_its_owner_dismisses_a_notification_and_goes_back_where_they_were(client, world):
    notification = tell(world.learner, world.portfolio, title="Read this", centre=world.centre)
    client.force_login(world.learner)

    response = client.post(reverse("notification_dismiss", args=[notification.pk]), {"next": "/"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    notification.refresh_from_db()
    assert notification.done_at is not None
    assert [str(m) for m in response.context["messages"]] == ["Dismissed: Read this"]
    assert "Nothing needs your action." in main_text(response)


@pytest.mark.parametrize("persona", ["assessor", "iv", "admin", "ev", "outsider"])
def test_nobody_else_can_dismiss_it_and_is_not_told_it_exists(client, world, persona):
    notification = tell(world.learner, world.portfolio, centre=world.centre)
    client.force_login(getattr(world, persona))

    response = client.post(reverse("notification_dismiss", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.done_at is None


def test_dismissing_needs_a_post_and_ignores_a_link_to_another_site(client, world):
    notification = tell(world.learner, world.portfolio)
    client.force_login(world.learner)
    url = reverse("notification_dismiss", args=[notification.pk])

    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/"})

    assert response.url == reverse("notification_list")


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("abc", "/notifications/"),
        ("", "/notifications/"),
        ("javascript:alert(1)", "/notifications/"),
        ("//evil.example/", "/notifications/"),
        ("http://testserver/?from=panel", "/?from=panel"),
        ("/notifications/?page=2", "/notifications/?page=2"),
    ],
)
def test_dismissing_with_any_next_value_saves_once_and_redirects_never_fails(world, next_url, lands_on):
    notification = tell(world.learner, world.portfolio, title="Read this", centre=world.centre)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.learner)
    page = browser.get(reverse("notification_list")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(
        reverse("notification_dismiss", args=[notification.pk]), {"csrfmiddlewaretoken": token, "next": next_url}
    )

    assert response.status_code == 302
    assert response.url == lands_on
    notification.refresh_from_db()
    assert notification.done_at is not None
    assert browser.get(response.url).status_code == 200


# --- Links to the settings ----------------------------------------------------------------------------------------


def test_the_nav_and_the_panel_link_to_the_settings(client, world):
    client.force_login(world.learner)
    response = client.get(reverse("home"))
    page = response.content.decode()
    nav = page[: page.index('<main id="main"')]
    assert f'href="{reverse("notification_settings")}"' in nav
    assert f'href="{reverse("notification_settings")}"' in panel(response)


# --- The learner's notices, where they are seen ------------------------------------------------------------------


def test_the_learner_finds_what_the_assessor_decided_on_their_notifications_page_and_dismisses_it(world):
    item = add(world, title="Angry caller", criteria=["2.1"])
    services.evidence_judge(
        actor=world.assessor, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback="Add the date."
    )
    services.feedback_post(actor=world.assessor, evidence=item, text="And the customer's words.")
    other = add(world, title="Quiet afternoon", criteria=["2.4"])
    services.evidence_judge(
        actor=world.assessor, evidence=other, decision=Decision.ACCEPTED, verdicts={crit("2.4"): "confirmed"}
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    # Reading the accepted item is enough: it moves down the list, done.
    assert client.get(reverse("evidence_detail", args=[other.pk])).status_code == 200

    response = client.get(reverse("notification_list"))

    rows = [(n.title, n.done_at is None) for n in response.context["page"]]
    assert rows[-1] == (f"Accepted by your assessor: {other.reference} Quiet afternoon", False)
    assert sorted(rows[:-1]) == [
        (f"New feedback on {item.reference} Angry caller", True),
        (f"Sent back by your assessor: {item.reference} Angry caller", True),
    ]
    page = response.content.decode()
    assert page.count(f'href="{reverse("evidence_detail", args=[item.pk])}#thread"') == 2
    text = main_text(response)
    assert "Asha Assessor says: Add the date." in text
    assert "Asha Assessor: And the customer's words." in text

    sent_back = Notification.objects.get(user=world.learner, kind="evidence_sent_back")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    dismissed = client.post(
        reverse("notification_dismiss", args=[sent_back.pk]),
        {"csrfmiddlewaretoken": token, "next": reverse("notification_list")},
        follow=True,
    )

    assert [str(m) for m in dismissed.context["messages"]] == [f"Dismissed: {sent_back.title}"]
    sent_back.refresh_from_db()
    assert sent_back.done_at is not None
