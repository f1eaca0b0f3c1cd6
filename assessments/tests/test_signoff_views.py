"""The sign-off page, driven the way people use it: each role sees its own
actions, signs with its password, refers back with reasons, withdraws."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.evidence.policy import PLAN_CHANGERS
from assessments.evidence.uploads import inspect_upload
from assessments.models import EvidenceFile, Portfolio, PortfolioStatus, Signature
from assessments.policy import NEEDS
from assessments.records.document import current_digest
from assessments.signoff import services as signoff
from assessments.tests.test_evidence_views import add
from assessments.tests.test_signoff import accept, cover_everything, judge_pending, sign, submit
from tests import samples
from tests.factories import PASSWORD, ev_findings_agreeing, iv_report_agreeing
from tests.tamper import rewrite_file
from tests.test_dashboards import main_text
from units.models import AwardingBody

S = PortfolioStatus


def as_(client, user):
    client.force_login(user)
    return client


def status(world) -> str:
    return Portfolio.objects.get(pk=world.portfolio.pk).status


def post_sign(client, world, kind, **data):
    data.setdefault("password", PASSWORD)
    data.setdefault("digest", current_digest(world.portfolio, judgements=kind != "learner"))
    return client.post(reverse("signoff_sign", args=[world.portfolio.pk, kind]), data, follow=True)


def test_the_learner_submits_from_the_page_with_the_declaration(client, world):
    cover_everything(world)
    as_(client, world.learner)
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert "I confirm that the evidence provided is a result of my own work." in page
    response = post_sign(client, world, "learner")
    assert "Tick the declaration" in response.content.decode()
    assert status(world) == S.IN_PROGRESS
    response = post_sign(client, world, "learner", declaration="yes", password="wrong")
    assert "That is not your password" in response.content.decode()
    post_sign(client, world, "learner", declaration="yes")
    assert status(world) == S.SUBMITTED


@pytest.mark.parametrize(
    "body, names",
    [
        ("CG", ["Signature of candidate", "Signature of assessor"]),  # the workbook's sign-off block
        ("OCR", ["Learner's declaration", "Assessor"]),  # OCR's specification prints none: the application's names
    ],
)
def test_the_signatures_are_named_as_the_learners_awarding_body_names_them(client, world, body, names):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(awarding_body=AwardingBody.objects.get(code=body))
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    cover_everything(world)
    submit(world)
    sign(world, world.assessor, "assessor")
    page = as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    rows = re.findall(r"<tr><td>([^<]*)<br>", page)
    assert [html.unescape(row) for row in rows] == names
    assert ("OCR" in page) == (body == "OCR")


def test_the_assessor_sees_in_plain_words_why_the_unit_is_not_complete(client, world):
    submit(world)
    as_(client, world.assessor)
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert "Why the unit is not complete yet" in page and "No confirmed evidence yet for 220.1.1" in page
    response = post_sign(client, world, "assessor")
    assert "The unit is not complete yet." in response.content.decode()
    assert status(world) == S.SUBMITTED


def test_the_whole_chain_from_the_page(client, world):
    cover_everything(world)
    submit(world)
    post_sign(as_(client, world.assessor), world, "assessor")
    assert status(world) == S.ASSESSOR_SIGNED
    as_(client, world.ev)
    client.post(reverse("signoff_sample", args=[world.portfolio.pk]))
    as_(client, world.iv)
    client.post(reverse("signoff_sample", args=[world.portfolio.pk]))
    iv_report_agreeing(world.portfolio, world.iv)
    post_sign(client, world, "iv")
    assert status(world) == S.IV_SIGNED
    ev_findings_agreeing(world.portfolio, world.ev)
    response = post_sign(as_(client, world.ev), world, "ev")
    assert status(world) == S.COMPLETE
    page = response.content.decode()
    assert page.count("Unchanged since signing") == 4
    assert client.get(reverse("portfolio_history", args=[world.portfolio.pk])).status_code == 200


def test_a_stale_page_cannot_sign(client, world):
    cover_everything(world)
    submit(world)
    response = post_sign(as_(client, world.assessor), world, "assessor", digest="0" * 64)
    assert "The record changed after you opened this page" in response.content.decode()
    assert status(world) == S.SUBMITTED


def test_the_assessor_refers_back_with_reasons_the_learner_then_sees(client, world):
    submit(world)
    as_(client, world.assessor)
    response = client.post(reverse("signoff_refer", args=[world.portfolio.pk]), {"reasons": ""}, follow=True)
    assert "Say why the unit is referred back" in response.content.decode()
    client.post(reverse("signoff_refer", args=[world.portfolio.pk]), {"reasons": "Add a quiet-time example."})
    assert status(world) == S.IN_PROGRESS
    page = as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert "Add a quiet-time example." in page


def test_the_signer_withdraws_from_the_page(client, world):
    cover_everything(world)
    submit(world)
    signature = sign(world, world.assessor, "assessor")
    as_(client, world.assessor)
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert f'action="{reverse("signature_withdraw", args=[signature.pk])}"' in page
    client.post(reverse("signature_withdraw", args=[signature.pk]), {"reason": "Wrong learner"})
    assert status(world) == S.SUBMITTED
    assert Signature.objects.get(pk=signature.pk).withdrawal_reason == "Wrong learner"


def test_someone_elses_signature_cannot_be_withdrawn_by_the_learner(client, world):
    cover_everything(world)
    submit(world)
    signature = sign(world, world.assessor, "assessor")
    response = as_(client, world.learner).post(
        reverse("signature_withdraw", args=[signature.pk]), {"reason": "I want to change things"}, follow=True
    )
    assert response.status_code == 403
    assert status(world) == S.ASSESSOR_SIGNED


@pytest.mark.parametrize("name", ["signoff", "portfolio_history"])
def test_signoff_pages_run_a_fixed_number_of_queries(client, world, name):
    as_(client, world.assessor)
    url = reverse(name, args=[world.portfolio.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    # One accepted item first: with none, Django skips the queries that would look up an empty list.
    accept(add(world, criteria=["1.1"]), world.assessor)
    submit(world)
    small = count()
    cover_everything(world)
    # Adding evidence took the unit back to in progress: declare again, so both pages show the same signatures.
    submit(world)
    assert count() == small


def test_a_qualified_colleague_countersigns_a_qualifying_assessors_decision_from_the_page(client, world):
    from people.models import Membership, Qualification, Role
    from tests.factories import member

    Membership.objects.filter(user=world.assessor, role=Role.ASSESSOR).update(qualification=Qualification.QUALIFYING)
    senior = member(world.centre, Role.ASSESSOR, user__full_name="Sam Senior")
    as_(client, senior)
    assert client.get(reverse("signoff", args=[world.portfolio.pk])).status_code == 200
    cover_everything(world)
    submit(world)
    sign(world, world.assessor, "assessor")
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert "is still qualifying" in page
    post_sign(client, world, "assessor_countersign")
    assert status(world) == S.ASSESSOR_COUNTERSIGNED
    # A mentor reads and countersigns; they do not judge evidence or sign as the assessor.
    assert client.post(reverse("signoff_sign", args=[world.portfolio.pk, "assessor"])).status_code == 403


def test_a_qualified_assessor_has_no_link_to_a_qualified_colleagues_learners(client, world):
    from people.models import Role
    from tests.factories import member

    as_(client, member(world.centre, Role.ASSESSOR))
    assert client.get(reverse("signoff", args=[world.portfolio.pk])).status_code == 404


def test_a_qualifying_assessor_cannot_countersign_a_colleague(client, world):
    from people.models import Membership, Qualification, Role
    from tests.factories import member

    Membership.objects.filter(user=world.assessor, role=Role.ASSESSOR).update(qualification=Qualification.QUALIFYING)
    as_(client, member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING))
    assert client.get(reverse("signoff", args=[world.portfolio.pk])).status_code == 404


def test_the_learner_is_offered_no_changes_once_the_unit_is_signed(client, world):
    cover_everything(world)
    submit(world)
    sign(world, world.assessor, "assessor")
    as_(client, world.learner)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert "its evidence is locked" in listing
    assert reverse("evidence_add", args=[world.portfolio.pk]) not in listing
    assert "Edit<span" not in listing
    item = world.portfolio.evidence.first()
    response = client.post(reverse("evidence_delete", args=[item.pk]), follow=True)
    assert "its evidence is locked" in response.content.decode()
    assert world.portfolio.evidence.filter(pk=item.pk).exists()


# What each person is told the unit waits for: the learner in their own words, the assessor what to do -------------


def test_after_submitting_the_learner_is_told_what_happens_next_and_the_assessor_what_to_do(client, world):
    item = add(world, criteria=["1.1"])
    submit(world)

    text = main_text(as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])))

    assert "What happens next" in text
    assert "Your assessor, Asha Assessor, will now review your evidence." in text
    assert "You will be told on your dashboard and by email when an item is accepted or sent back" in text
    assert f"{item.reference} is waiting for your assessor to accept it or send it back." in text
    assert "Your assessor has not yet confirmed evidence for 220.1.1" in text
    assert "Why the unit is not complete yet" not in text
    assert "has not been judged yet" not in text and "No confirmed evidence yet" not in text

    text = main_text(as_(client, world.assessor).get(reverse("signoff", args=[world.portfolio.pk])))

    assert "Why the unit is not complete yet" in text
    assert f"{item.reference} has not been judged yet: accept it or send it back." in text
    assert "What happens next" not in text and "Your assessor" not in text


def test_a_learner_who_switched_emails_off_is_not_promised_an_email(client, world):
    cover_everything(world)
    submit(world)
    world.learner.email_notifications = False
    world.learner.save(update_fields=["email_notifications"])

    text = main_text(as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])))

    assert "You will be told on your dashboard when an item is accepted or sent back" in text
    assert "by email" not in text
    # Everything is confirmed: nothing is left to list.
    assert "Still to happen before your assessor can sign" not in text


def test_before_submitting_the_learner_reads_the_gaps_in_their_own_words(client, world):
    add(world, criteria=["1.1"])

    text = main_text(as_(client, world.learner).get(reverse("signoff", args=[world.portfolio.pk])))

    assert "Why the unit is not complete yet" in text
    assert "Your assessor has not yet confirmed evidence for 220.1.1, 220.1.2" in text
    assert "is waiting for your assessor to accept it or send it back." in text
    assert "What happens next" not in text


def test_a_double_click_on_sign_says_when_it_was_signed_and_signs_once(client, world):
    cover_everything(world)
    submit(world)
    as_(client, world.assessor)
    url = reverse("signoff_sign", args=[world.portfolio.pk, "assessor"])
    data = {"password": PASSWORD, "digest": current_digest(world.portfolio)}
    first = client.post(url, data)
    second = client.post(url, data)
    signoff_url = reverse("signoff", args=[world.portfolio.pk])
    assert (first.status_code, first["Location"]) == (302, signoff_url)
    assert (second.status_code, second["Location"]) == (302, signoff_url)
    signature = Signature.objects.get(kind="assessor")
    when = timezone.localtime(signature.signed_at)
    page = client.get(signoff_url).content.decode()
    assert f"Already signed by you on {when:%d/%m/%Y} at {when:%H:%M}." in page
    assert "alert-danger" not in page
    assert Signature.objects.filter(kind="assessor").count() == 1
    assert status(world) == S.ASSESSOR_SIGNED


def test_signing_from_the_page_leaves_the_pdf_to_the_worker(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    import assessments.records.services.renders

    def no_render(*args, **kwargs):
        raise AssertionError("a PDF was rendered in the signing request")

    monkeypatch.setattr(assessments.records.services.renders, "render_pdf", no_render)
    cover_everything(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_sign(as_(client, world.learner), world, "learner", declaration="yes")
    assert response.status_code == 200 and status(world) == S.SUBMITTED
    assert DBTaskResult.objects.filter(task_path="assessments.tasks.render_unit_record").count() == 1


def test_editing_evidence_after_submitting_asks_the_learner_to_submit_again(client, world):
    from assessments.models import Evidence
    from assessments.tests.test_evidence_views import form_data

    cover_everything(world)
    submit(world)
    item = Evidence.objects.get(portfolio=world.portfolio, number=1)
    as_(client, world.learner)
    response = client.post(
        reverse("evidence_edit", args=[item.pk]),
        form_data(
            title="Customer a, with the date",
            criteria=[c.pk for c in item.criteria.all()],
            range_items=[r.pk for r in item.range_items.all()],
        ),
    )
    assert response.status_code == 302
    assert status(world) == S.IN_PROGRESS
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert "Submit for assessment" in page
    assert "Nothing signed yet." in page
    assert (
        "The evidence changed after submitting: E1 changed, on " in page
        and "check the evidence, then submit the unit again below." in page
    )
    seen_by_assessor = as_(client, world.assessor).get(reverse("signoff", args=[world.portfolio.pk])).content
    assert "the learner must submit the unit again." in seen_by_assessor.decode()


def test_a_unit_finished_from_the_pages_verifies_as_genuine(client, world):
    from assessments.models import Evidence, RecordCode
    from assessments.tests.test_evidence_views import form_data

    cover_everything(world)
    post_sign(as_(client, world.learner), world, "learner", declaration="yes")
    item = Evidence.objects.get(portfolio=world.portfolio, number=1)
    client.post(
        reverse("evidence_edit", args=[item.pk]),
        form_data(
            title="Customer a, with the date",
            criteria=[c.pk for c in item.criteria.all()],
            range_items=[r.pk for r in item.range_items.all()],
        ),
    )
    assert status(world) == S.IN_PROGRESS
    post_sign(client, world, "learner", declaration="yes")
    assert status(world) == S.SUBMITTED
    # The learner's change put the item back in front of the assessor, who judges it again.
    judge_pending(world)
    post_sign(as_(client, world.assessor), world, "assessor")
    iv_report_agreeing(world.portfolio, world.iv)
    post_sign(as_(client, world.iv), world, "iv")
    assert status(world) == S.COMPLETE
    code = RecordCode.objects.get(portfolio=world.portfolio, round=1).code
    client.logout()
    page = client.get(reverse("record_verify_code", args=[code])).content.decode()
    assert "Genuine and unaltered." in page
    assert "altered" not in page.replace("unaltered", "")


def test_the_signoff_page_names_what_was_changed_outside_the_application(client, world):
    cover_everything(world)
    photo = add(world, criteria=["2.1"], files=[inspect_upload(SimpleUploadedFile("till.png", samples.png()))])
    accept(photo, world.assessor)
    submit(world)
    sign(world, world.assessor, "assessor")
    as_(client, world.iv)
    url = reverse("signoff", args=[world.portfolio.pk])
    assert 'id="integrity-problems"' not in client.get(url).content.decode()
    stored = EvidenceFile.objects.get(evidence=photo)
    rewrite_file(stored.file, b"another picture")
    response = client.get(url)
    assert response.content.decode().count('id="integrity-problems"') == 1
    page = main_text(response)
    assert "Changed outside the application" in page
    assert f"Evidence file {stored.pk} (till.png, item {photo.pk}) has been changed on disk" in page


@pytest.mark.parametrize("digest", [None, "", "   "])
def test_a_signature_sent_without_the_pages_record_digest_is_refused_and_says_why(client, world, digest):
    cover_everything(world)
    as_(client, world.learner)
    data = {"password": PASSWORD, "declaration": "yes"}
    if digest is not None:
        data["digest"] = digest
    response = client.post(reverse("signoff_sign", args=[world.portfolio.pk, "learner"]), data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [signoff.MISSING_DIGEST]
    assert status(world) == S.IN_PROGRESS
    assert not Signature.objects.filter(portfolio=world.portfolio).exists()


def test_the_assessor_too_cannot_sign_without_the_digest(client, world):
    cover_everything(world)
    submit(world)
    as_(client, world.assessor)
    response = client.post(
        reverse("signoff_sign", args=[world.portfolio.pk, "assessor"]), {"password": PASSWORD}, follow=True
    )
    assert signoff.MISSING_DIGEST in [str(m) for m in response.context["messages"]]
    assert status(world) == S.SUBMITTED


# --- Each refusal says its own reason -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url", "reason"),
    [
        ("learner", lambda p: reverse("signoff_sign", args=[p, "assessor"]), NEEDS["sign_assessor"][1]),
        ("assessor", lambda p: reverse("signoff_sign", args=[p, "learner"]), NEEDS["submit"][1]),
        ("assessor", lambda p: reverse("signoff_sign", args=[p, "iv"]), NEEDS["sign_iv"][1]),
        ("iv", lambda p: reverse("signoff_sign", args=[p, "ev"]), NEEDS["sign_ev"][1]),
        (
            "learner",
            lambda p: reverse("signoff_sample", args=[p]),
            "Only the unit's internal verifier or its external verifier samples a unit.",
        ),
        (
            "assessor",
            lambda p: reverse("signoff_release", args=[p]),
            "Only the unit's internal verifier or its external verifier releases a unit.",
        ),
        (
            "learner",
            lambda p: reverse("signoff_refer", args=[p]),
            "Only the learner's assessor or a verifier of the unit refers it back",
        ),
        ("assessor", lambda p: reverse("evidence_add", args=[p]), "Only the learner can change their evidence."),
        ("learner", lambda p: reverse("plan_action_add", args=[p]), PLAN_CHANGERS),
    ],
)
def test_each_refused_action_says_its_own_reason(client, world, persona, url, reason):
    import html

    as_(client, world.persona(persona))
    response = client.post(url(world.portfolio.pk), {"password": PASSWORD})
    assert response.status_code == 403
    page = html.unescape(response.content.decode())
    assert reason in page
    others = {"Only the learner can change their evidence."} - {reason}
    assert not any(other in page for other in others)


def test_the_assessor_sees_the_ledger_beside_the_sign_button_and_confirms_sufficiency_in_words(client, world):
    from assessments.models import SufficiencyThresholds

    cover_everything(world)
    submit(world)
    as_(client, world.assessor)
    url = reverse("signoff", args=[world.portfolio.pk])
    section = client.get(url).content.decode().split('id="assessor-heading"')[1].split("</section>")[0]
    assert '<details id="sufficiency" class="mb-3">' in section and "sufficiency_statement" not in section
    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_customers=2)
    section = client.get(url).content.decode().split('id="assessor-heading"')[1].split("</section>")[0]
    assert '<details id="sufficiency" class="mb-3" open>' in section
    assert re.search(r'<textarea[^>]*name="sufficiency_statement"[^>]*required', section)
    assert section.index("sufficiency_statement") < section.index("Sign as assessor")
    refused = post_sign(client, world, "assessor").content.decode()
    assert status(world) == S.SUBMITTED
    beside = refused.split('id="assessor-heading"')[1].split("</section>")[0]
    assert 'id="sufficiency-error"' in beside and "say in your own words why the evidence is sufficient" in beside
    post_sign(client, world, "assessor", sufficiency_statement="Regular customers on four separate days.")
    assert status(world) == S.ASSESSOR_SIGNED
    statement = Signature.objects.get(kind="assessor").statement
    assert statement.endswith("\nSufficiency: Regular customers on four separate days.")


def test_a_refused_signature_keeps_the_assessors_sufficiency_statement_for_the_next_page_only(client, world):
    from assessments.models import SufficiencyThresholds

    cover_everything(world)
    submit(world)
    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_customers=2)
    as_(client, world.assessor)
    words = "Regular customers <on> four separate days."
    refused = post_sign(client, world, "assessor", password="not mine", sufficiency_statement=words)
    assert status(world) == S.SUBMITTED
    field = re.search(r'<textarea[^>]*name="sufficiency_statement"[^>]*>([^<]*)</textarea>', refused.content.decode())
    assert field.group(1) == "Regular customers &lt;on&gt; four separate days."
    # The password is never put back, and the statement only once.
    assert 'value="not mine"' not in refused.content.decode()
    again = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert re.search(r'name="sufficiency_statement"[^>]*></textarea>', again)
