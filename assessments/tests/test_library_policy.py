"""Who may load a file into the unit library (assessments/centre/library_policy.py): a centre admin acting as
admin, or the site's staff."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from assessments.centre.library_policy import ADMINS_ONLY, STAFF, library_links, library_may
from people.models import Role


@pytest.mark.parametrize(
    ("links", "allowed"),
    [
        ({Role.ADMIN}, True),
        ({STAFF}, True),
        ({Role.ASSESSOR, STAFF}, True),
        ({Role.LEARNER}, False),
        ({Role.ASSESSOR}, False),
        ({Role.IV}, False),
        ({Role.EV}, False),
        (set(), False),
    ],
)
def test_admins_and_staff_may_load_and_everyone_else_is_told_why_not(links, allowed):
    decision = library_may(1, links, "import")
    assert bool(decision) is allowed
    if not allowed:
        assert (decision.status, decision.reason) == (403, ADMINS_ONLY)


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="No such library action"):
        library_may(1, {Role.ADMIN}, "delete")


@pytest.mark.django_db
def test_the_links_are_the_role_acted_in_now_and_whether_the_person_is_staff(world):
    request = RequestFactory().get("/")
    request.session = {}
    request.user = world.admin
    assert library_links(request) == {Role.ADMIN}
    world.learner.is_staff = True
    request = RequestFactory().get("/")
    request.session = {}
    request.user = world.learner
    assert library_links(request) == {Role.LEARNER, STAFF}
