"""unit_sign from states set directly: the password, who signs in which role, a signature already made, the status
map, the record the signer saw, each statement, countersignatures from qualified colleagues only, the checks other
apps add, and whether the EV's work was remote."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import ClaimJudgement, Decision, Evidence, Portfolio, PortfolioStatus, Signature, Verdict
from assessments.models import SignatureKind as K
from assessments.records.document import current_digest
from assessments.signoff import services
from assessments.signoff.services import MISSING_DIGEST, AlreadySigned, TransitionError, add_signing_check, unit_sign
from assessments.tests.test_cross_references import save
from audit.models import AuditEvent
from people.models import Membership, Qualification, Role
from tests.factories import PASSWORD, external_verifier, member
from units.models import AwardingBody, Criterion, RangeItem, UnitCode

S = PortfolioStatus
# The City & Guilds workbook's unit sign-off block: the statement its IV and EV boxes stand under (seed 002).
WORKBOOK_BLOCK = (
    "The evidence for this unit is valid, sufficient and an authentic record of the candidate’s current competence "
    "and has been assessed under the requirements of the assessment strategy."
)


def put(portfolio: Portfolio, status: str, **flags) -> Portfolio:
    Portfolio.objects.filter(pk=portfolio.pk).update(status=status, **flags)
    return Portfolio.objects.get(pk=portfolio.pk)


def decided(portfolio: Portfolio, who, kind: str, role: str) -> Signature:
    """A standing signature made before the test's own, as a unit put straight into a signed status would have."""
    return Signature.objects.create(
        portfolio=portfolio, kind=kind, round=portfolio.round, signer=who, signer_name=who.full_name, role=role,
        statement="-", signed_at=timezone.now(), record={}, digest="0" * 64,
    )  # fmt: skip


def sign(portfolio: Portfolio, who, kind: str, **kwargs) -> Signature:
    return unit_sign(actor=who, portfolio=portfolio, kind=kind, password=PASSWORD, **kwargs)


def status(portfolio: Portfolio) -> str:
    return Portfolio.objects.get(pk=portfolio.pk).status


@pytest.fixture
def no_checks(monkeypatch):
    """Without the IV's report and the EV's findings that quality requires: those are quality's own tests."""
    monkeypatch.setattr(services.signing, "SIGNING_CHECKS", {})


def test_a_wrong_or_missing_password_signs_nothing(world):
    for password in ("guess", "", None):
        with pytest.raises(ValidationError) as err:
            unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=password)
        assert err.value.message_dict == {
            "password": ["That is not your password. Enter the password you sign in with."]
        }
    assert not Signature.objects.exists() and status(world.portfolio) == S.IN_PROGRESS


def test_the_learner_declares_over_the_record_without_judgements(world):
    p = world.portfolio
    digest = current_digest(p, judgements=False)
    signature = sign(p, world.learner, K.LEARNER, expected_digest=digest)
    assert (signature.kind, signature.role, signature.round, signature.signer_name) == (
        K.LEARNER,
        Role.LEARNER,
        1,
        world.learner.full_name,
    )
    assert signature.statement == p.unit.learner_declaration and signature.digest == digest
    assert status(p) == S.SUBMITTED
    (made,) = AuditEvent.objects.filter(action="signature.made")
    assert (made.actor, made.actor_role) == (world.learner, Role.LEARNER)
    assert made.summary == f"Learner's declaration signed by {world.learner.full_name}"
    assert made.data == {
        "before": S.IN_PROGRESS,
        "after": S.SUBMITTED,
        "round": 1,
        "signature": signature.pk,
        "kind": K.LEARNER,
        "digest": digest,
    }


def test_the_record_the_signer_saw_must_be_named_and_current(world):
    with pytest.raises(TransitionError) as err:
        sign(world.portfolio, world.learner, K.LEARNER, expected_digest="  ")
    assert err.value.messages == [MISSING_DIGEST]
    assert MISSING_DIGEST == (
        "The page did not say which version of the record you checked, so nothing was signed. "
        "Reload the page, check the record, then sign."
    )
    with pytest.raises(TransitionError) as err:
        sign(world.portfolio, world.learner, K.LEARNER, expected_digest="0" * 64)
    assert err.value.messages == ["The record changed after you opened this page. Check it again, then sign."]
    assert not Signature.objects.exists()


def test_signing_again_or_after_someone_else_is_refused_in_words(world):
    first = sign(world.portfolio, world.learner, K.LEARNER)
    # Signed on an earlier day (Signature rows cannot be updated: the date is asked of the message itself).
    first.signed_at = datetime.datetime(2026, 11, 23, 9, 5, tzinfo=datetime.UTC)
    assert AlreadySigned(first).messages == ["Already signed by you on 23/11/2026 at 09:05."]
    with pytest.raises(AlreadySigned) as err:
        sign(world.portfolio, world.learner, K.LEARNER)
    when = timezone.localtime(Signature.objects.get(pk=first.pk).signed_at)
    assert err.value.messages == [f"Already signed by you on {when:%d/%m/%Y} at {when:%H:%M}."]
    assert err.value.signature == first
    Signature.objects.create(
        portfolio=world.portfolio, kind=K.ASSESSOR, round=1, signer=world.admin, signer_name="Ada Admin",
        role=Role.ASSESSOR, statement="-", signed_at=timezone.now(), record={}, digest="0" * 64,
    )  # fmt: skip
    with pytest.raises(TransitionError) as err:
        sign(world.portfolio, world.assessor, K.ASSESSOR)
    assert err.value.messages == ["The assessor signature has already been made by Ada Admin."]


def test_a_signature_out_of_turn_or_by_the_wrong_person_is_refused(world):
    with pytest.raises(TransitionError) as err:
        sign(world.portfolio, world.assessor, K.ASSESSOR)
    assert err.value.messages == ["This unit is in progress: the assessor signature is not due now."]
    with pytest.raises(TransitionError) as err:
        sign(world.portfolio, world.assessor, K.LEARNER)
    assert err.value.messages == ["Only the learner makes the learner's declaration."]
    with pytest.raises(TransitionError) as err:
        sign(put(world.portfolio, S.ASSESSOR_SIGNED, iv_sampled=True), world.iv, K.EV)
    assert err.value.messages[0].startswith("Only an external verifier allocated to this centre")
    assert not Signature.objects.exists()


def test_the_assessor_cannot_sign_an_incomplete_unit(world):
    p = put(world.portfolio, S.SUBMITTED)
    with pytest.raises(TransitionError) as err:
        sign(p, world.assessor, K.ASSESSOR)
    assert err.value.messages[0] == "The unit is not complete yet."
    assert err.value.messages[1].startswith("No confirmed evidence yet for 220.1.1, 220.1.2,")
    assert status(p) == S.SUBMITTED


def test_the_assessor_signs_a_complete_unit_over_the_record_with_judgements(world, second_portfolio):
    item = save(
        world.learner,
        second_portfolio,
        criteria=list(Criterion.objects.filter(outcome__unit=second_portfolio.unit)),
        range_items=list(RangeItem.objects.filter(unit=second_portfolio.unit)),
    )
    Evidence.objects.filter(pk=item.pk).update(decision=Decision.ACCEPTED, decided_by=world.assessor)
    for c in item.criteria.all():
        ClaimJudgement.objects.create(evidence=item, criterion=c, verdict=Verdict.CONFIRMED, judged_by=world.assessor)
    for r in item.range_items.all():
        ClaimJudgement.objects.create(evidence=item, range_item=r, verdict=Verdict.CONFIRMED, judged_by=world.assessor)
    p = put(second_portfolio, S.SUBMITTED)
    signature = sign(p, world.assessor, K.ASSESSOR, expected_digest=current_digest(p, judgements=True))
    assert signature.statement == p.unit.assessor_statement and signature.role == Role.ASSESSOR
    assert status(p) == S.ASSESSOR_SIGNED


def test_a_qualifying_assessor_is_countersigned_by_a_qualified_colleague_only(world):
    Membership.objects.filter(user=world.assessor).update(qualification=Qualification.QUALIFYING)
    p = put(world.portfolio, S.ASSESSOR_SIGNED)
    novice = member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING)
    with pytest.raises(TransitionError) as err:
        sign(p, novice, K.ASSESSOR_COUNTERSIGN)
    assert err.value.messages == ["Only a qualified assessor at this centre can countersign."]
    senior = member(world.centre, Role.ASSESSOR)
    decided(p, world.assessor, K.ASSESSOR, Role.ASSESSOR)
    # Reassigned since the decision: the countersignature still names who made it.
    Portfolio.objects.filter(pk=p.pk).update(assessor=novice)
    signature = sign(Portfolio.objects.get(pk=p.pk), senior, K.ASSESSOR_COUNTERSIGN)
    assert signature.role == Role.ASSESSOR
    assert signature.statement == (
        f"I countersign this decision by {world.assessor.full_name}, who is still qualifying, and agree with it."
    )
    assert status(p) == S.ASSESSOR_COUNTERSIGNED


def test_a_qualifying_ivs_signature_is_countersigned_and_the_unit_completes(world, no_checks):
    Membership.objects.filter(user=world.iv).update(qualification=Qualification.QUALIFYING)
    p = put(world.portfolio, S.ASSESSOR_SIGNED)
    signature = sign(p, world.iv, K.IV)
    assert (signature.statement, signature.role) == (WORKBOOK_BLOCK, Role.IV)
    p = Portfolio.objects.get(pk=p.pk)
    assert (p.status, p.iv_sampled) == (S.IV_SIGNED, True)
    senior = member(world.centre, Role.IV)
    countersignature = sign(p, senior, K.IV_COUNTERSIGN)
    assert countersignature.role == Role.IV
    assert countersignature.statement == (
        f"I countersign this decision by {world.iv.full_name}, who is still qualifying, and agree with it."
    )
    assert status(p) == S.COMPLETE
    (completed,) = AuditEvent.objects.filter(action="portfolio.completed")
    assert (completed.actor, completed.actor_role) == (senior, Role.IV)


def test_a_qualified_ivs_signature_completes_the_unit_and_the_evs_follows_a_sample(world, no_checks):
    p = put(world.portfolio, S.ASSESSOR_SIGNED)
    sign(p, world.iv, K.IV)
    assert status(p) == S.COMPLETE
    p = put(world.portfolio, S.IV_SIGNED, ev_sampled=True)
    signature = sign(p, world.ev, K.EV)
    assert (signature.statement, signature.role) == (WORKBOOK_BLOCK, Role.EV)
    assert status(p) == S.COMPLETE
    assert AuditEvent.objects.get(action="signature.made", data__kind=K.EV).data["remote"] is True


def test_an_ocr_units_verifiers_sign_the_applications_statements_as_its_specification_gives_none(world, no_checks):
    Portfolio.objects.filter(pk=world.portfolio.pk).update(awarding_body=AwardingBody.objects.get(code="OCR"))
    p = put(world.portfolio, S.ASSESSOR_SIGNED, ev_sampled=True)
    assert sign(p, world.iv, K.IV).statement == (
        "I have internally verified this unit and agree with the assessment decision."
    )
    ocr_ev = external_verifier(world.centre, body_code="OCR")
    assert sign(Portfolio.objects.get(pk=p.pk), ocr_ev, K.EV).statement == (
        "I have externally verified this unit and agree with the assessment and verification decisions."
    )
    assert status(p) == S.COMPLETE


def test_the_verifiers_sign_whatever_the_units_code_holds_for_its_awarding_body(world, no_checks):
    """The statements are data: a centre's own loaded unit carries its body's words, each box its own."""
    UnitCode.objects.filter(unit=world.portfolio.unit, awarding_body__code="CG").update(
        iv_statement="IV: sampled and agreed.", ev_statement="EV: sampled and agreed."
    )
    p = put(world.portfolio, S.ASSESSOR_SIGNED, ev_sampled=True)
    assert sign(p, world.iv, K.IV).statement == "IV: sampled and agreed."
    assert sign(Portfolio.objects.get(pk=p.pk), world.ev, K.EV).statement == "EV: sampled and agreed."


def test_the_evs_signature_on_a_visit_is_not_remote(world, no_checks, monkeypatch):
    def on_visit(*, user_id, portfolio_id):
        return (user_id, portfolio_id) == (world.ev.pk, world.portfolio.pk)

    monkeypatch.setattr(services.chain, "visit_reaches_user", on_visit)
    sign(put(world.portfolio, S.IV_RELEASED, ev_sampled=True), world.ev, K.EV)
    assert AuditEvent.objects.get(action="signature.made", data__kind=K.EV).data["remote"] is False


def test_the_checks_other_apps_add_are_asked_once_each(world, monkeypatch):
    monkeypatch.setattr(services.signing, "SIGNING_CHECKS", {})
    asked = []

    def report_needed(portfolio, actor):
        asked.append((portfolio.pk, actor.pk))
        raise TransitionError("Write your report first.")

    add_signing_check(K.IV, report_needed)
    add_signing_check(K.IV, report_needed)
    assert {K.IV: [report_needed]} == services.signing.SIGNING_CHECKS
    with pytest.raises(TransitionError) as err:
        sign(put(world.portfolio, S.ASSESSOR_SIGNED), world.iv, K.IV)
    assert err.value.messages == ["Write your report first."]
    assert asked == [(world.portfolio.pk, world.iv.pk)]
    sign(put(world.portfolio, S.IN_PROGRESS), world.learner, K.LEARNER)  # the learner's has no such check
