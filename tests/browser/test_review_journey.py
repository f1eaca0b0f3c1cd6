"""The assessor reviews an item with many claims in a real browser: one "Confirm all claims" tick with one
exception and its reason, the photo shown beside the claims, and one summary when verdicts are missing."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assessments.evidence.uploads import inspect_upload
from assessments.models import ClaimJudgement, Decision, Evidence, Feedback
from assessments.tests.test_evidence_views import add, crit
from tests import samples
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser

# 16 criteria and the 4 range items: 20 claims.
CRITERIA = [f"2.{n}" for n in range(1, 11)] + [f"3.{n}" for n in range(1, 7)]
PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def many_claims(world) -> Evidence:
    photo = inspect_upload(SimpleUploadedFile("complaints-board.jpg", samples.jpeg((1200, 900))))
    return add(
        world,
        method="PE",
        criteria=CRITERIA,
        range_items=["a", "b", "c", "d"],
        title="A week of complaints",
        files=[photo],
    )


def label(world, code: str) -> str:
    return crit(code).label(world.portfolio.unit_code)


def test_on_a_phone_the_assessor_confirms_all_claims_but_one_and_the_learner_reads_why(open_as, world, many_claims):
    assessor = open_as(world.assessor.email)
    assessor.set_viewport_size(PHONE)
    assessor.goto(f"/evidence/{many_claims.pk}/review/")
    expect(assessor.locator("fieldset.claim-row")).to_have_count(20)

    # The photo itself, served through the access-checked thumbnail view, fits the phone's width.
    photo = assessor.get_by_role("img", name=f"Photo 1 of 1 in {many_claims.reference} A week of complaints")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert photo.bounding_box()["width"] <= PHONE["width"]

    assessor.get_by_label("Confirm all claims").check()
    exception = assessor.get_by_role("group", name=re.compile(rf"^{re.escape(label(world, '3.2'))} "))
    reason = assessor.get_by_label(f"Why {label(world, '3.2')} is not confirmed")
    expect(reason).to_be_hidden()
    exception.get_by_role("radio", name="Rejected").check()
    expect(reason).to_be_visible()
    reason.fill("Nothing shows how you followed the complaint up.")
    assessor.get_by_label("Accept the evidence").check()
    assert assessor.evaluate(FITS)
    assessor.get_by_role("button", name="Save my judgement").click()

    expect(assessor.get_by_role("status")).to_contain_text(f"{many_claims.reference}: accepted")
    assessor.goto(f"/evidence/{many_claims.pk}/")
    expect(assessor.get_by_text("Nothing shows how you followed the complaint up.")).to_be_visible()
    assert assessor.evaluate(FITS)
    judgements = ClaimJudgement.objects.filter(evidence=many_claims)
    assert judgements.count() == 20
    assert judgements.get(criterion=crit("3.2")).verdict == "rejected"
    assert set(judgements.exclude(criterion=crit("3.2")).values_list("verdict", flat=True)) == {"confirmed"}
    assert Feedback.objects.get(evidence=many_claims).text.endswith(
        f"{label(world, '3.2')}: Nothing shows how you followed the complaint up."
    )

    learner = open_as(world.learner.email)
    learner.set_viewport_size(PHONE)
    learner.goto(f"/evidence/{many_claims.pk}/")
    expect(learner.get_by_text("Nothing shows how you followed the complaint up.")).to_be_visible()
    for page in (assessor, learner):
        assert page.problems == []


def test_missing_verdicts_are_summed_up_once_and_the_photo_sits_beside_the_claims(open_as, world, many_claims):
    assessor = open_as(world.assessor.email)
    assessor.set_viewport_size({"width": 1280, "height": 900})
    assessor.goto(f"/evidence/{many_claims.pk}/review/")
    photo = assessor.get_by_role("img", name=re.compile("^Photo 1 of 1"))
    claims = assessor.get_by_role("group", name="What the item claims in this unit")
    # Beside, not below: the photo starts to the right of the claims and level with them.
    assert photo.bounding_box()["x"] >= claims.bounding_box()["x"] + claims.bounding_box()["width"]
    assert photo.bounding_box()["y"] < claims.bounding_box()["y"] + 200

    # Everything but the last three criteria and the range confirmed one by one, then accepted: 7 are missing.
    for code in CRITERIA[:-3]:
        assessor.get_by_role("group", name=re.compile(rf"^{re.escape(label(world, code))} ")).get_by_role(
            "radio", name="Confirmed"
        ).check()
    assessor.get_by_label("Accept the evidence").check()
    assessor.get_by_role("button", name="Save my judgement").click()

    summary = assessor.get_by_role("alert")
    expect(summary).to_have_count(1)
    missing = ", ".join([label(world, c) for c in CRITERIA[-3:]] + ["Range a", "Range b", "Range c", "Range d"])
    expect(summary).to_contain_text(f"7 claims have no verdict: {missing}.")
    expect(assessor.get_by_text("claims have no verdict")).to_have_count(1)
    expect(assessor.locator(".claim-missing")).to_have_count(7)
    assert Evidence.objects.get(pk=many_claims.pk).decision == Decision.PENDING
    # What was chosen is still chosen: one tick now finishes the job.
    expect(
        assessor.get_by_role("group", name=re.compile(rf"^{re.escape(label(world, '2.1'))} ")).get_by_role(
            "radio", name="Confirmed"
        )
    ).to_be_checked()
    assessor.get_by_label("Confirm all claims").check()
    assessor.get_by_role("button", name="Save my judgement").click()
    expect(assessor.get_by_role("status")).to_contain_text(f"{many_claims.reference}: accepted")
    assert set(ClaimJudgement.objects.filter(evidence=many_claims).values_list("verdict", flat=True)) == {"confirmed"}
    assert ClaimJudgement.objects.filter(evidence=many_claims).count() == 20
    assert assessor.problems == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_review_page_with_a_photo_and_a_reason_asked_for_has_no_wcag_violations(
    axe_page, world, many_claims, width
):
    sign_in(axe_page, world.assessor.email)
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(f"/evidence/{many_claims.pk}/review/")
    assert violations(axe_page) == []
    axe_page.get_by_label("Confirm all claims").check()
    axe_page.get_by_role("group", name=re.compile(rf"^{re.escape(label(world, '2.4'))} ")).get_by_role(
        "radio", name="Rejected"
    ).check()
    axe_page.get_by_label("Accept the evidence").check()
    axe_page.get_by_role("button", name="Save my judgement").click()
    expect(axe_page.get_by_role("alert")).to_contain_text(f"1 rejected claim needs a reason: {label(world, '2.4')}.")
    expect(axe_page.get_by_text("Say why this claim is not confirmed")).to_have_count(1)
    assert violations(axe_page) == []
