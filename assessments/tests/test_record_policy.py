"""The record's policy (assessments/records/policy.py): who reads a unit's record PDF and history, and who signed."""

from __future__ import annotations

import pytest

from assessments.access import COUNTERSIGN_ASSESSOR, EV_VISIT
from assessments.records.policy import ACTIONS, NOT_THE_LEARNERS, record_may
from people.models import Role

pytestmark = pytest.mark.django_db

EVERYONE_LINKED = [
    {Role.LEARNER},
    {Role.ASSESSOR},
    {Role.IV},
    {Role.ADMIN},
    {Role.EV},
    {Role.EV, EV_VISIT},
    {COUNTERSIGN_ASSESSOR},
    {Role.LEARNER, Role.ADMIN},
]


@pytest.mark.parametrize("action", ["pdf", "history", "signers"])
@pytest.mark.parametrize("links", EVERYONE_LINKED)
def test_everyone_linked_reads_the_record_and_sees_who_signed(world, action, links):
    assert record_may(world.learner.pk, links, action, world.portfolio)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_without_a_link_the_record_is_not_there(world, action):
    decision = record_may(world.outsider.pk, set(), action, world.portfolio)
    assert (decision.allowed, decision.status, decision.reason) == (False, 404, "No such portfolio.")


@pytest.mark.parametrize("links", EVERYONE_LINKED[1:])
def test_the_quality_assurance_events_are_for_everyone_linked_but_the_learner(world, links):
    assert record_may(world.assessor.pk, links, "history_qa", world.portfolio)


def test_the_learner_alone_is_refused_the_quality_assurance_events_with_why(world):
    decision = record_may(world.learner.pk, {Role.LEARNER}, "history_qa", world.portfolio)
    assert (decision.allowed, decision.status, decision.reason) == (False, 403, NOT_THE_LEARNERS)


def test_an_action_the_policy_does_not_know_is_an_error_not_a_refusal(world):
    with pytest.raises(ValueError, match="No such record action"):
        record_may(world.learner.pk, {Role.LEARNER}, "edit", world.portfolio)
