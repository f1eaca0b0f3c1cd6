"""The sign-off rules in assessments/policy.py, asked the way the page, the tag and the services ask them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.centre.services import portfolio_assign
from assessments.models import Author, ClaimJudgement, Portfolio, PortfolioStatus, SignatureKind, Verdict
from assessments.policy import OWN_DECISIONS, made_assessment_decisions
from assessments.signoff.services import (
    TransitionError,
    signature_withdraw,
    unit_mark_sampled,
    unit_refer,
    unit_release,
)
from assessments.tests.test_evidence_views import add
from assessments.tests.test_signoff import cover_everything, sign, submit
from people.models import Membership, Qualification, Role
from quality.sampling import population
from quality.services.reports import iv_report_unit
from quality.services.sampling import sample_item_add, sampling_plan_create
from tests.factories import member
from tests.test_dashboards import messages_of

S = PortfolioStatus
K = SignatureKind


@pytest.fixture
def swapped(world):
    """The assessor signs the unit; then the admin makes them its IV and gives it a new assessor."""
    cover_everything(world)
    submit(world)
    sign(world, world.assessor, K.ASSESSOR)
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    newcomer = member(world.centre, Role.ASSESSOR, user__full_name="Nia Newcomer")
    portfolio_assign(actor=world.admin, portfolio=world.portfolio, assessor=newcomer, iv=world.assessor)
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    return world


def _refused(exc_info, reason: str) -> None:
    assert reason in exc_info.value.messages


def test_an_assessor_made_iv_cannot_release_sample_refer_or_sign_the_unit_they_assessed(swapped):
    world, me = swapped, swapped.assessor
    with pytest.raises(TransitionError) as err:
        unit_release(actor=me, portfolio=world.portfolio)
    _refused(err, OWN_DECISIONS)
    with pytest.raises(TransitionError) as err:
        unit_mark_sampled(actor=me, portfolio=world.portfolio, role=Role.IV)
    _refused(err, OWN_DECISIONS)
    with pytest.raises(TransitionError) as err:
        unit_refer(actor=me, portfolio=world.portfolio, role=Role.IV, reasons="Not enough.")
    _refused(err, OWN_DECISIONS)
    with pytest.raises(TransitionError) as err:
        sign(world, me, K.IV)
    _refused(err, OWN_DECISIONS)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.ASSESSOR_SIGNED


def test_an_assessor_made_iv_cannot_report_on_the_unit_they_assessed(swapped):
    with pytest.raises(ValidationError) as err:
        iv_report_unit(actor=swapped.assessor, portfolio=swapped.portfolio, agreement="agree", feedback="Fine.")
    _refused(err, "An internal verifier cannot report on their own assessment decisions.")


def test_over_http_the_release_is_refused_with_its_reason_and_not_offered(client, swapped):
    client.force_login(swapped.assessor)
    page = client.get(reverse("signoff", args=[swapped.portfolio.pk])).content.decode()
    assert "Release without sampling" not in page
    response = client.post(reverse("signoff_release", args=[swapped.portfolio.pk]), follow=True)
    assert OWN_DECISIONS in messages_of(response)
    assert Portfolio.objects.get(pk=swapped.portfolio.pk).status == S.ASSESSOR_SIGNED


def test_a_withdrawn_assessor_signature_still_counts_as_a_decision(world):
    cover_everything(world)
    submit(world)
    signature = sign(world, world.assessor, K.ASSESSOR)
    signature_withdraw(actor=world.assessor, signature=signature, reason="Signed too soon.")
    # Judgements aside, only the withdrawn signature ties them to the unit now.
    ClaimJudgement.objects.filter(judged_by=world.assessor).update(judged_by=world.iv)
    world.portfolio.evidence.update(decided_by=None)
    other = member(world.centre, Role.ASSESSOR)
    portfolio_assign(actor=world.admin, portfolio=world.portfolio, assessor=other, iv=world.iv)
    assert made_assessment_decisions(world.assessor.pk, world.portfolio)


def test_one_judged_claim_is_an_assessment_decision(world):
    item = add(world, criteria=["1.1"])
    stand_in = member(world.centre, Role.ASSESSOR)
    assert not made_assessment_decisions(stand_in.pk, world.portfolio)
    ClaimJudgement.objects.create(
        evidence=item, criterion=item.criteria.first(), verdict=Verdict.CONFIRMED, judged_by=stand_in
    )
    assert made_assessment_decisions(stand_in.pk, world.portfolio)


def test_an_assessors_record_is_an_assessment_decision(world):
    stand_in = member(world.centre, Role.ASSESSOR)
    item = add(world, criteria=["1.1"])
    item.author, item.created_by = Author.ASSESSOR, stand_in
    item.save(update_fields=["author", "created_by"])
    assert made_assessment_decisions(stand_in.pk, world.portfolio)


def test_the_units_own_iv_made_no_decision_and_the_assessor_now_did(world):
    assert not made_assessment_decisions(world.iv.pk, world.portfolio)
    assert made_assessment_decisions(world.assessor.pk, world.portfolio)


def test_the_answer_takes_one_query(world, django_assert_num_queries):
    cover_everything(world)
    with django_assert_num_queries(1):
        made_assessment_decisions(world.iv.pk, world.portfolio)
    with django_assert_num_queries(0):
        made_assessment_decisions(world.assessor.pk, world.portfolio)


def test_the_iv_cannot_plan_to_sample_a_unit_they_assessed_and_it_is_not_in_their_population(swapped):
    world = swapped
    plan = sampling_plan_create(
        actor=world.assessor,
        centre=world.centre,
        title="Winter",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert not population(world.assessor, world.centre).filter(pk=world.portfolio.pk).exists()
    with pytest.raises(ValidationError) as err:
        sample_item_add(
            actor=world.assessor,
            plan=plan,
            scope="unit",
            stage="summative",
            planned_for=plan.starts_on,
            portfolio=world.portfolio,
        )
    assert err.value.message_dict["portfolio"] == [OWN_DECISIONS]


# --- The external verifier: remote sampling ----------------------------------------------------------------------


def test_an_allocated_ev_samples_and_signs_with_no_visit_audited_as_remote(world):
    from audit.models import AuditEvent
    from tests.factories import ev_findings_agreeing, iv_report_agreeing

    cover_everything(world)
    submit(world)
    sign(world, world.assessor, K.ASSESSOR)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    ev_findings_agreeing(world.portfolio, world.ev)
    sign(world, world.ev, K.EV)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == S.COMPLETE
    sampled = AuditEvent.objects.get(action="portfolio.sampled", data__by=Role.EV)
    assert sampled.data["remote"] is True and sampled.summary.endswith("remotely (no visit)")
    signed = AuditEvent.objects.get(action="signature.made", data__kind=K.EV)
    assert signed.data["remote"] is True
    iv_signed = AuditEvent.objects.get(action="signature.made", data__kind=K.IV)
    assert "remote" not in iv_signed.data


def test_an_ev_not_allocated_to_the_centre_without_an_open_visit_may_not_sample_or_sign(client, world):
    from tests.factories import external_verifier

    cover_everything(world)
    submit(world)
    sign(world, world.assessor, K.ASSESSOR)
    stranger = external_verifier(world.other_centre)  # the same awarding body, allocated elsewhere
    with pytest.raises(TransitionError) as err:
        unit_mark_sampled(actor=stranger, portfolio=world.portfolio, role=Role.EV)
    assert err.value.messages == [
        "Only an external verifier allocated to this centre, or visiting it with this unit in their sample, samples it."
    ]
    with pytest.raises(TransitionError):
        sign(world, stranger, K.EV)
    client.force_login(stranger)
    assert client.post(reverse("signoff_sample", args=[world.portfolio.pk])).status_code == 404
    assert client.get(reverse("signoff", args=[world.portfolio.pk])).status_code == 404
    assert not Portfolio.objects.get(pk=world.portfolio.pk).ev_sampled


# --- portfolio_may and the {% may %} tag -----------------------------------------------------------------------


def test_no_link_is_404_and_the_wrong_link_403_with_the_reason(world):
    from assessments.policy import NEEDS, portfolio_may

    assert (portfolio_may(world.outsider.pk, set(), "submit", world.portfolio).status) == 404
    refused = portfolio_may(world.assessor.pk, {Role.ASSESSOR}, "submit", world.portfolio)
    assert (refused.allowed, refused.status, refused.reason) == (False, 403, NEEDS["submit"][1])
    assert portfolio_may(world.learner.pk, {Role.LEARNER}, "submit", world.portfolio)


def test_the_state_and_the_order_are_the_policys_reasons(world, qualifying_assessor):
    from assessments.policy import portfolio_may

    cover_everything(world)
    submit(world)
    again = portfolio_may(world.learner.pk, {Role.LEARNER}, "submit", Portfolio.objects.get(pk=world.portfolio.pk))
    assert (again.allowed, again.reason) == (False, "This unit is submitted by the learner: that is not due now.")
    portfolio_assign(actor=world.admin, portfolio=world.portfolio, assessor=qualifying_assessor, iv=world.iv)
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=S.ASSESSOR_SIGNED)
    p = Portfolio.objects.get(pk=world.portfolio.pk)
    for action in ("sign_iv", "iv_release"):
        refused = portfolio_may(world.iv.pk, {Role.IV}, action, p)
        assert refused.reason == "The assessor is still qualifying: their decision must be countersigned first."
    assert portfolio_may(world.iv.pk, {Role.IV}, "iv_sample", p)
    assert portfolio_may(world.iv.pk, {Role.IV}, "iv_refer", p)


def test_the_may_tag_answers_for_the_viewer(rf, world):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = world.learner
    world.portfolio.links = {Role.LEARNER}
    template = Template('{% load policy %}{% may "submit" p as can %}{% may "sign_iv" p as iv %}{{ can }} {{ iv }}')
    assert template.render(Context({"request": request, "p": world.portfolio})) == "True False"


def test_only_the_signer_or_a_centre_admin_withdraws_and_others_are_told_so(client, world):
    import html

    from assessments.policy import WITHDRAW_WHO

    cover_everything(world)
    declaration = submit(world)
    client.force_login(world.assessor)
    response = client.post(reverse("signature_withdraw", args=[declaration.pk]), {"reason": "Not mine to keep."})
    assert response.status_code == 403 and WITHDRAW_WHO in html.unescape(response.content.decode())
    client.force_login(world.admin)
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert f'action="{reverse("signature_withdraw", args=[declaration.pk])}"' in page
    client.post(reverse("signature_withdraw", args=[declaration.pk]), {"reason": "Registered on the wrong unit."})
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is not None
