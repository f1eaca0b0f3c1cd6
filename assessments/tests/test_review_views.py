"""The assessor reviews evidence: accept or send back, a verdict on each claim, and the feedback thread. The
assessor's own records are tested in test_assessor_record_views.py."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.evidence.uploads import inspect_upload
from assessments.judgement.completeness import completeness
from assessments.models import (
    ClaimJudgement,
    Decision,
    Evidence,
    EvidenceSetting,
    Feedback,
    Portfolio,
    PortfolioStatus,
    Verdict,
)
from assessments.tests.test_evidence_views import add, crit, rng
from audit.models import AuditEvent
from people.models import Role
from tests import samples
from tests.factories import member
from tests.pages import assert_one_layout
from units.models import Criterion


def field(claim) -> str:
    return f"claim_c{claim.pk}" if isinstance(claim, Criterion) else f"claim_r{claim.pk}"


def judge_data(decision: str, verdicts: dict, feedback: str = "") -> dict:
    """POST data for the review form; `verdicts` maps "2.1" or "b" (a range letter) to a verdict."""
    data = {"decision": decision, "feedback": feedback}
    for code, verdict in verdicts.items():
        data[field(crit(code) if "." in code else rng(code))] = verdict
    return data


def verdicts_of(evidence: Evidence) -> dict[str, str]:
    return {
        (j.criterion.code if j.criterion_id else j.range_item.letter): j.verdict
        for j in ClaimJudgement.objects.filter(evidence=evidence).select_related("criterion__outcome", "range_item")
    }


def lock(world) -> None:
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    world.portfolio.refresh_from_db()


@pytest.fixture
def assessor_client(client, world):
    client.force_login(world.assessor)
    return client


@pytest.fixture
def item(world) -> Evidence:
    return add(world, method="PE", criteria=["2.1", "2.4"], range_items=["b"], title="Complaints log")


def review(item: Evidence) -> str:
    return reverse("evidence_review", args=[item.pk])


def detail(item: Evidence) -> str:
    return reverse("evidence_detail", args=[item.pk])


# Reviewing


def test_assessor_accepts_an_item_with_every_claim_confirmed(assessor_client, world, item):
    page = assessor_client.get(review(item)).content.decode()
    # Worded as the learner's awarding body words it: City & Guilds' workbook.
    assert f"<strong>220.2.1</strong> {crit('2.1').workbook_text}" in page and crit("2.1").text not in page
    assert "Range b" in page and rng("b").text in page
    assert 'name="decision"' in page
    response = assessor_client.post(
        review(item), judge_data(Decision.ACCEPTED, {"2.1": "confirmed", "2.4": "confirmed", "b": "confirmed"})
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.decision == Decision.ACCEPTED
    assert item.decided_by == world.assessor and item.decided_at is not None
    assert verdicts_of(item) == {"2.1": "confirmed", "2.4": "confirmed", "b": "confirmed"}
    assert set(ClaimJudgement.objects.values_list("judged_by", flat=True)) == {world.assessor.pk}
    event = AuditEvent.objects.get(action="evidence.judged")
    assert event.actor == world.assessor and event.actor_role == Role.ASSESSOR
    assert event.data["before"] == {"decision": "pending", "verdicts": {}}
    assert event.data["after"]["decision"] == "accepted"
    assert event.data["after"]["verdicts"] == {"2.1": "confirmed", "2.4": "confirmed", "range b": "confirmed"}


def test_accepting_needs_a_verdict_on_every_claim_said_once_at_the_top(assessor_client, world, item):
    response = assessor_client.post(review(item), judge_data(Decision.ACCEPTED, {"2.1": "confirmed"}))
    assert response.status_code == 200
    form = response.context["form"]
    label = crit("2.4").label(world.portfolio.unit_code)
    assert form.errors == {
        "__all__": [
            f"2 claims have no verdict: {label}, Range b. Mark each Confirmed or Rejected, "
            "or tick \u201cConfirm all claims\u201d, before accepting the item."
        ]
    }
    assert [row.missing for row in form.claim_rows()] == [False, True, True]
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING
    assert not ClaimJudgement.objects.exists()
    # The service holds the same line.
    with pytest.raises(ValidationError, match="every claim"):
        services.evidence_judge(
            actor=world.assessor, evidence=item, decision=Decision.ACCEPTED, verdicts={crit("2.1"): "confirmed"}
        )


def test_sending_back_needs_feedback_beside_the_field_and_posts_it_to_the_thread(assessor_client, world, item):
    response = assessor_client.post(review(item), judge_data(Decision.SENT_BACK, {}))
    assert response.status_code == 200
    assert "feedback" in response.context["form"].errors
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING
    with pytest.raises(ValidationError) as exc:
        services.evidence_judge(actor=world.assessor, evidence=item, decision=Decision.SENT_BACK, verdicts={})
    assert "feedback" in exc.value.message_dict

    data = judge_data(Decision.SENT_BACK, {"2.1": "rejected"}, feedback="Say what you said to the customer.")
    data[f"{field(crit('2.1'))}_reason"] = "No customer is named."
    response = assessor_client.post(review(item), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.decision == Decision.SENT_BACK
    message = Feedback.objects.get(evidence=item)
    label = crit("2.1").label(world.portfolio.unit_code)
    expected = f"Say what you said to the customer.\n\nNot confirmed:\n{label}: No customer is named."
    assert (message.author, message.role, message.text) == (world.assessor, Role.ASSESSOR, expected)
    assert AuditEvent.objects.get(action="evidence.judged").data["feedback"] == expected
    # A partial verdict is kept when sending back.
    assert verdicts_of(item) == {"2.1": "rejected"}


def test_rejecting_one_claim_leaves_it_uncovered_for_the_sign_off(assessor_client, world, item):
    data = judge_data(Decision.ACCEPTED, {"2.1": "confirmed", "2.4": "rejected", "b": "confirmed"})
    data[f"{field(crit('2.4'))}_reason"] = "The log does not show how you checked the customer was satisfied."
    response = assessor_client.post(review(item), data)
    assert response.status_code == 302
    assert verdicts_of(item) == {"2.1": "confirmed", "2.4": "rejected", "b": "confirmed"}
    missing = {c.code for c in completeness(world.portfolio).missing_criteria}
    assert "2.4" in missing and "2.1" not in missing
    page = assessor_client.get(detail(item)).content.decode()
    assert "Rejected" in page and "Confirmed" in page
    # The form comes back with the verdicts on record.
    form = assessor_client.get(review(item)).context["form"]
    assert form.initial[field(crit("2.4"))] == "rejected"
    assert form.initial["decision"] == Decision.ACCEPTED


def test_a_verdict_on_something_the_item_does_not_claim_is_refused(world, item):
    with pytest.raises(ValidationError, match="does not claim"):
        services.evidence_judge(
            actor=world.assessor,
            evidence=item,
            decision=Decision.ACCEPTED,
            verdicts={
                crit("2.1"): "confirmed",
                crit("2.4"): "confirmed",
                rng("b"): "confirmed",
                crit("3.1"): "confirmed",
            },
        )


# Confirm all claims, with exceptions; the photos beside the claims

MANY = [f"2.{n}" for n in range(1, 11)] + [f"3.{n}" for n in range(1, 7)]


@pytest.fixture
def csrf_assessor(world) -> Client:
    """The assessor in a browser-like client that enforces CSRF, as the live site does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.assessor)
    return client


def post_review(client: Client, evidence: Evidence, data: dict):
    """Open the review page, then send its form back with the page's CSRF token."""
    page = client.get(review(evidence)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client.post(review(evidence), {"csrfmiddlewaretoken": token, **data})


def reason(code: str) -> str:
    return f"{field(crit(code) if '.' in code else rng(code))}_reason"


def test_confirm_all_confirms_every_claim_but_the_exception_whose_reason_reaches_the_learner(csrf_assessor, world):
    item = add(world, method="PE", criteria=MANY, range_items=["a", "b", "c", "d"], title="Week of complaints")
    data = judge_data(Decision.ACCEPTED, {"3.2": "rejected"})
    data |= {"confirm_all": "on", reason("3.2"): "Nothing shows how you followed it up."}
    response = post_review(csrf_assessor, item, data)
    assert response.status_code == 302
    verdicts = verdicts_of(item)
    assert len(verdicts) == 20
    assert verdicts.pop("3.2") == "rejected"
    assert set(verdicts.values()) == {"confirmed"}
    label = crit("3.2").label(world.portfolio.unit_code)
    assert Feedback.objects.get(evidence=item).text == f"Not confirmed:\n{label}: Nothing shows how you followed it up."
    assert Evidence.objects.get(pk=item.pk).decision == Decision.ACCEPTED


def test_without_confirm_all_an_unmarked_claim_gets_no_verdict_when_sending_back(csrf_assessor, world, item):
    response = post_review(csrf_assessor, item, judge_data(Decision.SENT_BACK, {"b": "confirmed"}, feedback="More."))
    assert response.status_code == 302
    assert verdicts_of(item) == {"b": "confirmed"}


def test_many_missing_verdicts_give_one_summary_and_keep_what_was_entered(csrf_assessor, world):
    item = add(world, method="PE", criteria=MANY, range_items=["a", "b", "c", "d"], title="Week of complaints")
    chosen = dict.fromkeys(MANY[:-3], "confirmed")
    response = post_review(csrf_assessor, item, judge_data(Decision.ACCEPTED, chosen, feedback="Well organised."))
    assert response.status_code == 200
    html = response.content.decode()
    assert_one_layout(html)
    unit_code = world.portfolio.unit_code
    missing = [crit(c).label(unit_code) for c in MANY[-3:]] + ["Range a", "Range b", "Range c", "Range d"]
    assert html.count("claims have no verdict") == 1
    assert f"7 claims have no verdict: {', '.join(missing)}." in html
    assert html.count(">No verdict</span>") == 7
    assert "Confirm or reject this claim" not in html
    form = response.context["form"]
    assert [row.label for row in form.claim_rows() if row.missing] == missing
    assert form["feedback"].value() == "Well organised."
    assert all(form[field(crit(c))].value() == "confirmed" for c in MANY[:-3])
    assert not ClaimJudgement.objects.exists() and not Feedback.objects.exists()


def test_with_no_verdict_at_all_the_summary_does_not_list_every_claim(csrf_assessor, world, item):
    response = post_review(csrf_assessor, item, judge_data(Decision.ACCEPTED, {}))
    assert response.context["form"].non_field_errors() == [
        "None of the 3 claims has a verdict. Mark each Confirmed or Rejected, or tick \u201cConfirm all claims\u201d, "
        "before accepting the item."
    ]
    assert response.content.decode().count(">No verdict</span>") == 3


def test_a_newly_rejected_claim_needs_its_reason_beside_it(csrf_assessor, world, item):
    data = judge_data(Decision.ACCEPTED, {"2.4": "rejected"}) | {"confirm_all": "on"}
    response = post_review(csrf_assessor, item, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[reason("2.4")] == ["Say why this claim is not confirmed: the learner reads it in the feedback."]
    label = crit("2.4").label(world.portfolio.unit_code)
    assert form.non_field_errors() == [f"1 rejected claim needs a reason: {label}."]
    assert form["confirm_all"].value() is True
    assert not ClaimJudgement.objects.exists()
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING


def test_a_claim_already_rejected_on_record_needs_no_new_reason(csrf_assessor, world, item):
    services.evidence_judge(
        actor=world.assessor,
        evidence=item,
        decision=Decision.SENT_BACK,
        verdicts={crit("2.4"): "rejected"},
        feedback="2.4: say how you checked.",
    )
    response = post_review(
        csrf_assessor, item, judge_data(Decision.ACCEPTED, {"2.4": "rejected"}) | {"confirm_all": "on"}
    )
    assert response.status_code == 302
    assert verdicts_of(item) == {"2.1": "confirmed", "2.4": "rejected", "b": "confirmed"}
    assert Feedback.objects.filter(evidence=item).count() == 1


def test_an_item_that_claims_nothing_offers_no_confirm_all(assessor_client, world):
    item = add(world, method="PE", title="Unmapped")
    html = assessor_client.get(review(item)).content.decode()
    assert "This item claims nothing in this unit" in html
    assert 'name="confirm_all"' not in html


def test_the_photos_show_beside_the_claims_through_the_checked_thumbnail_view(assessor_client, client, world):
    files = [
        inspect_upload(SimpleUploadedFile(name, content))
        for name, content in (("till.jpg", samples.jpeg()), ("board.png", samples.png()), ("log.pdf", samples.pdf()))
    ]
    item = add(world, method="PE", criteria=["2.1"], title="Complaints log", files=files)
    html = assessor_client.get(review(item)).content.decode()
    assert_one_layout(html)
    photos = {f.original_name: f for f in item.files.all()}
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert images == [
        (
            reverse("file_thumbnail", args=[photos["till.jpg"].pk]),
            f"Photo 1 of 2 in {item.reference} Complaints log, from the file till.jpg",
        ),
        (
            reverse("file_thumbnail", args=[photos["board.png"].pk]),
            f"Photo 2 of 2 in {item.reference} Complaints log, from the file board.png",
        ),
    ]
    # The photos come before the claims, so a phone shows them first; a wide screen puts them beside.
    assert html.index('id="photos-heading"') < html.index("What the item claims in this unit")
    assert 'class="col-lg-5 order-lg-2"' in html
    thumbnail = assessor_client.get(images[0][0])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    client.force_login(world.outsider)
    assert client.get(images[0][0]).status_code == 404


@pytest.mark.parametrize("persona", ["learner", "iv", "ev", "admin"])
def test_only_the_assessor_may_judge(client, world, item, persona):
    client.force_login(world.persona(persona))
    assert client.get(review(item)).status_code == 403
    data = judge_data(Decision.ACCEPTED, {"2.1": "confirmed", "2.4": "confirmed", "b": "confirmed"})
    assert client.post(review(item), data).status_code == 403
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING


def test_another_assessor_at_the_centre_gets_404_and_the_service_refuses_them(client, world, item):
    other = member(world.centre, Role.ASSESSOR)
    client.force_login(other)
    assert client.get(review(item)).status_code == 404
    assert client.get(detail(item)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.evidence_judge(actor=other, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback="No.")
    with pytest.raises(PermissionDenied):
        services.evidence_judge(
            actor=world.learner, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback="x"
        )


def test_judging_a_locked_portfolio_is_refused(assessor_client, world, item):
    lock(world)
    page = assessor_client.get(review(item)).content.decode()
    assert "Locked." in page and "signed off" in page
    assert 'name="decision"' not in page
    response = assessor_client.post(
        review(item), judge_data(Decision.ACCEPTED, {"2.1": "confirmed", "2.4": "confirmed", "b": "confirmed"})
    )
    assert response.status_code == 302
    followed = assessor_client.get(response.url).content.decode()
    assert "Nothing was saved." in followed
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING
    with pytest.raises(ValidationError, match="locked"):
        services.evidence_judge(
            actor=world.assessor, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback="Redo it."
        )
    assert not ClaimJudgement.objects.exists()


# The learner changes an item


def _accept_all(world, item):
    services.evidence_judge(
        actor=world.assessor,
        evidence=item,
        decision=Decision.ACCEPTED,
        verdicts={crit("2.1"): "confirmed", crit("2.4"): "confirmed", rng("b"): "confirmed"},
    )


def test_a_learner_edit_resets_the_decision_and_drops_judgements_of_unmapped_claims(client, world, item):
    _accept_all(world, item)
    client.force_login(world.learner)
    response = client.post(
        reverse("evidence_edit", args=[item.pk]),
        {
            "title": item.title,
            "method": item.method_id,
            "activity_date": item.activity_date.isoformat(),
            "setting": EvidenceSetting.REAL_WORK,
            "description": "",
            "criteria": [crit("2.1").pk],
            "range_items": [],
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.decision, item.decided_by, item.decided_at) == (Decision.PENDING, None, None)
    assert verdicts_of(item) == {"2.1": "confirmed"}
    event = AuditEvent.objects.get(action="evidence.reopened")
    assert event.data["before"] == {"decision": "accepted"} and event.data["after"] == {"decision": "pending"}
    assert {(d["criterion"], d["range"]) for d in event.data["judgements_dropped"]} == {("2.4", None), (None, "b")}


def test_a_learner_save_that_changes_nothing_keeps_the_decision(world, item):
    _accept_all(world, item)
    item = Evidence.objects.get(pk=item.pk)
    services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        evidence=item,
        title=item.title,
        method=item.method,
        activity_date=item.activity_date,
        setting=item.setting,
        description=item.description,
        criteria=[crit("2.1"), crit("2.4")],
        range_items=[rng("b")],
    )
    assert Evidence.objects.get(pk=item.pk).decision == Decision.ACCEPTED
    assert len(verdicts_of(item)) == 3
    assert not AuditEvent.objects.filter(action="evidence.reopened").exists()


def test_a_learner_changing_the_description_of_a_sent_back_item_puts_it_back_to_the_assessor(world, item):
    services.evidence_judge(
        actor=world.assessor, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback="Say more."
    )
    item = Evidence.objects.get(pk=item.pk)
    add_kwargs = {"criteria": [crit("2.1"), crit("2.4")], "range_items": [rng("b")]}
    services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        evidence=item,
        title=item.title,
        method=item.method,
        activity_date=item.activity_date,
        setting=item.setting,
        description="I listened, apologised and offered a refund.",
        **add_kwargs,
    )
    assert Evidence.objects.get(pk=item.pk).decision == Decision.PENDING


# The feedback thread


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv", "ev", "admin"])
def test_the_feedback_thread_shows_to_everyone_linked(client, world, item, persona):
    services.feedback_post(actor=world.assessor, evidence=item, text="Which customer was this?")
    services.feedback_post(actor=world.learner, evidence=item, text="The one with the late parcel.")
    client.force_login(world.persona(persona))
    page = client.get(detail(item)).content.decode()
    assert page.index("Which customer was this?") < page.index("The one with the late parcel.")
    may_write = persona in ("learner", "assessor")
    assert ("Add to the thread" in page) is may_write
    response = client.post(reverse("evidence_feedback", args=[item.pk]), {"text": f"From {persona}"})
    assert response.status_code == (302 if may_write else 403)
    assert Feedback.objects.filter(text=f"From {persona}").exists() is may_write


def test_the_outsider_and_unlinked_people_get_404_on_the_thread(client, world, item):
    for person in (world.outsider, member(world.centre, Role.LEARNER), member(world.centre, Role.IV)):
        client.force_login(person)
        assert client.get(detail(item)).status_code == 404
        assert client.post(reverse("evidence_feedback", args=[item.pk]), {"text": "Hi"}).status_code == 404


def test_an_empty_message_gets_an_error_and_the_service_refuses_readers(client, world, item):
    client.force_login(world.learner)
    response = client.post(reverse("evidence_feedback", args=[item.pk]), {"text": "  "})
    assert response.status_code == 200
    assert "text" in response.context["feedback_form"].errors
    assert not Feedback.objects.exists()
    for reader in (world.iv, world.admin, world.ev):
        with pytest.raises(PermissionDenied):
            services.feedback_post(actor=reader, evidence=item, text="Looks fine.")
    posted = services.feedback_post(actor=world.learner, evidence=item, text="Thanks")
    assert posted.role == Role.LEARNER
    assert AuditEvent.objects.get(action="evidence.feedback").data["text"] == "Thanks"


def test_the_thread_is_read_only_once_the_unit_is_signed(client, world, item):
    services.feedback_post(actor=world.assessor, evidence=item, text="Good work.")
    lock(world)
    client.force_login(world.learner)
    page = client.get(detail(item)).content.decode()
    assert "Good work." in page and "Add to the thread" not in page
    response = client.post(reverse("evidence_feedback", args=[item.pk]), {"text": "Thank you"})
    assert response.status_code == 302
    assert not Feedback.objects.filter(text="Thank you").exists()


# Pages


def test_the_evidence_list_links_to_the_item_and_the_assessors_review(client, world, item):
    client.force_login(world.assessor)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert review(item) in listing and detail(item) in listing
    assert "Waiting for the assessor" in listing
    client.force_login(world.learner)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert review(item) not in listing and detail(item) in listing


def test_new_pages_use_no_inline_script_or_style(client, world, item):
    services.feedback_post(actor=world.learner, evidence=item, text="Hello")
    client.force_login(world.assessor)
    pages = [review(item), detail(item)]
    for url in pages:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url


@pytest.mark.parametrize("name", ["evidence_review", "evidence_detail"])
def test_review_and_item_pages_run_the_same_queries_whatever_the_claims_and_messages(assessor_client, world, name):
    def count(evidence) -> int:
        url = reverse(name, args=[evidence.pk])
        assessor_client.get(url)  # the first visit also saves the session
        with CaptureQueriesContext(connection) as queries:
            assert assessor_client.get(url).status_code == 200
        return len(queries)

    small = add(world, criteria=["2.1"], range_items=["a"], title="Small")
    services.feedback_post(actor=world.learner, evidence=small, text="One message")
    services.evidence_judge(
        actor=world.assessor,
        evidence=small,
        decision=Decision.ACCEPTED,
        verdicts={crit("2.1"): Verdict.CONFIRMED, rng("a"): Verdict.REJECTED},
    )
    codes = [c.code for c in Criterion.objects.filter(outcome__unit=world.portfolio.unit)]
    big = add(world, criteria=codes, range_items=list("abcd"), title="Big")
    services.evidence_judge(
        actor=world.assessor,
        evidence=big,
        decision=Decision.ACCEPTED,
        verdicts={**{crit(c): Verdict.CONFIRMED for c in codes}, **{rng(x): Verdict.CONFIRMED for x in "abcd"}},
    )
    for n in range(25):
        services.feedback_post(actor=world.learner if n % 2 else world.assessor, evidence=big, text=f"Message {n}")
    assert count(small) == count(big)
