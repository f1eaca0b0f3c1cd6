"""The export rules in exports/policy.py, on real exports, asked with each persona's links as the export pages work
them out."""

from __future__ import annotations

from exports.models import ExportKind
from exports.policy import (
    ADMIN_ELSEWHERE,
    ADMINS_ONLY,
    LINKED,
    NO_FILE,
    OWN,
    SWITCH_TO_ADMIN,
    SWITCH_TO_LEARNER,
    export_may,
)
from exports.services import export_request
from exports.tests.test_views import cohort_export, own_portable_export
from exports.views import export_links
from people.models import Membership, Qualification, Role
from people.roles import SESSION_KEY
from tests.factories import PortfolioFactory, member
from tests.policy_answers import OK, request_as
from tests.policy_answers import answers as persona_answers


def answers(world, action, export) -> dict[str, tuple[bool, str, int]]:
    return persona_answers(
        world, lambda user_id, links: export_may(user_id, links, action, export), lambda r: export_links(r, export)
    )


def test_an_export_is_for_its_centres_admins_and_nobody_elsewhere_learns_of_it(world):
    built = cohort_export(world, build=True)
    expected = {
        **dict.fromkeys(["learner", "assessor", "iv", "ev"], (False, ADMINS_ONLY, 403)),
        "admin": OK,
        "outsider": (False, "No such export.", 404),
    }
    for action in ("read", "download", "retry"):
        assert answers(world, action, built) == expected, action


def test_a_file_is_downloaded_only_once_the_export_is_built(world):
    queued = cohort_export(world)
    assert export_may(world.admin.pk, {LINKED, Role.ADMIN}, "read", queued)
    refused = export_may(world.admin.pk, {LINKED, Role.ADMIN}, "download", queued)
    assert (refused.allowed, refused.reason, refused.status) == (False, NO_FILE, 404)


def test_the_learner_fetches_their_own_portable_portfolio_while_acting_as_that_centres_learner(world):
    own = own_portable_export(world, build=True)
    got = answers(world, "download", own)
    assert got["learner"] == OK and got["admin"] == OK
    assert got["outsider"] == (False, "No such export.", 404)
    assert export_links(request_as(world.learner), own) == {OWN, Role.LEARNER}
    switched = export_may(world.learner.pk, {OWN}, "read", own)
    assert (switched.reason, switched.status) == (SWITCH_TO_LEARNER, 403)


def test_one_learners_export_is_as_private_as_their_registrations(world):
    other = member(world.centre, Role.LEARNER, user__full_name="Ben Baker")
    theirs = PortfolioFactory(centre=world.centre, learner=other, assessor=world.assessor, iv=world.iv)
    export = export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=ExportKind.LEARNER,
        portfolios=[theirs],
        description="Learner's records: Ben Baker",
    )
    # World's learner is at the centre but not linked to Ben's registrations: told nothing.
    assert answers(world, "read", export)["learner"] == (False, "No such export.", 404)
    assert answers(world, "read", export)["assessor"] == (False, ADMINS_ONLY, 403)


def test_an_admin_acting_for_another_centre_is_told_to_switch(world):
    Membership.objects.create(
        user=world.outsider, centre=world.centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED
    )
    built = cohort_export(world, build=True)
    request = request_as(world.outsider)
    request.session = {SESSION_KEY: f"m{Membership.objects.get(user=world.outsider, role=Role.ADMIN).pk}"}
    assert export_links(request, built) == {LINKED, ADMIN_ELSEWHERE}
    decision = export_may(world.outsider.pk, {LINKED, ADMIN_ELSEWHERE}, "retry", built)
    assert (decision.reason, decision.status) == (SWITCH_TO_ADMIN, 403)
