"""Each awarding body's learner reads their own body's wording from the first page to the signed record, and never
the other's: City & Guilds' 220.x.y numbers and the workbook's "you" wording, or OCR's 1.1 numbers and the
specification's "the learner can" wording, with their own body's evidence requirements and note, on the portfolio,
the evidence form, the item, the review, the sign-off (the verifiers signing under their body's statement) and the
PDF record downloaded from the sign-off page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from assessments.models import Evidence, Portfolio, PortfolioStatus, SignatureKind
from assessments.signoff.services import unit_mark_sampled, unit_sign
from assessments.tests.test_record_pdf import covered, pdf_text  # noqa: F401 (fixtures)
from people.models import Role
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PASSWORD, ev_findings_agreeing, external_verifier, iv_report_agreeing
from units.models import AwardingBody

pytestmark = pytest.mark.browser

K = SignatureKind


@dataclass(frozen=True)
class Wording:
    body: str
    number: str
    heading: str  # the "do" outcome's heading on the portfolio
    criterion: str  # 2.1 as the body prints it
    empathy: str  # 2.4, the criterion the learner's own item claims
    iv: str  # what the IV signs to
    ev: str
    iv_box: str  # the IV's box on the sign-off
    requirement: str  # words only this body's evidence requirements say
    note: str  # the body's assessment note ("" where it gives none)
    others: tuple[str, ...]  # what only the other body's paperwork says
    # Where this body's paperwork gives no sign-off wording, the one line saying whose words stand in (and so the
    # only place the other body is named).
    borrowed: str = ""


WORKBOOK_BLOCK = (
    "The evidence for this unit is valid, sufficient and an authentic record of the candidate’s current competence "
    "and has been assessed under the requirements of the assessment strategy."
)
CITY_AND_GUILDS = Wording(
    body="City & Guilds",
    number="220",
    heading="220.2 To deal with difficult customers, you must:",
    criterion="220.2.1 listen patiently to what your customer wants to tell you",
    empathy="220.2.4 express empathy with your customer",
    iv=WORKBOOK_BLOCK,
    ev=WORKBOOK_BLOCK,
    iv_box="Signature of IV (if sampled)",
    requirement="Assessment Strategy for Customer Service S/NVQs",
    note="You need to show that you understand and are able to complete all the elements in this unit",
    others=("OCR", "C4", "Listen patiently to what their customer", "The learner can"),
)
OCR = Wording(
    body="OCR",
    number="C4",
    heading="2 Deal with difficult customers",
    criterion="2.1 Listen patiently to what their customer wants to tell them",
    empathy="2.4 Express empathy with their customer",
    iv="I have internally verified this unit and agree with the assessment decision.",
    ev="I have externally verified this unit and agree with the assessment and verification decisions.",
    iv_box="Internal verifier",
    requirement="OCR Customer Service Centre Handbook",
    note="This qualification is internally assessed by centre staff and externally verified by OCR Assessors.",
    # Not the block's validity statement: the unit holds it for every body, as OCR's specification prints none.
    others=("City & Guilds", "220.", "you must:", "listen patiently to what your customer"),
    borrowed="OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' words.",
)
WORDINGS = {"CG": CITY_AND_GUILDS, "OCR": OCR}


@pytest.fixture(params=["CG", "OCR"])
def world(world, request):
    """The usual world, its learner registered through each awarding body in turn, with that body's EV."""
    body = AwardingBody.objects.get(code=request.param)
    Portfolio.objects.filter(pk=world.portfolio.pk).update(awarding_body=body)
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    if request.param != "CG":
        world.ev = external_verifier(world.centre, body_code=request.param, full_name="Olu External")
    world.wording = WORDINGS[request.param]
    return world


def nothing_of_the_other_body(text: str, wording: Wording, where: str) -> None:
    if wording.borrowed:
        assert text.count(wording.borrowed) <= 1, where
        text = text.replace(wording.borrowed, "")
    for words in wording.others:
        assert words not in text, (where, words)


def body_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_learners_pages_and_record_read_in_their_awarding_bodys_wording_to_the_signed_record(
    open_as,
    world,
    covered,  # noqa: F811
):
    w: Wording = world.wording
    portfolio = world.portfolio
    unit_sign(actor=world.learner, portfolio=portfolio, kind=K.LEARNER, password=PASSWORD)
    unit_sign(actor=world.assessor, portfolio=portfolio, kind=K.ASSESSOR, password=PASSWORD)
    unit_mark_sampled(actor=world.ev, portfolio=portfolio, role=Role.EV)
    iv_report_agreeing(portfolio, world.iv)

    # The IV reads what they sign to above the button, in the learner's body's words, and signs it.
    iv = open_as(world.iv.email)
    iv.goto(f"/portfolios/{portfolio.pk}/signoff/")
    expect(iv.locator("#iv-statement")).to_have_text(w.iv)
    iv.get_by_label("Your password, to sign").fill(PASSWORD)
    iv.get_by_role("button", name="Sign as internal verifier").click()
    expect(iv.get_by_text("Signed: internal verifier.")).to_be_visible()
    nothing_of_the_other_body(body_text(iv), w, "the IV's sign-off")

    ev_findings_agreeing(portfolio, world.ev)
    ev = open_as(world.ev.email)
    ev.goto(f"/portfolios/{portfolio.pk}/signoff/")
    expect(ev.locator("#ev-statement")).to_have_text(w.ev)
    ev.get_by_label("Your password, to sign").fill(PASSWORD)
    ev.get_by_role("button", name="Sign as external verifier").click()
    expect(ev.get_by_text("Status: Complete")).to_be_visible()
    assert Portfolio.objects.get(pk=portfolio.pk).status == PortfolioStatus.COMPLETE

    learner = open_as(world.learner.email)
    # Their dashboard, where they land, then the unit page.
    expect(
        learner.get_by_role("link", name="Deliver customer service to difficult customers", exact=True)
    ).to_be_visible()
    nothing_of_the_other_body(body_text(learner), w, "the dashboard")
    learner.goto(f"/portfolios/{portfolio.pk}/")
    expect(learner.get_by_text(f"{w.body} unit {w.number}")).to_be_visible()
    expect(learner.get_by_role("heading", name=w.heading)).to_be_visible()
    expect(learner.get_by_role("rowheader", name=w.criterion)).to_have_count(1)
    # The body's own evidence requirements and assessment note, opened from their summary.
    learner.get_by_text(f"Evidence requirements ({w.body})", exact=True).click()
    requirements = learner.locator("#evidence-requirements")
    expect(requirements.locator("li")).to_have_count(4)
    expect(requirements).to_contain_text(w.requirement)
    if w.note:
        expect(learner.locator("#assessment-note")).to_contain_text(w.note)
    else:
        expect(learner.locator("#assessment-note")).to_have_count(0)
    nothing_of_the_other_body(body_text(learner), w, "the portfolio")

    learner.goto(f"/portfolios/{portfolio.pk}/evidence/")
    expect(learner.get_by_role("link", name="E2")).to_have_count(1)
    nothing_of_the_other_body(body_text(learner), w, "the evidence list")
    learner.goto(f"/portfolios/{portfolio.pk}/history/")
    nothing_of_the_other_body(body_text(learner), w, "the unit's history")

    # The item the assessor accepted, as the learner reads its outcome.
    item = Evidence.objects.get(portfolio=portfolio, title="Queue at the busy till")
    learner.goto(f"/evidence/{item.pk}/")
    expect(learner.get_by_text(w.criterion)).to_have_count(1)
    nothing_of_the_other_body(body_text(learner), w, "the item")

    learner.goto(f"/portfolios/{portfolio.pk}/signoff/")
    box = learner.get_by_role("row").filter(has_text=w.iv_box)
    expect(box).to_have_count(1)
    expect(box).to_contain_text(f"“{w.iv}”")
    nothing_of_the_other_body(body_text(learner), w, "the sign-off")

    link = learner.get_by_role("link", name="Download the unit record (PDF)")
    response = learner.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(pdf_text(response.body())).split())
    assert w.criterion in text and f"{w.body} {w.number}" in text.replace(" unit ", " ")
    assert text.count(w.iv) >= 1 and text.count(w.ev) >= 1
    nothing_of_the_other_body(text, w, "the PDF record")
    assert iv.problems == [] and ev.problems == [] and learner.problems == []


def test_a_learner_adds_evidence_and_the_assessor_reviews_it_in_their_awarding_bodys_wording(open_as, world):
    w: Wording = world.wording
    learner = open_as(world.learner.email)
    learner.goto(f"/portfolios/{world.portfolio.pk}/")
    learner.get_by_role("link", name="Add evidence").click()
    expect(learner.locator("#reflective-prompt")).to_contain_text(
        "What have you done in your workplace that is similar?"
    )
    nothing_of_the_other_body(body_text(learner), w, "the evidence form")
    learner.get_by_label("Assessment method").select_option(label="RA Reflective account")
    learner.get_by_role("textbox", name="Title*", exact=True).fill("The delayed flight queue")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("Description or written account").fill("Passengers were angry; I saw it their way.")
    learner.get_by_label(w.empathy).check()
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E1 The delayed flight queue")).to_be_visible()
    expect(learner.get_by_role("row", name=w.empathy)).to_contain_text("E1")

    assessor = open_as(world.assessor.email)
    assessor.goto(f"/evidence/{Evidence.objects.get().pk}/review/")
    expect(assessor.get_by_text(w.empathy)).to_have_count(1)
    nothing_of_the_other_body(body_text(assessor), w, "the review")
    assert learner.problems == [] and assessor.problems == []
