"""EV visits driven as people use them: the centre admin prepares a visit, the visiting EV reads its sample while it
is open and nothing else, records findings and signs; every page the EV opens is in the audit trail."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus
from assessments.records.document import current_digest
from audit.models import AuditEvent
from people.models import Role
from quality import visits
from quality.models import EVFinding, EVVisit
from quality.tests.test_visits import _iv_signed
from tests.factories import PASSWORD, PortfolioFactory, external_verifier, member
from units.models import AwardingBody

DAY = datetime.timedelta(days=1)
S = PortfolioStatus


def today() -> datetime.date:
    return timezone.localdate()


def text(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def as_(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def visiting_ev(world):
    """A City & Guilds EV allocated to no centre: only a visit lets them in."""
    return external_verifier(None, full_name="Vic Visitor", email="vic@example.org")


@pytest.fixture
def other_registration(world):
    return PortfolioFactory(centre=world.centre, assessor=member(world.centre, Role.ASSESSOR), learner_number="CG-0002")


def visit_form(world, ev_user, sample, *, starts=0, ends=2, **extra):
    return {
        "external_verifier": ev_user.ev_roles.get().pk,
        "starts_on": (today() + starts * DAY).isoformat(),
        "ends_on": (today() + ends * DAY).isoformat(),
        "purpose": "Annual visit: sampling summative decisions.",
        "sample": [p.pk for p in sample],
        **extra,
    }


@pytest.fixture
def visit(client, world, visiting_ev, other_registration) -> EVVisit:
    """The admin prepares, through the page, a visit sampling one of the centre's two registrations."""
    as_(client, world.admin)
    page = client.get(reverse("ev_visit_new"))
    assert "Vic Visitor (vic@example.org), City & Guilds" in text(page)
    assert "CG-0001" in text(page) and "CG-0002" in text(page)
    response = client.post(reverse("ev_visit_new"), visit_form(world, visiting_ev, [world.portfolio]), follow=True)
    visit = EVVisit.objects.get()
    assert response.redirect_chain[-1][0] == reverse("ev_visit_detail", args=[visit.pk])
    assert "Visit prepared. Vic Visitor has been told." in text(response)
    assert list(visit.sample.all()) == [world.portfolio]
    client.logout()
    return visit


def page_log(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="ev.page_viewed", actor=user).order_by("pk"))


def test_the_visiting_ev_reads_the_sample_and_nothing_else_and_every_page_is_logged(
    client, world, visiting_ev, other_registration, visit
):
    as_(client, visiting_ev)
    dashboard = client.get(reverse("home"))
    assert "Northgate Training" in text(dashboard) and "Open" in text(dashboard)
    detail_url = reverse("ev_visit_detail", args=[visit.pk])
    detail = client.get(detail_url)
    assert detail.status_code == 200
    assert "Lena Learner" in text(detail) and "CG-0002" not in text(detail)
    assert reverse("record_pdf", args=[world.portfolio.pk]) in detail.content.decode()
    assert reverse("visit_audit", args=[visit.pk]) in detail.content.decode()
    sampled = reverse("portfolio_detail", args=[world.portfolio.pk])
    outside = reverse("portfolio_detail", args=[other_registration.pk])
    assert client.get(sampled).status_code == 200
    assert client.get(outside).status_code == 404
    assert client.get(reverse("signoff", args=[world.portfolio.pk])).status_code == 200
    # A visit is no allocation: the centre's list of registrations stays closed.
    assert client.get(reverse("ev_centre", args=[world.centre.pk])).status_code == 403

    log = page_log(visiting_ev)
    assert [(e.data["path"], e.data["status"]) for e in log] == [
        ("/", 200),
        (detail_url, 200),
        (sampled, 200),
        (outside, 404),
        (reverse("signoff", args=[world.portfolio.pk]), 200),
        (reverse("ev_centre", args=[world.centre.pk]), 403),
    ]
    assert all(e.actor_role == Role.EV and e.centre == world.centre and e.data["method"] == "GET" for e in log)
    assert log[2].portfolio == world.portfolio and log[3].portfolio is None


def test_the_visit_notice_is_done_once_the_ev_opens_the_visit(client, world, visiting_ev, visit):
    note = visiting_ev.notifications.get(kind="ev_visit")
    assert note.url == reverse("ev_visit_detail", args=[visit.pk]) and note.done_at is None
    as_(client, visiting_ev).get(note.url)
    note.refresh_from_db()
    assert note.done_at is not None


def test_after_the_last_day_access_ends_by_itself(client, world, visiting_ev, visit, monkeypatch):
    monkeypatch.setattr(visits, "today", lambda: today() + 3 * DAY)
    as_(client, visiting_ev)
    assert client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).status_code == 404
    response = client.get(reverse("ev_visit_detail", args=[visit.pk]))
    assert response.status_code == 403
    ended = (today() + 2 * DAY).strftime("%d/%m/%Y")
    assert f"This visit ended on {ended}: your access ended with it." in text(response)
    # The refusals are in the trail too, against the visit's centre.
    assert [e.data["status"] for e in page_log(visiting_ev)] == [404, 403]
    assert page_log(visiting_ev)[1].centre == world.centre


def test_a_visit_made_with_past_dates_is_closed(client, world, visiting_ev):
    past = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=visiting_ev.ev_roles.get(),
        starts_on=today() - 5 * DAY,
        ends_on=today() - DAY,
        created_by=world.admin,
    )
    past.sample.add(world.portfolio)
    as_(client, visiting_ev)
    assert client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).status_code == 404
    response = client.get(reverse("ev_visit_detail", args=[past.pk]))
    assert response.status_code == 403 and "your access ended with it" in text(response)


def test_before_the_first_day_the_visit_is_not_open_yet(client, world, visiting_ev, other_registration):
    as_(client, world.admin).post(
        reverse("ev_visit_new"), visit_form(world, visiting_ev, [world.portfolio], starts=3, ends=4)
    )
    visit = EVVisit.objects.get()
    as_(client, visiting_ev)
    response = client.get(reverse("ev_visit_detail", args=[visit.pk]))
    assert response.status_code == 403
    assert f"This visit opens on {(today() + 3 * DAY).strftime('%d/%m/%Y')}." in text(response)
    assert client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).status_code == 404
    dashboard = text(client.get(reverse("home")))
    assert f"opens on {(today() + 3 * DAY).strftime('%d/%m/%Y')}" in dashboard


def test_a_cancelled_visit_closes_access(client, world, visiting_ev, visit):
    response = as_(client, world.admin).post(reverse("ev_visit_cancel", args=[visit.pk]), follow=True)
    assert "Visit cancelled." in text(response)
    assert "Cancelled" in text(client.get(reverse("ev_visit_list")))
    as_(client, visiting_ev)
    assert client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).status_code == 404
    response = client.get(reverse("ev_visit_detail", args=[visit.pk]))
    assert response.status_code == 403 and "your access ended with it" in text(response)


def test_a_sample_of_another_awarding_body_is_refused_next_to_the_sample(client, world, visiting_ev):
    ocr = PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"))
    response = as_(client, world.admin).post(reverse("ev_visit_new"), visit_form(world, visiting_ev, [ocr]))
    assert response.status_code == 200
    page = response.content.decode()
    errors = page[page.index('id="sample-errors"') : page.index("</fieldset>")]
    assert "is registered with OCR, not City &amp; Guilds: this EV cannot verify it." in errors
    assert not EVVisit.objects.exists()


def test_dates_the_wrong_way_round_are_refused(client, world, visiting_ev):
    response = as_(client, world.admin).post(
        reverse("ev_visit_new"), visit_form(world, visiting_ev, [world.portfolio], starts=4, ends=2)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == ["The last day must be on or after the first day."]
    assert "The last day must be on or after the first day." in text(response)
    assert not EVVisit.objects.exists()


def test_the_sample_list_filters_by_assessor_and_keeps_what_is_ticked(client, world, visit, other_registration):
    as_(client, world.admin)
    url = reverse("ev_visit_edit", args=[visit.pk])
    page = text(client.get(url, {"assessor": other_registration.assessor_id}))
    # The ticked registration stays listed, so saving the filtered form does not drop it.
    assert "CG-0002" in page and "CG-0001" in page
    page = text(client.get(reverse("ev_visit_new"), {"assessor": other_registration.assessor_id}))
    assert "CG-0002" in page and "CG-0001" not in page


def test_the_admin_changes_the_sample_and_sees_what_the_ev_sees(client, world, visit, other_registration):
    as_(client, world.admin)
    response = client.post(
        reverse("ev_visit_edit", args=[visit.pk]),
        {
            "starts_on": visit.starts_on.isoformat(),
            "ends_on": visit.ends_on.isoformat(),
            "purpose": "Annual visit",
            "sample": [world.portfolio.pk, other_registration.pk],
        },
        follow=True,
    )
    assert "Visit saved." in text(response)
    assert set(visit.sample.all()) == {world.portfolio, other_registration}
    assert "This is the page the external verifier sees" in text(response)
    assert "CG-0002" in text(response)
    # The admin's own pages are not in the EV's page log.
    assert not AuditEvent.objects.filter(action="ev.page_viewed").exists()


def test_another_ev_or_another_centres_admin_cannot_tell_the_visit_exists(client, world, visit):
    url = reverse("ev_visit_detail", args=[visit.pk])
    assert as_(client, external_verifier(world.centre)).get(url).status_code == 404
    assert as_(client, world.outsider).get(url).status_code == 404
    assert as_(client, world.outsider).get(reverse("ev_visit_edit", args=[visit.pk])).status_code == 404


def test_on_a_visit_the_ev_records_findings_then_signs(client, world, visiting_ev, visit):
    as_(client, visiting_ev)
    signoff_url = reverse("signoff", args=[world.portfolio.pk])
    assert "Record your findings" in text(client.get(signoff_url))
    # The EV samples the unit early, so it waits for them after the IV signs.
    client.post(reverse("signoff_sample", args=[world.portfolio.pk]))
    _iv_signed(world)
    digest = current_digest(world.portfolio)
    refused = client.post(
        reverse("signoff_sign", args=[world.portfolio.pk, "ev"]), {"password": PASSWORD, "digest": digest}, follow=True
    )
    assert "Record your findings on this unit (agreeing with the decisions) before signing." in text(refused)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.IV_SIGNED

    findings_url = reverse("ev_findings", args=[world.portfolio.pk])
    empty = client.post(findings_url, {})
    assert empty.status_code == 200 and set(empty.context["form"].errors) == {"agreement", "findings"}
    response = client.post(
        findings_url, {"agreement": "agree", "findings": "Sampled E1 to E4: sound decisions."}, follow=True
    )
    assert response.redirect_chain[-1][0] == signoff_url
    assert "Your findings are recorded." in text(response) and "Sampled E1 to E4: sound decisions." in text(response)
    assert EVFinding.objects.get().visit == visit
    signed = client.post(
        reverse("signoff_sign", args=[world.portfolio.pk, "ev"]), {"password": PASSWORD, "digest": digest}, follow=True
    )
    assert "Signed: external verifier." in text(signed)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.COMPLETE
    paths = {e.data["path"] for e in page_log(visiting_ev)}
    assert findings_url in paths and signoff_url in paths
    assert {e.data["method"] for e in page_log(visiting_ev)} == {"GET", "POST"}


def test_others_linked_to_the_unit_cannot_record_findings(client, world):
    url = reverse("ev_findings", args=[world.portfolio.pk])
    for user in (world.learner, world.assessor, world.iv, world.admin):
        assert as_(client, user).get(url).status_code == 403
    assert as_(client, world.outsider).get(url).status_code == 404


def test_the_allocated_ev_browses_the_centre_in_a_fixed_number_of_queries(client, world):
    PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"), learner_number="OCR-1")
    as_(client, world.ev)
    dashboard = client.get(reverse("home"))
    url = reverse("ev_centre", args=[world.centre.pk])
    assert url in dashboard.content.decode()
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert "CG-0001" in text(response) and "OCR-1" not in text(response)
    assert reverse("portfolio_detail", args=[world.portfolio.pk]) in response.content.decode()
    for n in range(5):
        PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv, learner_number=f"CG-1{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert text(response).count("CG-1") == 5
    assert len(many) == len(few)
    event = page_log(world.ev)[-1]
    assert event.data["path"] == url and event.centre == world.centre


def test_an_ev_of_no_link_to_the_centre_gets_404_on_its_list(client, world, visiting_ev):
    assert as_(client, visiting_ev).get(reverse("ev_centre", args=[world.centre.pk])).status_code == 404


def test_pages_of_no_centre_are_logged_against_the_single_open_visit(client, world, visiting_ev, visit):
    as_(client, visiting_ev).get(reverse("unit_list"))
    assert page_log(visiting_ev)[-1].centre == world.centre
    as_(client, world.ev).get(reverse("unit_list"))
    # An allocated EV on no visit: the unit list belongs to no centre.
    assert page_log(world.ev)[-1].centre is None


def test_static_files_and_other_roles_are_not_logged(client, world, visiting_ev, visit):
    as_(client, visiting_ev).get("/favicon.ico")
    client.get("/static/css/site.css")
    assert page_log(visiting_ev) == []
    for user in (world.learner, world.assessor, world.iv, world.admin):
        as_(client, user).get(reverse("portfolio_detail", args=[world.portfolio.pk]))
    client.logout()
    client.get(reverse("home"))
    assert not AuditEvent.objects.filter(action="ev.page_viewed").exists()


def test_a_file_the_visiting_ev_downloads_is_logged_against_its_portfolio(client, world, visiting_ev, visit):
    from tests.test_access_matrix import _evidence_file

    url = reverse("file_download", args=[_evidence_file(world).pk])
    assert as_(client, visiting_ev).get(url).status_code == 200
    event = page_log(visiting_ev)[-1]
    assert event.data["path"] == url and event.portfolio == world.portfolio


def test_a_unit_in_the_visit_sample_waits_after_the_iv_signs_until_the_visiting_ev_signs(
    client, world, visiting_ev, visit
):
    signoff_url = reverse("signoff", args=[world.portfolio.pk])
    findings_url = reverse("ev_findings", args=[world.portfolio.pk])
    as_(client, visiting_ev)
    waiting = text(client.get(signoff_url))
    assert "You can sign once the internal verifier has signed or released the unit" in waiting
    assert "Sign as external verifier" not in waiting
    _iv_signed(world)
    assert world.portfolio.status == S.IV_SIGNED
    dates = f"{visit.starts_on:%d/%m/%Y} to {visit.ends_on:%d/%m/%Y}"
    seen_by_iv = text(as_(client, world.iv).get(signoff_url))
    assert (
        f"This unit is in the external verifier's sample (EV visit by Vic Visitor, {dates}): it is complete only "
        "once the external verifier signs it, or releases it from the sample." in seen_by_iv
    )
    as_(client, visiting_ev)
    response = client.post(
        findings_url, {"agreement": "agree", "findings": "Sampled E1 to E4 and the IV's report."}, follow=True
    )
    assert "Your findings are recorded. Sign the unit below." in text(response)
    signed = client.post(
        reverse("signoff_sign", args=[world.portfolio.pk, "ev"]),
        {"password": PASSWORD, "digest": current_digest(world.portfolio)},
        follow=True,
    )
    page = text(signed)
    assert "Signed: external verifier." in page and "Status: Complete" in page
    assert "Vic Visitor (ev)" in page
    assert "in the external verifier's sample" not in page
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.COMPLETE


def test_the_findings_page_tells_an_early_ev_that_they_will_be_told(client, world, visiting_ev, visit):
    response = as_(client, visiting_ev).post(
        reverse("ev_findings", args=[world.portfolio.pk]),
        {"agreement": "agree", "findings": "Read the plan: fine so far."},
        follow=True,
    )
    assert (
        "Your findings are recorded. The unit waits for your signature: you will be told when the internal "
        "verifier has signed or released it." in text(response)
    )
    assert "sign-off is due" not in text(response)


def test_the_visiting_ev_releases_the_unit_from_the_page_and_it_completes(client, world, visiting_ev, visit):
    _iv_signed(world)
    signoff_url = reverse("signoff", args=[world.portfolio.pk])
    page = as_(client, visiting_ev).get(signoff_url)
    assert "Release from my sample" in text(page)
    response = client.post(reverse("signoff_release", args=[world.portfolio.pk]), follow=True)
    assert response.redirect_chain[-1][0] == signoff_url
    assert "Released from your sample." in text(response) and "Status: Complete" in text(response)
    event = AuditEvent.objects.get(action="portfolio.ev_released")
    assert event.actor == visiting_ev and event.portfolio_id == world.portfolio.pk


def test_the_learner_cannot_release_the_unit_from_the_evs_sample(client, world, visiting_ev, visit):
    _iv_signed(world)
    response = as_(client, world.learner).post(reverse("signoff_release", args=[world.portfolio.pk]))
    assert response.status_code == 403
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.IV_SIGNED


READY = "Ready for external verification: Lena Learner – Deliver customer service to difficult customers"


def _ready_notices(user) -> list[tuple[str, str]]:
    from notifications.models import Notification

    notices = Notification.objects.filter(user=user, kind="ev_due", done_at__isnull=True)
    return list(notices.values_list("kind", "title"))


def _seen_on_dashboard(client, user) -> str:
    dashboard = as_(client, user).get(reverse("home"))
    assert dashboard.status_code == 200
    return dashboard.content.decode()


def test_the_visiting_ev_is_told_when_the_iv_signs_a_held_unit_before_any_findings(client, world, visiting_ev, visit):
    assert _ready_notices(visiting_ev) == []
    _iv_signed(world)
    assert world.portfolio.status == S.IV_SIGNED and not EVFinding.objects.exists()
    assert _ready_notices(visiting_ev) == [("ev_due", READY)]
    assert _ready_links(_seen_on_dashboard(client, visiting_ev), world) == 1


def test_the_visiting_ev_is_told_when_the_iv_releases_a_held_unit(client, world, visiting_ev, visit):
    from assessments.models import SignatureKind
    from assessments.signoff.services import unit_sign
    from assessments.tests.test_signoff import cover_everything, submit

    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    response = as_(client, world.iv).post(reverse("signoff_release", args=[world.portfolio.pk]), follow=True)
    assert "Released without sampling." in text(response)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.IV_RELEASED
    assert _ready_notices(visiting_ev) == [("ev_due", READY)]
    assert _ready_links(_seen_on_dashboard(client, visiting_ev), world) == 1


def _ready_links(page: str, world) -> int:
    """How often the dashboard's "Needs your action" links the notice to the unit's sign-off page."""
    panel = page[page.index('id="needs-action-list"') :]
    return panel.count(f'<a href="{reverse("signoff", args=[world.portfolio.pk])}">{html.escape(READY)}</a>')
