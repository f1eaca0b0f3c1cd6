"""The assessor's and learner's remaining forms in a real browser: the assessment plan's actions added, changed,
deleted and agreed by both; the assessor's own observation record made and changed; a message on an item's thread
and the learner's reply; an item deleted; a witness sent a new link; a still-qualifying assessor's decision
countersigned; a signature withdrawn. After each form the person sees what was saved, once."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Evidence, PlanAction, PortfolioStatus, SignatureKind
from assessments.signoff.services import unit_sign
from assessments.tests.test_evidence_views import add, crit, rng
from assessments.tests.test_signoff import cover_everything, submit
from people.models import Qualification, Role
from tests.browser.helpers import said_once, uk
from tests.factories import PASSWORD, PortfolioFactory, member

pytestmark = pytest.mark.browser


def test_assessor_adds_changes_and_deletes_plan_actions_and_both_agree_on_phones(open_as, world):
    today = timezone.localdate()
    assessor = open_as(world.assessor.email, phone=True)
    plan = f"/portfolios/{world.portfolio.pk}/plan/"
    assessor.goto(plan)
    expect(assessor.get_by_text("No actions yet.")).to_be_visible()

    for description, days in (("Observe a complaint at the service desk", 14), ("Answer the written questions", 21)):
        assessor.get_by_role("link", name="Add an action").click()
        assessor.get_by_label("What is to be gathered or done").fill(description)
        assessor.get_by_label("Assessment method").select_option(index=1)
        assessor.get_by_label("Due by").fill((today + datetime.timedelta(days=days)).isoformat())
        assessor.get_by_label(f"1.1 {crit('1.1').text}").check()
        assessor.get_by_role("button", name="Add the action").click()
        said_once(assessor, "Added the action to the plan. The learner and you need to agree to it again.")
    expect(assessor.get_by_text("0 of 2 done")).to_be_visible()

    # The first is moved a week later.
    first_due = uk(today + datetime.timedelta(days=14))
    assessor.get_by_role("link", name=f"Change the action due {first_due}").click()
    assessor.get_by_label("Due by").fill((today + datetime.timedelta(days=28)).isoformat())
    assessor.get_by_role("button", name="Save the action").click()
    said_once(assessor, "Saved the action. The learner and you need to agree to the plan again.")
    expect(assessor.get_by_role("row").filter(has_text="Observe a complaint")).to_contain_text(
        uk(today + datetime.timedelta(days=28))
    )

    # The second is dropped, after a page that asks.
    second_due = uk(today + datetime.timedelta(days=21))
    assessor.get_by_role("link", name=f"Delete the action due {second_due}").click()
    assessor.get_by_role("button", name="Delete the action").click()
    said_once(assessor, "Deleted the action. The learner and you need to agree to the plan again.")
    expect(assessor.get_by_text("Answer the written questions")).to_have_count(0)
    assert list(PlanAction.objects.values_list("description", flat=True)) == ["Observe a complaint at the service desk"]

    assessor.get_by_role("button", name="I agree to this plan").click()
    said_once(assessor, "You have agreed to this assessment plan.")
    expect(assessor.locator("#agreements")).to_contain_text("Agreed by the assessor, Asha Assessor")
    expect(assessor.locator("#agreements")).to_contain_text("Not yet agreed by the learner")

    learner = open_as(world.learner.email, phone=True)
    learner.goto(plan)
    learner.get_by_role("button", name="I agree to this plan").click()
    said_once(learner, "You have agreed to this assessment plan.")
    expect(learner.locator("#agreements")).to_contain_text("Agreed by the learner, Lena Learner")
    expect(learner.get_by_role("button", name="I agree to this plan")).to_have_count(0)
    assert assessor.problems == [] and learner.problems == []


def test_assessor_records_an_observation_writes_on_a_thread_and_the_learner_replies_deletes_and_re_sends(
    open_as, world
):
    item = add(world, criteria=["1.1"], range_items=["a"], title="Refund at the till")
    spare = add(world, criteria=["1.2"], range_items=["b"], title="A duplicate photo", days_ago=2)
    assessor = open_as(world.assessor.email)

    # The assessor's own record of an observation, then a correction to it.
    assessor.goto(f"/portfolios/{world.portfolio.pk}/")
    assessor.get_by_role("link", name="Record an observation").click()
    assessor.get_by_label("Title").fill("Observed: a complaint about a late delivery")
    # The date's label is "Date" and a required mark, which no label match can single out from the criteria.
    assessor.locator("#id_activity_date").fill((timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    assessor.get_by_label("Start time").fill("09:30")
    assessor.get_by_label("End time").fill("10:15")
    assessor.get_by_label("Where you observed the learner").fill("The service desk, Market Street")
    assessor.get_by_label(f"1.1 {crit('1.1').text}").check()
    one_one = crit("1.1").label(world.portfolio.unit_code)
    assessor.get_by_label(f"What you saw for {one_one}", exact=True).fill("Named the caller's behaviour.")
    assessor.get_by_label(f"a {rng('a').text}").check()
    assessor.get_by_label("What you saw for range a", exact=True).fill("An angry customer.")
    assessor.get_by_label("What you saw the learner do").fill("Lena listened, summarised and agreed a next step.")
    assessor.get_by_label("Your feedback to the learner").fill("Well handled.")
    assessor.get_by_role("button", name="Save the record").click()
    record = Evidence.objects.get(title="Observed: a complaint about a late delivery")
    said_once(assessor, f"Saved {record.reference} Observed: a complaint about a late delivery.")
    assessor.goto(f"/portfolios/{world.portfolio.pk}/evidence/")
    assessor.get_by_role("link", name=f"Change {record.reference}").click()
    description = assessor.get_by_label("What you saw the learner do")
    description.fill("Lena listened, summarised, apologised and agreed a next step.")
    assessor.get_by_role("button", name="Save changes").click()
    said_once(assessor, f"Saved {record.reference}")
    record.refresh_from_db()
    assert "apologised" in record.description

    # A message on the learner's item, and her reply.
    assessor.goto(f"/evidence/{item.pk}/")
    assessor.get_by_label("Your message").fill("Which till was this? Add the store's name.")
    assessor.get_by_role("button", name="Add to the thread").click()
    said_once(assessor, f"Your message on {item.reference} was added.")
    expect(assessor.get_by_text("Which till was this? Add the store's name.")).to_have_count(1)

    learner = open_as(world.learner.email)
    learner.goto(f"/evidence/{item.pk}/")
    expect(learner.get_by_text("Which till was this? Add the store's name.")).to_have_count(1)
    learner.get_by_label("Your message").fill("The Market Street store, till 3.")
    learner.get_by_role("button", name="Add to the thread").click()
    said_once(learner, f"Your message on {item.reference} was added.")
    expect(learner.get_by_text("The Market Street store, till 3.")).to_have_count(1)

    # She deletes the duplicate.
    learner.goto(f"/portfolios/{world.portfolio.pk}/evidence/")
    learner.get_by_role("link", name=f"Delete {spare.reference}").click()
    learner.get_by_role("button", name=f"Delete {spare.reference}").click()
    said_once(learner, f"Deleted {spare.reference}. Its reference will not be used again.")
    assert not Evidence.objects.filter(pk=spare.pk).exists()

    # A witness lost their link: she sends a new one from the item's form.
    witnessed = add(
        world,
        criteria=["2.1"],
        range_items=["c"],
        method="WT",
        title="Account from my manager",
        witness_name="Sam Supervisor",
        witness_relationship="Shift manager",
        witness_email="sam@shop.example",
        witness_statement="Lena calmed an angry customer and found the parcel.",
    )
    sent_before = len(mail.outbox)
    learner.goto(f"/evidence/{witnessed.pk}/edit/")
    learner.get_by_role("button", name="Send the witness a new link").click()
    said_once(learner, f"Sent Sam Supervisor a new link for {witnessed.reference} at sam@shop.example.")
    assert [m.to for m in mail.outbox[sent_before:]] == [["sam@shop.example"]]
    assert assessor.problems == [] and learner.problems == []


def test_a_qualified_assessor_countersigns_and_a_signature_is_withdrawn_on_a_phone(open_as, world):
    quinn = member(
        world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING, user__full_name="Quinn Qualifying"
    )
    learner = member(world.centre, Role.LEARNER, user__full_name="Cara Countersign")
    cara = PortfolioFactory(centre=world.centre, learner=learner, assessor=quinn, iv=world.iv, learner_number="CG-9")
    theirs = dataclasses.replace(world, portfolio=cara, learner=learner, assessor=quinn)
    cover_everything(theirs)
    submit(theirs)
    unit_sign(actor=quinn, portfolio=cara, kind=SignatureKind.ASSESSOR, password=PASSWORD)

    asha = open_as(world.assessor.email, phone=True)
    asha.goto(f"/portfolios/{cara.pk}/signoff/")
    asha.get_by_label("Your password, to sign").fill(PASSWORD)
    asha.get_by_role("button", name="Countersign").click()
    said_once(asha, "Signed: ")
    expect(asha.get_by_role("button", name="Countersign")).to_have_count(0)
    assert cara.signatures.filter(kind=SignatureKind.ASSESSOR_COUNTERSIGN, withdrawn_at=None).count() == 1

    # Asha signed Lena's unit too soon, and withdraws her signature.
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    asha.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    asha.get_by_label("Reason for withdrawing").fill("Signed before checking the last item's date.")
    asha.get_by_role("button", name="Withdraw signature").click()
    said_once(asha, "Signature withdrawn. The evidence it locked can change again.")
    expect(asha.get_by_role("button", name="Sign as assessor")).to_be_visible()
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.SUBMITTED
    assert asha.problems == []


def test_a_recording_upload_with_too_many_files_gets_the_form_back_with_a_message_on_a_phone(open_as, world, settings):
    from assessments.tests.test_assessor_record_views import wav

    # More files than the server reads in one request (its guard), though within what the page lets through.
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    assessor = open_as(world.assessor.email, phone=True)
    assessor.goto(f"/portfolios/{world.portfolio.pk}/")
    assessor.get_by_role("link", name="Record a professional discussion").click()
    assessor.get_by_label("Title").fill("Discussion: handling refunds")
    assessor.locator("#id_activity_date").fill((timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    assessor.get_by_label(f"1.1 {crit('1.1').text}").check()
    assessor.get_by_label("Recording (optional)").set_input_files(
        [{"name": f"part{n}.wav", "mimeType": "audio/wav", "buffer": wav()} for n in range(3)]
    )
    assessor.get_by_role("button", name="Save the record").click()
    expect(assessor.locator("#upload-refusal")).to_contain_text("That was too many files at once")
    expect(assessor.get_by_role("heading", level=1)).to_have_count(1)
    expect(assessor.get_by_label("Title")).to_be_visible()
    assert not Evidence.objects.filter(title="Discussion: handling refunds").exists()
    # The 400 status is the one error the browser reports.
    assert [p for p in assessor.problems if "status of 400" not in p] == []
