"""assessments/policy.py asked directly, one rule at a time: every action in every state, every reason in its own
words, the countersignature's qualification, the order of the chain and who counts as having decided. Fast: the
portfolio's state is set on the object, not signed into place."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessments.access import COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV
from assessments.models import Author, ClaimJudgement, Evidence, Portfolio, PortfolioStatus, Signature, Verdict
from assessments.models import SignatureKind as K
from assessments.policy import (
    OWN_DECISIONS,
    WITHDRAW_WHO,
    Decision,
    countersigner_qualified,
    decided_by,
    made_assessment_decisions,
    portfolio_may,
    qualifying,
    signature_may_withdraw,
)
from assessments.tests.test_evidence_views import add
from people.models import Membership, Qualification, Role
from tests.factories import PortfolioFactory, member
from units.models import Criterion

S = PortfolioStatus
ALL = set(S.values)

# Written out here, not read from the policy, so a change to the policy's tables shows.
LINK = {
    "submit": Role.LEARNER,
    "sign_assessor": Role.ASSESSOR,
    "assessor_refer": Role.ASSESSOR,
    "countersign_assessor": COUNTERSIGN_ASSESSOR,
    "sign_iv": Role.IV,
    "iv_sample": Role.IV,
    "iv_release": Role.IV,
    "iv_refer": Role.IV,
    "countersign_iv": COUNTERSIGN_IV,
    "sign_ev": Role.EV,
    "ev_sample": Role.EV,
    "ev_release": Role.EV,
    "ev_refer": Role.EV,
}
WHO = {
    "submit": "Only the learner makes the learner's declaration.",
    "sign_assessor": "Only the learner's assessor signs the assessment decision.",
    "assessor_refer": "Only the learner's assessor refers a submitted unit back.",
    "countersign_assessor": "A countersignature must come from another, qualified assessor.",
    "sign_iv": "Only the unit's internal verifier signs its verification.",
    "iv_sample": "Only the unit's internal verifier samples it.",
    "iv_release": "Only the unit's internal verifier releases it.",
    "iv_refer": "Only the unit's internal verifier refers it back from verification.",
    "countersign_iv": "An IV countersignature must come from another, qualified IV not involved here.",
    "sign_ev": "Only an external verifier allocated to this centre, or visiting it with this unit in their sample, "
    "signs here.",
    "ev_sample": "Only an external verifier allocated to this centre, or visiting it with this unit in their sample, "
    "samples it.",
    "ev_release": "Only an external verifier allocated to this centre, or visiting it with this unit in their "
    "sample, releases it from the sample.",
    "ev_refer": "Only an external verifier allocated to this centre, or visiting it with this unit in their sample, "
    "refers it back.",
}
ASSESSED = {S.ASSESSOR_SIGNED, S.ASSESSOR_COUNTERSIGNED}
DUE = {
    "submit": {S.IN_PROGRESS},
    "sign_assessor": {S.SUBMITTED},
    "assessor_refer": {S.SUBMITTED},
    "countersign_assessor": {S.ASSESSOR_SIGNED},
    "sign_iv": ASSESSED,
    "iv_sample": ASSESSED,
    "iv_release": ASSESSED,
    "iv_refer": ASSESSED,
    "countersign_iv": {S.IV_SIGNED},
    "sign_ev": {S.IV_SIGNED, S.IV_COUNTERSIGNED, S.IV_RELEASED},
    "ev_sample": ALL - {S.COMPLETE, S.WITHDRAWN},
    "ev_release": ALL - {S.COMPLETE, S.WITHDRAWN, S.EV_SIGNED},
    "ev_refer": ASSESSED | {S.IV_SIGNED, S.IV_COUNTERSIGNED, S.IV_RELEASED},
}
LABEL = {
    S.IN_PROGRESS: "in progress",
    S.SUBMITTED: "submitted by the learner",
    S.ASSESSOR_SIGNED: "signed by the assessor",
    S.ASSESSOR_COUNTERSIGNED: "assessor's decision countersigned",
    S.IV_SIGNED: "signed by the iv",
    S.IV_COUNTERSIGNED: "iv's decision countersigned",
    S.IV_RELEASED: "released by the iv without sampling",
    S.EV_SIGNED: "signed by the ev",
    S.COMPLETE: "complete",
    S.WITHDRAWN: "withdrawn",
}
NEEDS_EV_SAMPLE = {"sign_ev", "ev_release", "ev_refer"}


def answer(decision: Decision) -> tuple[bool, str, int]:
    return decision.allowed, decision.reason, decision.status


YES = (True, "", 200)


def refused(reason: str, status: int = 403) -> tuple[bool, str, int]:
    return False, reason, status


def at(portfolio: Portfolio, status: str, **flags) -> Portfolio:
    """The portfolio in `status` (on the object only: the policy reads the object it is given)."""
    portfolio.status = status
    portfolio.iv_sampled = flags.get("iv_sampled", False)
    portfolio.ev_sampled = flags.get("ev_sampled", False)
    return portfolio


@pytest.fixture
def mentors(world):
    """The unit's assessor and IV both still qualifying, and a qualified colleague of each to countersign."""
    Membership.objects.filter(user__in=[world.assessor, world.iv]).update(qualification=Qualification.QUALIFYING)
    world.senior_assessor = member(world.centre, Role.ASSESSOR, user__full_name="Sam Senior")
    world.senior_iv = member(world.centre, Role.IV, user__full_name="Vera Senior")
    return world


def who_acts(world, action: str):
    return {
        Role.LEARNER: world.learner,
        Role.ASSESSOR: world.assessor,
        Role.IV: world.iv,
        Role.EV: world.ev,
        COUNTERSIGN_ASSESSOR: getattr(world, "senior_assessor", None),
        COUNTERSIGN_IV: getattr(world, "senior_iv", None),
    }[LINK[action]]


# --- Who, when -------------------------------------------------------------------------------------------------


def test_no_link_at_all_is_404_for_every_action(world):
    for action in LINK:
        assert answer(portfolio_may(world.outsider.pk, set(), action, world.portfolio)) == refused(
            "No such portfolio.", 404
        )


def test_a_link_of_the_wrong_kind_is_403_with_the_actions_own_reason(world):
    for action, link in LINK.items():
        others = {Role.LEARNER, Role.ASSESSOR, Role.IV, Role.EV, Role.ADMIN, COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV}
        decision = portfolio_may(world.admin.pk, others - {link}, action, world.portfolio)
        assert answer(decision) == refused(WHO[action]), action
        assert not decision


@pytest.mark.parametrize("action", [a for a in LINK if not a.startswith("countersign")])
def test_each_action_is_due_in_its_states_only(world, action):
    who = who_acts(world, action)
    for status in S.values:
        p = at(world.portfolio, status, ev_sampled=action in NEEDS_EV_SAMPLE)
        decision = portfolio_may(who.pk, {LINK[action]}, action, p)
        if status in DUE[action]:
            assert answer(decision) == YES, status
            assert decision
        else:
            assert answer(decision) == refused(f"This unit is {LABEL[status]}: that is not due now."), status


@pytest.mark.parametrize("action", ["countersign_assessor", "countersign_iv"])
def test_each_countersignature_is_due_in_its_state_only(mentors, action):
    who = who_acts(mentors, action)
    for status in S.values:
        decision = portfolio_may(who.pk, {LINK[action]}, action, at(mentors.portfolio, status))
        if status in DUE[action]:
            assert answer(decision) == YES, status
        else:
            assert answer(decision) == refused(f"This unit is {LABEL[status]}: that is not due now."), status


def test_the_iv_sampled_the_unit_so_signs_or_refers_it_and_neither_samples_nor_releases_it_again(world):
    for status in ASSESSED:
        p = at(world.portfolio, status, iv_sampled=True)
        for action in ("iv_sample", "iv_release"):
            assert answer(portfolio_may(world.iv.pk, {Role.IV}, action, p)) == refused(
                "You have sampled this unit: sign it or refer it back."
            )
        for action in ("sign_iv", "iv_refer"):
            assert answer(portfolio_may(world.iv.pk, {Role.IV}, action, p)) == YES


def test_the_ev_samples_once_and_then_signs_releases_or_refers(world):
    p = at(world.portfolio, S.IV_SIGNED, ev_sampled=True)
    assert answer(portfolio_may(world.ev.pk, {Role.EV}, "ev_sample", p)) == refused(
        "The unit is already in the external verifier's sample."
    )
    p = at(world.portfolio, S.IV_SIGNED, ev_sampled=False)
    for action in NEEDS_EV_SAMPLE:
        assert answer(portfolio_may(world.ev.pk, {Role.EV}, action, p)) == refused(
            "Mark the unit as sampled first: it is not in the external verifier's sample."
        )
    assert answer(portfolio_may(world.ev.pk, {Role.EV}, "ev_sample", p)) == YES


# --- An IV never verifies their own assessment decisions -----------------------------------------------------------


@pytest.mark.parametrize("action", ["sign_iv", "iv_sample", "iv_release", "iv_refer"])
def test_every_iv_action_is_refused_to_someone_who_decided_in_the_unit(world, action):
    p = at(world.portfolio, S.ASSESSOR_SIGNED)
    p.iv = world.assessor  # made IV by the admin, after assessing
    assert answer(portfolio_may(world.assessor.pk, {Role.IV}, action, p)) == refused(OWN_DECISIONS)
    assert answer(portfolio_may(world.iv.pk, {Role.IV}, action, at(world.portfolio, S.ASSESSOR_SIGNED))) == YES


def test_an_iv_countersigner_who_decided_in_the_unit_is_refused_before_their_qualification_is_asked(mentors):
    p = at(mentors.portfolio, S.IV_SIGNED)
    assert answer(portfolio_may(mentors.assessor.pk, {COUNTERSIGN_IV}, "countersign_iv", p)) == refused(OWN_DECISIONS)


def test_decisions_matter_only_to_the_iv_actions(world):
    # The EV who once judged a claim as a stand-in is not refused for that: the rule is the IV's.
    item = add(world, criteria=["1.1"])
    ClaimJudgement.objects.create(
        evidence=item, criterion=item.criteria.first(), verdict=Verdict.CONFIRMED, judged_by=world.ev
    )
    p = at(world.portfolio, S.ASSESSOR_SIGNED)
    assert answer(portfolio_may(world.ev.pk, {Role.EV}, "ev_sample", p)) == YES
    assert answer(portfolio_may(world.assessor.pk, {Role.ASSESSOR}, "submit", at(p, S.IN_PROGRESS))) == refused(
        WHO["submit"]
    )


# --- Countersignatures: from a qualified colleague, and only for someone qualifying ---------------------------------


def test_the_assessor_countersigner_must_be_a_qualified_assessor_at_this_centre(mentors):
    p = at(mentors.portfolio, S.ASSESSOR_SIGNED)
    novice = member(mentors.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING)
    elsewhere = member(mentors.other_centre, Role.ASSESSOR)
    iv_only = member(mentors.centre, Role.IV)  # qualified, but as an IV
    lapsed = member(mentors.centre, Role.ASSESSOR, is_active=False)
    for person in (novice, elsewhere, iv_only, lapsed):
        assert answer(portfolio_may(person.pk, {COUNTERSIGN_ASSESSOR}, "countersign_assessor", p)) == refused(
            "Only a qualified assessor at this centre can countersign."
        ), person
    assert answer(portfolio_may(mentors.senior_assessor.pk, {COUNTERSIGN_ASSESSOR}, "countersign_assessor", p)) == YES


def test_the_iv_countersigner_must_be_a_qualified_iv_at_this_centre(mentors):
    p = at(mentors.portfolio, S.IV_SIGNED)
    novice = member(mentors.centre, Role.IV, qualification=Qualification.QUALIFYING)
    assessor_only = member(mentors.centre, Role.ASSESSOR)
    elsewhere = member(mentors.other_centre, Role.IV)
    for person in (novice, assessor_only, elsewhere):
        assert answer(portfolio_may(person.pk, {COUNTERSIGN_IV}, "countersign_iv", p)) == refused(
            "Only a qualified internal verifier at this centre can countersign."
        ), person
    assert answer(portfolio_may(mentors.senior_iv.pk, {COUNTERSIGN_IV}, "countersign_iv", p)) == YES


def test_a_qualified_persons_decision_needs_no_countersignature(world):
    colleague = member(world.centre, Role.ASSESSOR)
    p = at(world.portfolio, S.ASSESSOR_SIGNED)
    assert answer(portfolio_may(colleague.pk, {COUNTERSIGN_ASSESSOR}, "countersign_assessor", p)) == refused(
        "The assessor is qualified, so their decision needs no countersignature."
    )
    iv_colleague = member(world.centre, Role.IV)
    p = at(world.portfolio, S.IV_SIGNED)
    assert answer(portfolio_may(iv_colleague.pk, {COUNTERSIGN_IV}, "countersign_iv", p)) == refused(
        "The IV is qualified, so their decision needs no countersignature."
    )


def test_a_qualifying_decision_is_countersigned_before_the_next_signer_goes_on(mentors):
    p = at(mentors.portfolio, S.ASSESSOR_SIGNED)
    first = "The assessor is still qualifying: their decision must be countersigned first."
    assert answer(portfolio_may(mentors.iv.pk, {Role.IV}, "sign_iv", p)) == refused(first)
    assert answer(portfolio_may(mentors.iv.pk, {Role.IV}, "iv_release", p)) == refused(first)
    assert answer(portfolio_may(mentors.iv.pk, {Role.IV}, "iv_sample", p)) == YES
    p = at(mentors.portfolio, S.ASSESSOR_COUNTERSIGNED)
    assert answer(portfolio_may(mentors.iv.pk, {Role.IV}, "sign_iv", p)) == YES
    assert answer(portfolio_may(mentors.iv.pk, {Role.IV}, "iv_release", p)) == YES
    p = at(mentors.portfolio, S.IV_SIGNED, ev_sampled=True)
    assert answer(portfolio_may(mentors.ev.pk, {Role.EV}, "sign_ev", p)) == refused(
        "The IV is still qualifying: their decision must be countersigned first."
    )
    assert answer(portfolio_may(mentors.ev.pk, {Role.EV}, "ev_refer", p)) == YES
    p = at(mentors.portfolio, S.IV_COUNTERSIGNED, ev_sampled=True)
    assert answer(portfolio_may(mentors.ev.pk, {Role.EV}, "sign_ev", p)) == YES


def test_qualifying_asks_the_units_own_assessor_or_iv_in_that_role_at_that_centre(world):
    p = world.portfolio
    assert not qualifying(p, Role.ASSESSOR) and not qualifying(p, Role.IV)
    # Two roles at once: qualified as assessor, still qualifying as IV.
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFYING
    )
    assert not qualifying(p, Role.ASSESSOR)
    Membership.objects.filter(user=world.iv).update(qualification=Qualification.QUALIFYING)
    assert qualifying(p, Role.IV) and not qualifying(p, Role.ASSESSOR)
    Membership.objects.filter(user=world.iv).update(is_active=False)
    assert not qualifying(p, Role.IV)
    elsewhere = PortfolioFactory(centre=world.other_centre, assessor=world.assessor, iv=world.iv)
    Membership.objects.filter(user=world.iv).update(is_active=True)
    assert not qualifying(elsewhere, Role.IV)
    p.iv = None
    assert not qualifying(p, Role.IV)


def test_countersigner_qualified_is_by_role_and_centre(world):
    p = world.portfolio
    assert countersigner_qualified(world.assessor.pk, p, Role.ASSESSOR)
    assert not countersigner_qualified(world.assessor.pk, p, Role.IV)
    assert countersigner_qualified(world.iv.pk, p, Role.IV)
    assert not countersigner_qualified(world.learner.pk, p, Role.ASSESSOR)
    elsewhere = PortfolioFactory(centre=world.other_centre)
    assert not countersigner_qualified(world.assessor.pk, elsewhere, Role.ASSESSOR)


def first_criterion(world) -> Criterion:
    return Criterion.objects.filter(outcome__unit=world.portfolio.unit).order_by("pk").first()


# --- Who made an assessment decision -------------------------------------------------------------------------------


def test_the_assessor_now_decided_without_a_query_and_anyone_else_in_one(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert made_assessment_decisions(world.assessor.pk, world.portfolio)
    with django_assert_num_queries(1):
        assert not made_assessment_decisions(world.iv.pk, world.portfolio)


def test_each_kind_of_decision_counts_and_only_in_this_portfolio(world, second_portfolio):
    people = {kind: member(world.centre, Role.ASSESSOR) for kind in ("judged", "decided", "wrote", "signed", "cs")}
    p = world.portfolio
    assert not any(made_assessment_decisions(person.pk, p) for person in people.values())
    own = add(world)
    ClaimJudgement.objects.create(
        evidence=own, criterion=first_criterion(world), verdict=Verdict.CONFIRMED, judged_by=people["judged"]
    )
    Evidence.objects.filter(pk=own.pk).update(decided_by=people["decided"])
    written = add(world)
    Evidence.objects.filter(pk=written.pk).update(author=Author.ASSESSOR, created_by=people["wrote"])
    for kind, who in ((K.ASSESSOR, people["signed"]), (K.ASSESSOR_COUNTERSIGN, people["cs"])):
        Signature.objects.create(
            portfolio=p, kind=kind, round=1, signer=who, signer_name=who.full_name, role=Role.ASSESSOR,
            statement="-", signed_at=timezone.now(), record={}, digest="0" * 64,
        )  # fmt: skip
    for kind, who in people.items():
        assert made_assessment_decisions(who.pk, p), kind
        assert not made_assessment_decisions(who.pk, second_portfolio), kind
    # Each decision is its maker's: a colleague who made none is not caught by anyone else's.
    bystander = member(world.centre, Role.ASSESSOR)
    assert not made_assessment_decisions(bystander.pk, p)
    # The filter itself finds the unit's assessor now, as the sampling population asks it (without the shortcut).
    found = set(Portfolio.objects.filter(decided_by(world.assessor.pk)).values_list("pk", flat=True))
    assert found == {p.pk, second_portfolio.pk}


def test_signatures_that_are_not_assessment_decisions_do_not_count(world):
    stranger = member(world.centre, Role.IV)
    for kind in (K.LEARNER, K.IV, K.IV_COUNTERSIGN, K.EV):
        Signature.objects.create(
            portfolio=world.portfolio, kind=kind, round=1, signer=stranger, signer_name="S", role=Role.IV,
            statement="-", signed_at=timezone.now(), record={}, digest="0" * 64,
        )  # fmt: skip
    assert not made_assessment_decisions(stranger.pk, world.portfolio)


def test_a_learners_own_item_is_no_assessment_decision_of_theirs(world):
    add(world, criteria=["1.1"])  # written by the learner, undecided
    assert not made_assessment_decisions(world.learner.pk, world.portfolio)


def test_a_decision_on_evidence_cross_referenced_into_the_unit_counts_there(world, second_portfolio):
    stand_in = member(world.centre, Role.ASSESSOR)
    item = add(world)
    item.cross_references.add(second_portfolio)
    assert not made_assessment_decisions(stand_in.pk, second_portfolio)
    ClaimJudgement.objects.create(
        evidence=item, criterion=first_criterion(world), verdict=Verdict.CONFIRMED, judged_by=stand_in
    )
    assert made_assessment_decisions(stand_in.pk, second_portfolio)
    writer = member(world.centre, Role.ASSESSOR)
    Evidence.objects.filter(pk=item.pk).update(author=Author.ASSESSOR, created_by=writer)
    assert made_assessment_decisions(writer.pk, second_portfolio)


# --- Withdrawing a signature -------------------------------------------------------------------------------------


def _signature(world, **fields) -> Signature:
    return Signature(portfolio=world.portfolio, kind=K.ASSESSOR, signer=world.assessor, **fields)


def test_the_signer_or_a_centre_admin_withdraws_while_it_stands_and_the_unit_is_not_complete(world):
    signature = _signature(world)
    p = at(world.portfolio, S.ASSESSOR_SIGNED)
    assert answer(signature_may_withdraw(world.assessor.pk, {"signer"}, signature, p)) == YES
    assert answer(signature_may_withdraw(world.admin.pk, {Role.ADMIN}, signature, p)) == YES
    assert answer(signature_may_withdraw(world.iv.pk, {Role.IV}, signature, p)) == refused(WITHDRAW_WHO)
    assert WITHDRAW_WHO == "Only the signer or a centre admin can withdraw a signature."
    assert answer(signature_may_withdraw(world.iv.pk, set(), signature, p)) == refused("No such portfolio.", 404)
    for status in ALL - {S.COMPLETE}:
        assert answer(signature_may_withdraw(world.assessor.pk, {"signer"}, signature, at(p, status))) == YES
    assert answer(signature_may_withdraw(world.admin.pk, {Role.ADMIN}, signature, at(p, S.COMPLETE))) == refused(
        "The unit is complete: its signatures stand."
    )
    gone = _signature(world, withdrawn_at=timezone.now())
    assert answer(signature_may_withdraw(world.assessor.pk, {"signer"}, gone, at(p, S.ASSESSOR_SIGNED))) == refused(
        "This signature has already been withdrawn."
    )
