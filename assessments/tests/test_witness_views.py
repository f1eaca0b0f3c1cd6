"""Witness testimony: the witness confirms or corrects their statement through an emailed single-use link,
without an account; the learner cannot change it afterwards."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Evidence, EvidenceSetting, WitnessRequest, WitnessStatus
from audit.models import AuditEvent
from units.models import AssessmentMethod, Criterion, RangeItem

STATEMENT = "I saw Lena calm an angry customer whose delivery was late, and agree a new date with him."
LOCKED = "The witness has confirmed this statement, so it cannot be changed."
DEAD = "This link no longer works"
C4 = "deliver-customer-service-to-difficult-customers"


def crit(code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__unit__slug=C4, outcome__number=int(outcome), number=int(number))


def form_data(**overrides):
    data = {
        "title": "Account of the late delivery, from my manager",
        "method": AssessmentMethod.objects.get(code="WT").pk,
        "activity_date": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "setting": EvidenceSetting.REAL_WORK,
        "description": "",
        "criteria": [crit("2.1").pk, crit("2.4").pk],
        "range_items": [RangeItem.objects.get(unit__slug=C4, letter="b").pk],
        "witness_name": "Sam Supervisor",
        "witness_job_title": "Shift manager",
        "witness_relationship": "Line manager",
        "witness_email": "sam@shop.example",
        "witness_statement": STATEMENT,
    }
    data.update(overrides)
    return data


def link_in(message) -> str:
    """The path of the witness link in an email, checked to start with the site's address."""
    match = re.search(r"(\S+/witness/[^/\s]+/)", message.body)
    assert match, message.body
    assert match.group(1).startswith(settings.SITE_URL + "/")
    return match.group(1)[len(settings.SITE_URL) :]


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


@pytest.fixture
def witness():
    # The witness has no account and no session: a browser of their own, with CSRF checks on.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def testimony(learner_client, world, mailoutbox, django_capture_on_commit_callbacks):
    """A witness testimony item added through the form, and the link emailed to the witness."""
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(reverse("evidence_add", args=[world.portfolio.pk]), form_data())
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    return Evidence.objects.get(portfolio=world.portfolio), link_in(mailoutbox[0])


def origin_sent_by_a_browser(page) -> str:
    """The Origin header Chromium and Firefox put on a form posted back to the page's own site: "null" when the
    page's Referrer-Policy is no-referrer (the Fetch standard's rule), else the site's origin."""
    return "null" if page.headers.get("Referrer-Policy") == "no-referrer" else "http://testserver"


def answer(client: Client, link: str, action: str, **fields):
    """Open the page, as the witness would, then post the answer as their browser would: with the page's CSRF token
    and version, and the Origin header the page's referrer policy lets the browser send."""
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    return client.post(
        link,
        {"csrfmiddlewaretoken": token, "version": version, "action": action, **fields},
        headers={"origin": origin_sent_by_a_browser(page)},
    )


def test_adding_witness_testimony_emails_the_witness_a_working_link(testimony, world, mailoutbox, witness):
    evidence, link = testimony
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED
    message = mailoutbox[0]
    assert message.to == ["sam@shop.example"]
    assert "Lena Learner" in message.subject
    expires = timezone.localtime(WitnessRequest.objects.get(evidence=evidence).expires_at)
    assert expires.date() == timezone.localdate() + datetime.timedelta(days=settings.WITNESS_LINK_DAYS)
    assert f"on {expires:%d/%m/%Y}" in message.body
    assert "Lena Learner" in message.body and world.portfolio.unit.title in message.body
    assert AuditEvent.objects.filter(action="witness.requested", target_id=str(evidence.pk)).exists()

    page = witness.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    for shown in ["Lena Learner", world.portfolio.unit.title, evidence.title, STATEMENT, crit("2.1").text]:
        assert shown in html
    assert crit("2.1").label(world.portfolio.unit_code) in html
    assert evidence.activity_date.strftime("%d/%m/%Y") in html
    assert "Confirm this statement" in html and "Correct it" in html
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html


def test_the_witness_confirms_once_and_the_link_then_stops_working(testimony, witness):
    evidence, link = testimony
    response = answer(witness, link, "confirm")
    assert response.status_code == 200
    assert "You have confirmed the statement" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.CONFIRMED
    assert evidence.witness_confirmed_at is not None
    event = AuditEvent.objects.get(action="witness.confirmed", target_id=str(evidence.pk))
    assert event.actor is None and event.actor_role == "witness"
    assert event.data["witness_email"] == "sam@shop.example" and event.data["statement"] == STATEMENT
    assert event.data["criteria"] == ["2.1", "2.4"]

    again = witness.get(link)
    assert again.status_code == 410
    html = again.content.decode()
    assert DEAD in html and STATEMENT not in html and "Lena" not in html
    assert again.headers["Referrer-Policy"] == "same-origin" and again.headers["Cache-Control"] == "no-store"
    with pytest.raises(services.WitnessLinkError):
        services.witness_confirm(token=link.split("/")[-2])
    assert AuditEvent.objects.filter(action="witness.confirmed").count() == 1


@pytest.mark.parametrize("action", ["confirm", "correct"])
def test_both_answers_pass_the_csrf_check_a_browser_meets(testimony, witness, action):
    evidence, link = testimony
    page = witness.get(link)
    # Under "no-referrer" the browser posts "Origin: null", and Django refuses that as a forged request.
    assert page.headers["Referrer-Policy"] not in {"no-referrer", "unsafe-url", "no-referrer-when-downgrade"}
    assert origin_sent_by_a_browser(page) == "http://testserver"
    response = answer(witness, link, action, statement="What I really saw: Lena calmed him and agreed a new date.")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.witness_status == {"confirm": WitnessStatus.CONFIRMED, "correct": WitnessStatus.CORRECTED}[action]


def test_an_answer_without_the_pages_csrf_token_is_refused_and_changes_nothing(testimony, witness):
    evidence, link = testimony
    witness.get(link)
    response = witness.post(
        link, {"version": evidence.updated_at.isoformat(), "action": "confirm"}, headers={"origin": "http://testserver"}
    )
    assert response.status_code == 403
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED


def test_a_second_answer_from_the_same_page_is_refused(testimony):
    evidence, link = testimony
    client = Client()
    version = evidence.updated_at.isoformat()
    assert client.post(link, {"action": "confirm", "version": version}).status_code == 200
    refused = client.post(link, {"action": "correct", "version": version, "statement": "Something else."})
    assert refused.status_code == 410
    evidence.refresh_from_db()
    assert (evidence.witness_status, evidence.witness_statement) == (WitnessStatus.CONFIRMED, STATEMENT)


def test_an_expired_link_is_gone(testimony, witness):
    evidence, link = testimony
    WitnessRequest.objects.filter(evidence=evidence).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = witness.get(link)
    assert response.status_code == 410
    assert DEAD in response.content.decode() and STATEMENT not in response.content.decode()
    assert Client().post(link, {"action": "confirm", "version": evidence.updated_at.isoformat()}).status_code == 410
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED


def test_an_unknown_link_is_not_found(world, witness):
    response = witness.get(reverse("witness_respond", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert DEAD in response.content.decode()
    assert response.headers["Referrer-Policy"] == "same-origin" and response.headers["Cache-Control"] == "no-store"
    assert (
        Client().post(reverse("witness_respond", args=["not-a-real-token"]), {"action": "confirm"}).status_code == 404
    )


def test_the_witness_corrects_the_statement_and_the_original_stays_in_the_audit_trail(testimony, witness):
    evidence, link = testimony
    corrected = "I saw Lena calm an angry customer. She offered a refund; the manager agreed the new date."
    response = answer(witness, link, "correct", statement=corrected)
    assert response.status_code == 200
    assert "Your corrected statement has been saved" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.CORRECTED
    assert evidence.witness_statement == corrected
    event = AuditEvent.objects.get(action="witness.corrected", target_id=str(evidence.pk))
    assert event.data["original_statement"] == STATEMENT
    assert event.data["statement"] == corrected
    assert event.data["witness_name"] == "Sam Supervisor"
    assert witness.get(link).status_code == 410


@pytest.mark.parametrize(("statement", "message"), [("   ", "This field is required"), (STATEMENT, "not changed")])
def test_a_correction_must_change_something(testimony, witness, statement, message):
    evidence, link = testimony
    response = answer(witness, link, "correct", statement=statement)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["statement"])
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED
    assert witness.get(link).status_code == 200


def test_an_answer_to_an_item_changed_while_the_page_was_open_is_not_taken(testimony, witness, learner_client):
    evidence, link = testimony
    page = witness.get(link).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    # The learner adds a criterion: the same link still works, but the witness must look again.
    learner_client.post(
        reverse("evidence_edit", args=[evidence.pk]),
        form_data(criteria=[crit("2.1").pk, crit("2.4").pk, crit("2.5").pk]),
    )
    response = witness.post(link, {"csrfmiddlewaretoken": token, "version": version, "action": "confirm"})
    assert response.status_code == 200
    assert "changed this evidence while you had the page open" in response.content.decode()
    assert crit("2.5").text in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED


def test_the_learner_cannot_change_a_confirmed_statement(testimony, learner_client, mailoutbox):
    evidence, link = testimony
    services.witness_confirm(token=link.split("/")[-2])
    url = reverse("evidence_edit", args=[evidence.pk])

    page = learner_client.get(url).content.decode()
    assert 'name="witness_statement"' not in page and STATEMENT in page
    assert "Witness: confirmed on " + timezone.localdate().strftime("%d/%m/%Y") in page

    response = learner_client.post(url, form_data(witness_statement="I saw Lena do everything perfectly."))
    assert response.status_code == 200
    assert response.context["form"].errors["witness_statement"] == [LOCKED]
    assert LOCKED in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.witness_statement == STATEMENT and evidence.witness_status == WitnessStatus.CONFIRMED

    # The service refuses too, whatever calls it.
    with pytest.raises(ValidationError) as refused:
        services.evidence_save(
            actor=evidence.portfolio.learner,
            portfolio=evidence.portfolio,
            evidence=evidence,
            title=evidence.title,
            method=evidence.method,
            activity_date=evidence.activity_date,
            setting=evidence.setting,
            criteria=list(evidence.criteria.all()),
            **{**{f: getattr(evidence, f) for f in services.WITNESS_FIELDS}, "witness_email": "me@example.org"},
        )
    assert refused.value.message_dict == {"witness_email": [LOCKED]}
    evidence.refresh_from_db()
    assert evidence.witness_email == "sam@shop.example"
    assert len(mailoutbox) == 1


def test_the_learner_may_still_change_the_rest_of_a_confirmed_item(testimony, learner_client, mailoutbox):
    evidence, link = testimony
    services.witness_confirm(token=link.split("/")[-2])
    data = {k: v for k, v in form_data(title="Renamed").items() if not k.startswith("witness_")}
    response = learner_client.post(reverse("evidence_edit", args=[evidence.pk]), data)
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.title == "Renamed"
    assert (evidence.witness_status, evidence.witness_statement) == (WitnessStatus.CONFIRMED, STATEMENT)
    assert len(mailoutbox) == 1


def test_editing_an_unconfirmed_statement_sends_a_new_link_and_the_old_one_stops_working(
    testimony, learner_client, mailoutbox, django_capture_on_commit_callbacks, witness
):
    evidence, old_link = testimony
    url = reverse("evidence_edit", args=[evidence.pk])
    with django_capture_on_commit_callbacks(execute=True):
        # Only the title changes: the witness is not asked again.
        learner_client.post(url, form_data(title="A better title"))
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(url, form_data(witness_statement=STATEMENT + " He thanked her."))
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new_link = link_in(mailoutbox[1])
    assert new_link != old_link
    assert witness.get(old_link).status_code == 410
    assert answer(witness, new_link, "confirm").status_code == 200
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.CONFIRMED
    assert evidence.witness_statement == STATEMENT + " He thanked her."


def test_changing_the_method_away_from_witness_testimony_and_back(
    testimony, learner_client, mailoutbox, django_capture_on_commit_callbacks, witness
):
    evidence, link = testimony
    url = reverse("evidence_edit", args=[evidence.pk])
    observation = AssessmentMethod.objects.get(code="O").pk
    response = learner_client.post(url, form_data(method=observation))
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.witness_status == "" and evidence.witness_statement == ""
    assert witness.get(link).status_code == 410
    with django_capture_on_commit_callbacks(execute=True):
        learner_client.post(url, form_data())
    evidence.refresh_from_db()
    assert evidence.witness_status == WitnessStatus.UNCONFIRMED
    assert len(mailoutbox) == 2 and witness.get(link_in(mailoutbox[1])).status_code == 200


def test_the_learner_resends_the_link(
    testimony, learner_client, mailoutbox, django_capture_on_commit_callbacks, witness
):
    evidence, old_link = testimony
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(reverse("witness_resend", args=[evidence.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portfolio_detail", args=[evidence.portfolio_id])
    assert "Sent Sam Supervisor a new link" in response.content.decode()
    assert len(mailoutbox) == 2
    assert witness.get(old_link).status_code == 410
    assert witness.get(link_in(mailoutbox[1])).status_code == 200
    assert WitnessRequest.objects.filter(evidence=evidence, cancelled_at__isnull=True).count() == 1

    services.witness_confirm(token=link_in(mailoutbox[1]).split("/")[-2])
    response = learner_client.post(reverse("witness_resend", args=[evidence.pk]), follow=True)
    assert "already confirmed" in response.content.decode()
    assert len(mailoutbox) == 2


def test_only_the_tokens_hash_is_stored(testimony):
    evidence, link = testimony
    token = link.split("/")[-2]
    request = WitnessRequest.objects.get(evidence=evidence)
    assert request.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(v) for row in WitnessRequest.objects.values() for v in row.values()]
    stored += [f"{e.summary} {e.data}" for e in AuditEvent.objects.all()]
    assert not any(token in value for value in stored)


def test_the_evidence_list_shows_whether_the_witness_has_confirmed(testimony, learner_client, world):
    evidence, link = testimony
    url = reverse("evidence_list", args=[world.portfolio.pk])
    assert "Witness: not yet confirmed" in learner_client.get(url).content.decode()
    services.witness_correct(token=link.split("/")[-2], statement="What I really saw.")
    assert "Witness: corrected by the witness" in learner_client.get(url).content.decode()


def test_the_evidence_form_shows_the_witness_status_and_offers_a_new_link(testimony, learner_client):
    evidence, link = testimony
    page = learner_client.get(reverse("evidence_edit", args=[evidence.pk])).content.decode()
    assert "Witness: not yet confirmed" in page
    assert "A link was sent to sam@shop.example" in page
    assert 'form="witness-resend"' in page and reverse("witness_resend", args=[evidence.pk]) in page
    assert 'name="witness_statement"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " style=" not in page and "<style" not in page


def test_the_witness_sees_what_it_claims_in_the_learners_other_units_too(
    learner_client, world, second_portfolio, mailoutbox, django_capture_on_commit_callbacks, witness
):
    other = Criterion.objects.get(outcome__unit=second_portfolio.unit, outcome__number=1, number=1)
    with django_capture_on_commit_callbacks(execute=True):
        learner_client.post(
            reverse("evidence_add", args=[world.portfolio.pk]), form_data(criteria=[crit("2.1").pk, other.pk])
        )
    html = witness.get(link_in(mailoutbox[0])).content.decode()
    assert second_portfolio.unit.title in html
    assert f"<strong>998.1.1</strong> {other.text}" in html
    assert f"<strong>220.2.1</strong> {crit('2.1').text}" in html


def test_a_confirmed_item_that_stops_being_witness_testimony_keeps_the_answer_in_the_audit_trail(
    testimony, learner_client
):
    evidence, link = testimony
    services.witness_confirm(token=link.split("/")[-2])
    data = {k: v for k, v in form_data().items() if not k.startswith("witness_")}
    response = learner_client.post(
        reverse("evidence_edit", args=[evidence.pk]), {**data, "method": AssessmentMethod.objects.get(code="O").pk}
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.witness_status, evidence.witness_statement, evidence.witness_confirmed_at) == ("", "", None)
    event = AuditEvent.objects.get(action="witness.dropped", target_id=str(evidence.pk))
    assert event.data["witness_statement"] == STATEMENT and event.data["status"] == WitnessStatus.CONFIRMED


# --- The unit is signed before the witness answers ----------------------------------------------------------


@pytest.fixture
def signed_while_the_page_is_open(testimony, world, witness):
    """The witness opens the page; the assessor then signs the unit on the other evidence. Returns the item, the
    link and what the open page would post back (its CSRF token and version)."""
    from assessments.models import Decision, PortfolioStatus, SignatureKind
    from assessments.signoff.services import unit_sign
    from assessments.tests.test_signoff import cover_everything, submit
    from tests.factories import PASSWORD

    evidence, link = testimony
    # The unit is complete without this item: the assessor sent it back rather than wait for the witness.
    Evidence.objects.filter(pk=evidence.pk).update(decision=Decision.SENT_BACK, decided_by=world.assessor)
    evidence.refresh_from_db()
    html = witness.get(link).content.decode()
    opened = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1),
        "version": re.search(r'name="version" value="([^"]+)"', html).group(1),
    }
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.ASSESSOR_SIGNED
    return evidence, link, opened


SIGNED = "Your answer is not needed now"


@pytest.mark.parametrize("action", ["confirm", "correct"])
def test_an_answer_after_the_unit_is_signed_is_not_recorded_and_the_witness_is_told_so(
    signed_while_the_page_is_open, witness, action
):
    evidence, link, opened = signed_while_the_page_is_open
    statement = "What I really saw: Lena calmed him and agreed a new date."
    response = witness.post(
        link, {**opened, "action": action, "statement": statement}, headers={"origin": "http://testserver"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert SIGNED in html and "was not recorded" in html
    assert html.count("<h1") == 1 and "<main" in html
    assert "Confirm this statement" not in html and STATEMENT not in html
    assert response.headers["Referrer-Policy"] == "same-origin" and response.headers["Cache-Control"] == "no-store"
    evidence.refresh_from_db()
    assert (evidence.witness_status, evidence.witness_statement) == (WitnessStatus.UNCONFIRMED, STATEMENT)
    assert not AuditEvent.objects.filter(action__in=["witness.confirmed", "witness.corrected"]).exists()
    assert WitnessRequest.objects.get(evidence=evidence).used_at is None


def test_the_link_of_a_signed_unit_opens_on_the_plain_page_and_the_service_refuses_too(
    signed_while_the_page_is_open, witness
):
    evidence, link, opened = signed_while_the_page_is_open
    page = witness.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert SIGNED in html and "Confirm this statement" not in html and STATEMENT not in html
    with pytest.raises(services.WitnessLinkError) as refused:
        services.witness_confirm(token=link.split("/")[-2])
    assert refused.value.signed


def test_the_learner_cannot_send_a_new_link_for_a_signed_unit(signed_while_the_page_is_open, learner_client):
    evidence, link, opened = signed_while_the_page_is_open
    response = learner_client.post(reverse("witness_resend", args=[evidence.pk]), follow=True)
    assert "signed off" in response.content.decode()
    assert WitnessRequest.objects.filter(evidence=evidence).count() == 1
