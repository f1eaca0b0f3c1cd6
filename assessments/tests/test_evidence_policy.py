"""The evidence and assessment plan rules in assessments/evidence/policy.py, on real items, asked as the pages ask
(the viewer's links) and as the services ask (the portfolio's row)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from assessments import services
from assessments.access import portfolio_links
from assessments.evidence.policy import (
    ASSESSORS_RECORD,
    LEARNERS_EVIDENCE,
    LEARNERS_ITEM,
    LOCKED,
    OWN_RECORD,
    PLAN_AGREERS,
    PLAN_CHANGERS,
    PLAN_LOCKED,
    PLAN_WITHDRAWN,
    RECORDERS,
    REVIEWERS,
    THREAD,
    WITNESS,
    evidence_may,
    evidence_who,
    links_of,
    locked_reason,
    plan_may,
)
from assessments.models import Evidence, Portfolio, PortfolioStatus
from assessments.tests.test_cross_references import C4, SECOND, crit, rng, save
from assessments.tests.test_evidence_views import add
from assessments.tests.test_review_views import lock
from people.models import Role

PERSONAS = ["learner", "assessor", "iv", "ev", "admin", "outsider"]


def links(world, persona: str, portfolio: Portfolio | None = None) -> set:
    """The persona's links to the portfolio, as assessments/access.py works them out for a request."""
    request = RequestFactory().get("/")
    request.user = world.persona(persona)
    request.session = {}
    return portfolio_links(request, portfolio or world.portfolio)


def record(world) -> Evidence:
    from tests.assessor_records import observe

    return observe(world, criteria=("1.1",), title="Observation at the service desk")


def answers(world, action: str, target) -> dict[str, tuple[bool, str, int]]:
    return {
        p: (d.allowed, d.reason, d.status)
        for p in PERSONAS
        for d in [evidence_may(world.persona(p).pk, links(world, p), action, target)]
    }


OK = (True, "", 200)
NO_SUCH = (False, "No such portfolio.", 404)


def only(persona_answers: dict[str, tuple], reason: str) -> dict[str, tuple]:
    """Everyone linked refused with `reason`, the outsider 404, except the personas given."""
    return dict.fromkeys(PERSONAS, (False, reason, 403)) | {"outsider": NO_SUCH} | persona_answers


def test_the_learner_alone_adds_changes_deletes_and_resends_to_the_witness(world):
    item = add(world, criteria=["1.1"])
    assert answers(world, "add", world.portfolio) == only({"learner": OK}, LEARNERS_EVIDENCE)
    assert answers(world, "edit", item) == only({"learner": OK}, LEARNERS_EVIDENCE)
    assert answers(world, "delete", item) == only({"learner": OK}, LEARNERS_EVIDENCE)
    assert answers(world, "witness_resend", item) == only({"learner": OK}, WITNESS)


def test_the_assessor_alone_reviews_and_records_and_the_two_write_in_the_thread(world):
    item = add(world, criteria=["1.1"])
    assert answers(world, "review", item) == only({"assessor": OK}, REVIEWERS)
    assert answers(world, "record_add", world.portfolio) == only({"assessor": OK}, RECORDERS)
    assert answers(world, "feedback", item) == only({"learner": OK, "assessor": OK}, THREAD)
    assert answers(world, "read", item) == {**dict.fromkeys(PERSONAS, OK), "outsider": NO_SUCH}


def test_each_side_keeps_off_the_others_items_with_its_own_reason(world):
    item, mine = add(world, criteria=["1.1"]), record(world)
    learner, assessor = links(world, "learner"), links(world, "assessor")
    assert evidence_who(learner, "edit", mine).reason == ASSESSORS_RECORD
    assert evidence_who(learner, "delete", mine).reason == ASSESSORS_RECORD
    assert evidence_who(assessor, "review", mine).reason == OWN_RECORD
    refused = evidence_who(assessor, "record_edit", item)
    assert (refused.reason, refused.status) == (LEARNERS_ITEM, 404)
    assert evidence_who(assessor, "record_edit", mine)
    assert evidence_who(learner, "edit", item) and evidence_who(assessor, "review", item)


def test_a_signed_unit_locks_every_change_but_not_reading(world):
    item, mine = add(world, criteria=["1.1"]), record(world)
    lock(world)
    item.portfolio = mine.portfolio = world.portfolio
    for persona, action, target in [
        ("learner", "add", world.portfolio),
        ("learner", "edit", item),
        ("learner", "delete", item),
        ("learner", "witness_resend", item),
        ("learner", "feedback", item),
        ("assessor", "review", item),
        ("assessor", "feedback", item),
        ("assessor", "record_add", world.portfolio),
        ("assessor", "record_edit", mine),
    ]:
        decision = evidence_may(world.persona(persona).pk, links(world, persona), action, target)
        assert (decision.allowed, decision.reason, decision.status) == (False, LOCKED, 403), action
        # Who may is unchanged: the page opens and says why nothing can be saved.
        assert evidence_who(links(world, persona), action, target), action
    assert evidence_may(world.learner.pk, links(world, "learner"), "read", item)


def test_an_item_is_locked_by_another_unit_it_counts_towards_once_that_is_signed(world, second_portfolio):
    shared = save(world.learner, world.portfolio, criteria=[crit(C4, "2.1"), crit(SECOND, "1.1")])
    own = save(world.learner, world.portfolio, criteria=[crit(C4, "2.1")], range_items=[rng(C4, "b")])
    assert locked_reason(world.portfolio, shared) is None
    Portfolio.objects.filter(pk=second_portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    reason = f"This item also counts towards {second_portfolio.unit.title}, which has been signed off, so it is locked."
    assert locked_reason(world.portfolio, shared) == reason
    assert evidence_may(world.learner.pk, links(world, "learner"), "edit", shared).reason == reason
    assert locked_reason(world.portfolio, own) is None
    with pytest.raises(ValidationError, match="also counts towards"):
        services.evidence_delete(actor=world.learner, evidence=shared)


def test_the_services_refuse_by_the_same_rules_and_words(world):
    item, mine = add(world, criteria=["1.1"]), record(world)
    assert links_of(world.learner.pk, world.portfolio) >= {Role.LEARNER}
    assert Role.ASSESSOR not in links_of(world.learner.pk, world.portfolio)
    with pytest.raises(PermissionDenied, match=REVIEWERS):
        services.evidence_judge(actor=world.iv, evidence=item, decision="accepted", verdicts={})
    with pytest.raises(PermissionDenied, match=THREAD):
        services.feedback_post(actor=world.iv, evidence=item, text="Looks fine.")
    with pytest.raises(PermissionDenied, match=ASSESSORS_RECORD):
        services.evidence_delete(actor=world.learner, evidence=mine)
    with pytest.raises(ValidationError, match="your own record"):
        services.evidence_judge(actor=world.assessor, evidence=mine, decision="sent_back", verdicts={}, feedback="x")
    lock(world)
    with pytest.raises(ValidationError, match="its evidence is locked"):
        services.feedback_post(actor=world.learner, evidence=item, text="Still here.")


def test_the_plan_is_changed_by_the_assessor_and_agreed_by_both_while_open(world):
    def plan(action):
        return {p: plan_may(world.persona(p).pk, links(world, p), action, world.portfolio) for p in PERSONAS}

    def reasons(action):
        return {p: (d.allowed, d.reason, d.status) for p, d in plan(action).items()}

    assert reasons("plan_change") == only({"assessor": OK}, PLAN_CHANGERS)
    # Who may agree; with no actions yet, there is nothing for them to agree to.
    nothing = (False, "The plan has no actions yet, so there is nothing to agree to.", 403)
    assert reasons("plan_agree") == only({"learner": nothing, "assessor": nothing}, PLAN_AGREERS)
    assert all(plan("plan_read")[p] for p in PERSONAS if p != "outsider")
    lock(world)
    assert plan_may(world.assessor.pk, links(world, "assessor"), "plan_change", world.portfolio).reason == PLAN_LOCKED
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.WITHDRAWN)
    world.portfolio.refresh_from_db()
    assert plan_may(world.learner.pk, links(world, "learner"), "plan_agree", world.portfolio).reason == PLAN_WITHDRAWN
    with pytest.raises(PermissionDenied, match=PLAN_AGREERS):
        services.plan_agree(actor=world.iv, portfolio=world.portfolio)


def test_the_pages_offer_only_what_the_policy_allows(client, world, second_portfolio):
    """The list and the item's page ask {% may %}: an item counting towards a signed unit offers no change, though
    its own unit is still open, while the learner's other items do."""
    from django.urls import reverse

    shared = save(world.learner, world.portfolio, criteria=[crit(C4, "2.1"), crit(SECOND, "1.1")])
    own = save(world.learner, world.portfolio, criteria=[crit(C4, "2.1")], range_items=[rng(C4, "b")])
    Portfolio.objects.filter(pk=second_portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    client.force_login(world.learner)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert reverse("evidence_edit", args=[own.pk]) in listing
    assert reverse("evidence_edit", args=[shared.pk]) not in listing
    assert reverse("evidence_delete_confirm", args=[shared.pk]) not in listing
    assert reverse("evidence_add", args=[world.portfolio.pk]) in listing
    page = client.get(reverse("evidence_detail", args=[shared.pk])).content.decode()
    assert reverse("evidence_edit", args=[shared.pk]) not in page
    page = client.get(reverse("evidence_detail", args=[own.pk])).content.decode()
    assert reverse("evidence_edit", args=[own.pk]) in page
    # The assessor is offered the review of the open item only, and no change to the learner's.
    client.force_login(world.assessor)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert reverse("evidence_review", args=[own.pk]) in listing
    assert reverse("evidence_review", args=[shared.pk]) not in listing
    assert reverse("evidence_edit", args=[own.pk]) not in listing


def test_each_agrees_once_to_a_plan_with_actions_as_it_stands(world):
    import datetime

    from django.utils import timezone

    from assessments.evidence.policy import NOTHING_TO_AGREE
    from units.models import AssessmentMethod, Criterion

    def agree(persona):
        return plan_may(world.persona(persona).pk, links(world, persona), "plan_agree", world.portfolio)

    assert agree("learner").reason == agree("assessor").reason == NOTHING_TO_AGREE
    action = services.plan_action_add(
        actor=world.assessor,
        portfolio=world.portfolio,
        description="Observe a complaint at the counter",
        method=AssessmentMethod.objects.get(code="O"),
        criteria=[Criterion.objects.filter(outcome__unit=world.portfolio.unit).first()],
        due_date=timezone.localdate() + datetime.timedelta(days=14),
    )
    assert agree("learner") and agree("assessor")
    services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    today = f"You agreed to this plan on {timezone.localdate():%d/%m/%Y}."
    assert agree("learner").reason == today
    assert agree("assessor")
    with pytest.raises(ValidationError, match=today):
        services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    # A change to the actions clears both agreements: the learner agrees again.
    services.plan_action_delete(actor=world.assessor, action=action)
    assert agree("learner").reason == NOTHING_TO_AGREE
