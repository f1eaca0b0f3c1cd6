"""The completeness rule (assessments/judgement/completeness.py): what a unit still lacks before the assessor may
sign, item by item, and how each reason reads to the assessor and to the learner."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.judgement.completeness import Completeness, completeness
from assessments.models import (
    Acknowledgement,
    ClaimJudgement,
    Decision,
    Evidence,
    EvidenceSetting,
    Observation,
    Verdict,
    WitnessStatus,
)
from assessments.tests.test_cross_references import C4, SECOND, crit, rng, save
from tests.assessor_records import discuss, observe, question
from tests.factories import PASSWORD
from units.models import Criterion, RangeItem

WITNESS = {"witness_name": "Sam", "witness_email": "sam@example.org", "witness_statement": "I saw it."}


def judge(item: Evidence, who, *, decision=Decision.ACCEPTED, verdict=Verdict.CONFIRMED) -> Evidence:
    """The assessor's decision on the item and the same verdict on each of its claims, written directly."""
    Evidence.objects.filter(pk=item.pk).update(decision=decision, decided_by=who)
    for c in item.criteria.all():
        ClaimJudgement.objects.create(evidence=item, criterion=c, verdict=verdict, judged_by=who)
    for r in item.range_items.all():
        ClaimJudgement.objects.create(evidence=item, range_item=r, verdict=verdict, judged_by=who)
    return item


def whole(slug: str) -> tuple[list[Criterion], list[RangeItem]]:
    return (
        list(Criterion.objects.filter(outcome__unit__slug=slug).order_by("outcome__number", "number")),
        list(RangeItem.objects.filter(unit__slug=slug).order_by("letter")),
    )


@pytest.fixture
def small(world, second_portfolio):
    """The second unit: criteria 1.1 and 1.2 (performance), 2.1 and 2.2 (knowledge), range a and b; simulation
    may count for its performance criteria."""
    world.small = second_portfolio
    return world


def test_a_new_unit_lacks_every_criterion_and_range_item_in_order(world):
    check = completeness(world.portfolio)
    criteria, range_items = whole(C4)
    assert [c.code for c in check.missing_criteria] == [c.code for c in criteria]
    codes = [c.code for c in check.missing_criteria]
    assert codes == sorted(codes, key=lambda code: tuple(int(n) for n in code.split(".")))
    assert [r.letter for r in check.missing_range] == ["a", "b", "c", "d"]
    assert (check.unconfirmed_witnesses, check.undecided, check.simulated, check.unacknowledged) == ([], [], [], [])
    assert not check.is_complete


def test_every_criterion_without_the_range_is_not_complete(small):
    criteria, range_items = whole(SECOND)
    judge(save(small.learner, small.small, criteria=criteria), small.assessor)
    check = completeness(small.small)
    assert check.missing_criteria == []
    assert [r.letter for r in check.missing_range] == ["a", "b"]
    assert not check.is_complete
    judge(save(small.learner, small.small, range_items=range_items[:1], days_ago=2), small.assessor)
    assert [r.letter for r in completeness(small.small).missing_range] == ["b"]
    judge(save(small.learner, small.small, range_items=range_items[1:], days_ago=3), small.assessor)
    check = completeness(small.small)
    assert check.is_complete and check.reasons() == [] and check.missing_range == []


def test_the_range_without_every_criterion_is_not_complete(small):
    criteria, range_items = whole(SECOND)
    judge(save(small.learner, small.small, criteria=criteria[1:], range_items=range_items), small.assessor)
    check = completeness(small.small)
    assert [c.code for c in check.missing_criteria] == ["1.1"] and check.missing_range == []
    assert not check.is_complete


def test_only_confirmed_claims_on_accepted_evidence_count(small):
    criteria, range_items = whole(SECOND)
    judge(save(small.learner, small.small, criteria=criteria[:1], range_items=range_items[:1]), small.assessor)
    judge(save(small.learner, small.small, criteria=criteria[1:2]), small.assessor, verdict=Verdict.REJECTED)
    pending = judge(save(small.learner, small.small, criteria=criteria[2:3]), small.assessor, decision=Decision.PENDING)
    judge(save(small.learner, small.small, criteria=criteria[3:], range_items=range_items[1:]), small.assessor,
          decision=Decision.SENT_BACK)  # fmt: skip
    check = completeness(small.small)
    assert [c.code for c in check.missing_criteria] == ["1.2", "2.1", "2.2"]
    assert [r.letter for r in check.missing_range] == ["b"]
    # Only the item still waiting for the assessor is undecided; the one sent back was decided.
    assert check.undecided == [pending.reference]


def test_an_accepted_witness_statement_counts_only_once_the_witness_confirms_it(small):
    criteria, _ = whole(SECOND)
    statement = judge(save(small.learner, small.small, criteria=criteria[:1], method="WT", **WITNESS), small.assessor)
    waiting = save(small.learner, small.small, criteria=criteria[1:2], method="WT", days_ago=2, **WITNESS)
    assert completeness(small.small).unconfirmed_witnesses == [statement.reference]
    # The one still undecided is listed for that, not for its witness.
    assert completeness(small.small).undecided == [waiting.reference]
    for status in (WitnessStatus.CONFIRMED, WitnessStatus.CORRECTED):
        Evidence.objects.filter(pk=statement.pk).update(witness_status=status)
        assert completeness(small.small).unconfirmed_witnesses == []
    # Another method with the same status field is not a witness statement.
    observed = judge(save(small.learner, small.small, criteria=criteria[2:3], days_ago=3), small.assessor)
    Evidence.objects.filter(pk=observed.pk).update(witness_status=WitnessStatus.UNCONFIRMED)
    assert completeness(small.small).unconfirmed_witnesses == []


def simulated(item: Evidence) -> Evidence:
    """The item as simulation: the evidence form refuses that for a performance claim on this unit, but the unit's
    rule may have changed since, or the setting been edited with the claim left in place."""
    Evidence.objects.filter(pk=item.pk).update(setting=EvidenceSetting.SIMULATION)
    return item


def test_simulation_cannot_back_a_performance_criterion_or_the_range_unless_the_unit_allows_it(world):
    learner, p, assessor = world.learner, world.portfolio, world.assessor
    performance = simulated(judge(save(learner, p, criteria=[crit(C4, "1.1")]), assessor))
    knowledge = simulated(judge(save(learner, p, criteria=[crit(C4, "3.1")], days_ago=2), assessor))
    ranged = simulated(judge(save(learner, p, range_items=[rng(C4, "a")], days_ago=3), assessor))
    judge(save(learner, p, criteria=[crit(C4, "1.2")], setting=EvidenceSetting.REALISTIC, days_ago=4), assessor)
    simulated(save(learner, p, criteria=[crit(C4, "1.3")], days_ago=5))  # undecided
    simulated(judge(save(learner, p, criteria=[crit(C4, "1.4")], days_ago=6), assessor, verdict=Verdict.REJECTED))
    check = completeness(p)
    assert check.simulated == [performance.reference, ranged.reference]
    assert knowledge.reference not in check.simulated


def test_simulation_counts_on_a_unit_that_allows_it(small):
    criteria, range_items = whole(SECOND)
    judge(save(small.learner, small.small, criteria=criteria, range_items=range_items,
               setting=EvidenceSetting.SIMULATION), small.assessor)  # fmt: skip
    check = completeness(small.small)
    assert check.simulated == [] and check.is_complete


def test_cross_referenced_evidence_counts_and_is_listed_after_the_units_own(small):
    """Items written in the C4 portfolio that also map the second unit's criteria count there too."""
    criteria, range_items = whole(SECOND)
    crossed = judge(
        save(small.learner, small.portfolio, criteria=[crit(C4, "1.1"), *criteria], method="WT", **WITNESS),
        small.assessor,
    )
    judge(save(small.learner, small.small, days_ago=2), small.assessor)  # E1 here, so the references differ
    own = judge(save(small.learner, small.small, range_items=range_items, method="WT", days_ago=2, **WITNESS),
                small.assessor)  # fmt: skip
    undecided_there = save(small.learner, small.portfolio, criteria=[crit(C4, "1.2"), criteria[0]], days_ago=3)
    check = completeness(small.small)
    assert check.missing_criteria == [] and check.missing_range == []
    # Own items first, then the cross-referenced ones; an undecided item is its home unit's to list.
    assert check.unconfirmed_witnesses == [own.reference, crossed.reference] == ["E2", "E1"]
    assert check.undecided == []
    assert undecided_there.reference in completeness(small.portfolio).undecided


@pytest.fixture
def covered(world):
    """Every C4 criterion and range item confirmed on one accepted item of the learner's: complete so far."""
    criteria, range_items = whole(C4)
    judge(save(world.learner, world.portfolio, criteria=criteria, range_items=range_items, days_ago=3), world.assessor)
    assert completeness(world.portfolio).is_complete
    return world


def test_an_observation_waiting_for_the_learners_acknowledgement_keeps_the_unit_incomplete(covered):
    record = observe(covered, criteria=("1.1",))
    check = completeness(covered.portfolio)
    assert check.unacknowledged == [record.reference]
    assert not check.is_complete
    assert (check.missing_criteria, check.missing_range, check.undecided) == ([], [], [])
    # Once the learner acknowledges it from their own account, nothing is left.
    services.observation_acknowledge(actor=covered.learner, evidence=record)
    check = completeness(covered.portfolio)
    assert check.unacknowledged == [] and check.is_complete and check.reasons() == []


def test_an_observation_acknowledged_either_way_is_not_listed_and_pending_again_is(covered):
    record = observe(covered, criteria=("1.1",), learner_password=PASSWORD)
    assert completeness(covered.portfolio).unacknowledged == []
    for how, listed in (
        (Acknowledgement.OWN_ACCOUNT, []),
        (Acknowledgement.PENDING, [record.reference]),
        (Acknowledgement.ON_DEVICE, []),
    ):
        Observation.objects.filter(evidence=record).update(acknowledgement=how)
        assert completeness(covered.portfolio).unacknowledged == listed, how
        assert completeness(covered.portfolio).is_complete is (listed == []), how


def test_only_the_assessors_observations_wait_for_an_acknowledgement(covered):
    # The learner's own item of method O, questioning and a discussion have nothing to acknowledge.
    judge(save(covered.learner, covered.portfolio, criteria=[crit(C4, "1.2")], days_ago=2), covered.assessor)
    question(covered)
    discuss(covered)
    check = completeness(covered.portfolio)
    assert check.unacknowledged == [] and check.is_complete
    first = observe(covered, criteria=("1.1",))
    acknowledged = observe(covered, criteria=("1.2",), learner_password=PASSWORD)
    last = observe(covered, criteria=("2.1",))
    check = completeness(covered.portfolio)
    assert check.unacknowledged == [first.reference, last.reference]
    assert acknowledged.reference not in check.unacknowledged


def _queries(portfolio) -> tuple[int, Completeness]:
    with CaptureQueriesContext(connection) as queries:
        check = completeness(portfolio)
    return len(queries), check


def test_the_rule_asks_as_many_queries_with_many_observations_as_with_one(covered):
    observe(covered, criteria=("1.1",))
    question(covered)
    _queries(covered.portfolio)  # warms what is read once per process
    one, check = _queries(covered.portfolio)
    assert len(check.unacknowledged) == 1
    for code in ("1.2", "1.3", "2.1", "2.2"):
        observe(covered, criteria=(code,), title=f"Observed for {code}")
    observe(covered, criteria=("3.1",), learner_password=PASSWORD)
    discuss(covered)
    many, check = _queries(covered.portfolio)
    assert len(check.unacknowledged) == 5
    assert many == one


def test_items_are_listed_by_number(small):
    criteria, _ = whole(SECOND)
    first = save(small.learner, small.small, criteria=criteria[:1], days_ago=1)
    second = save(small.learner, small.small, criteria=criteria[1:2], days_ago=9)
    third = save(small.learner, small.small, criteria=criteria[2:3], days_ago=5)
    assert completeness(small.small).undecided == [first.reference, second.reference, third.reference]


# --- The reasons, in words --------------------------------------------------------------------------------------


@pytest.fixture
def everything_missing(world):
    criteria, range_items = whole(C4)
    return Completeness(
        missing_criteria=criteria[:2],
        missing_range=range_items[:2],
        unconfirmed_witnesses=["E3"],
        undecided=["E1", "E2"],
        simulated=["E4"],
        unacknowledged=["E5"],
    )


def test_the_assessor_is_told_each_thing_to_do(world, everything_missing):
    assert everything_missing.reasons(world.portfolio.unit_code) == [
        "No confirmed evidence yet for 220.1.1, 220.1.2.",
        "No confirmed evidence yet for range a (during routine delivery of customer service), "
        "b (during a busy time in your job).",
        "The witness statement in E3 is not yet confirmed by the witness.",
        "E1 has not been judged yet: accept it or send it back.",
        "E2 has not been judged yet: accept it or send it back.",
        "E4 is from simulation but backs a performance criterion or the range.",
        "The learner has not yet acknowledged the observation in E5: ask them to, from their own account "
        "or with their password on your device.",
    ]
    assert everything_missing.reasons()[0] == "No confirmed evidence yet for 1.1, 1.2."


def test_the_learner_is_told_what_they_wait_for_and_what_to_do(world, everything_missing):
    assert everything_missing.reasons(world.portfolio.unit_code, for_learner=True) == [
        "Your assessor has not yet confirmed evidence for 220.1.1, 220.1.2.",
        "Your assessor has not yet confirmed evidence for range a (during routine delivery of customer service), "
        "b (during a busy time in your job).",
        "Your witness has not yet confirmed the statement in E3.",
        "E1 is waiting for your assessor to accept it or send it back.",
        "E2 is waiting for your assessor to accept it or send it back.",
        "E4 is from simulation, which cannot count for a performance criterion or the range: "
        "show it in real work instead.",
        "Your assessor's observation in E5 is waiting for you to acknowledge it.",
    ]


def test_any_one_thing_missing_makes_it_incomplete(world):
    criteria, range_items = whole(C4)
    assert Completeness().is_complete and Completeness().reasons() == []
    for one in (
        {"missing_criteria": criteria[:1]},
        {"missing_range": range_items[:1]},
        {"unconfirmed_witnesses": ["E1"]},
        {"undecided": ["E1"]},
        {"simulated": ["E1"]},
        {"unacknowledged": ["E1"]},
    ):
        check = Completeness(**one)
        assert not check.is_complete and len(check.reasons()) == 1, one
        assert len(check.reasons(for_learner=True)) == 1, one


def test_the_assessors_signature_waits_for_the_learners_acknowledgement_and_says_why(covered):
    from assessments.models import SignatureKind
    from assessments.signoff.services import unit_sign
    from assessments.signoff.services.chain import TransitionError

    unit_sign(actor=covered.learner, portfolio=covered.portfolio, kind=SignatureKind.LEARNER, password=PASSWORD)
    record = observe(covered, criteria=("1.1",))
    with pytest.raises(TransitionError) as refused:
        unit_sign(
            actor=covered.assessor,
            portfolio=covered.portfolio,
            kind=SignatureKind.ASSESSOR,
            password=PASSWORD,
            sufficiency_statement="One occasion is enough here.",
        )
    assert f"The learner has not yet acknowledged the observation in {record.reference}" in str(refused.value)
    services.observation_acknowledge(actor=covered.learner, evidence=record)
    unit_sign(
        actor=covered.assessor,
        portfolio=covered.portfolio,
        kind=SignatureKind.ASSESSOR,
        password=PASSWORD,
        sufficiency_statement="One occasion is enough here.",
    )


def test_the_sign_off_page_tells_each_side_in_their_words_once(covered, client):
    import html as html_module
    import re

    from django.urls import reverse

    from assessments.models import SignatureKind
    from assessments.signoff.services import unit_sign
    from tests.pages import assert_one_layout

    unit_sign(actor=covered.learner, portfolio=covered.portfolio, kind=SignatureKind.LEARNER, password=PASSWORD)
    record = observe(covered, criteria=("1.1",))
    url = reverse("signoff", args=[covered.portfolio.pk])

    def items(who) -> list[str]:
        client.force_login(who)
        page = client.get(url).content.decode()
        assert_one_layout(page)
        return [
            html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", li).split()))
            for li in re.findall(r"<li>(.*?)</li>", page)
        ]

    learner_sees = items(covered.learner)
    assert (
        learner_sees.count(f"Your assessor's observation in {record.reference} is waiting for you to acknowledge it.")
        == 1
    )
    assert not any("The learner has not yet acknowledged" in li for li in learner_sees)
    assessor_sees = items(covered.assessor)
    assert [li for li in assessor_sees if "acknowledged the observation" in li] == [
        f"The learner has not yet acknowledged the observation in {record.reference}: ask them to, from their own "
        "account or with their password on your device."
    ]
