"""assessments/access.py: who is linked to a portfolio and how, person by person, including people who hold two
roles at once, the countersigning colleague's link and the EV's two ways in; and what 404 and 403 say."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from assessments import access
from assessments.access import (
    COUNTERSIGN_ASSESSOR,
    COUNTERSIGN_IV,
    EV_VISIT,
    get_evidence_file_for_user,
    get_evidence_for_user,
    get_portfolio_for_user,
    links_reach_sibling,
    only_reason,
    portfolio_links,
)
from assessments.models import EvidenceFile, Portfolio
from assessments.tests.test_evidence_views import add
from people.models import EVAllocation, ExternalVerifier, Membership, Qualification, Role
from tests.factories import PortfolioFactory, external_verifier, member


@pytest.fixture
def ask(rf):
    def links(user, portfolio) -> set:
        return portfolio_links(as_user(rf, user), portfolio)

    return links


def as_user(rf, user):
    request = rf.get("/")
    request.user = user
    request.session = {}
    return request


def qualifying_now(user) -> None:
    Membership.objects.filter(user=user, role__in=[Role.ASSESSOR, Role.IV]).update(
        qualification=Qualification.QUALIFYING
    )


def test_each_person_in_the_world_has_their_own_link_and_no_other(world, ask):
    p = world.portfolio
    assert ask(world.learner, p) == {Role.LEARNER}
    assert ask(world.assessor, p) == {Role.ASSESSOR}
    assert ask(world.iv, p) == {Role.IV}
    assert ask(world.admin, p) == {Role.ADMIN}
    assert ask(world.ev, p) == {Role.EV}
    assert ask(world.outsider, p) == set()


def test_colleagues_at_the_centre_in_the_same_roles_have_no_link(world, ask):
    p = world.portfolio
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IV):
        assert ask(member(world.centre, role), p) == set(), role
    # The people of the unit, at another centre, are not linked to its portfolios there.
    elsewhere = PortfolioFactory(centre=world.other_centre)
    for person in (world.learner, world.assessor, world.iv, world.admin):
        assert ask(person, elsewhere) == set()


def test_a_qualified_assessor_is_linked_to_countersign_for_a_qualifying_colleague_only(world, ask):
    senior = member(world.centre, Role.ASSESSOR)
    # Someone else at the centre still qualifying is not the unit's assessor.
    member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING)
    member(world.centre, Role.IV, qualification=Qualification.QUALIFYING)
    assert ask(senior, world.portfolio) == set()
    assert ask(member(world.centre, Role.IV), world.portfolio) == set()
    qualifying_now(world.assessor)
    assert ask(senior, world.portfolio) == {COUNTERSIGN_ASSESSOR}
    novice = member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING)
    assert ask(novice, world.portfolio) == set()


def test_a_qualified_iv_is_linked_to_countersign_for_a_qualifying_iv_only(world, ask):
    senior = member(world.centre, Role.IV)
    assert ask(senior, world.portfolio) == set()
    qualifying_now(world.iv)
    assert ask(senior, world.portfolio) == {COUNTERSIGN_IV}
    assert ask(member(world.centre, Role.IV, qualification=Qualification.QUALIFYING), world.portfolio) == set()


def test_no_one_countersigns_for_a_portfolio_with_no_assessor_or_no_iv(world, ask):
    qualifying_now(world.assessor)
    qualifying_now(world.iv)
    senior_assessor, senior_iv = member(world.centre, Role.ASSESSOR), member(world.centre, Role.IV)
    unassigned = PortfolioFactory(centre=world.centre, assessor=None, iv=None)
    assert ask(senior_assessor, unassigned) == set()
    assert ask(senior_iv, unassigned) == set()


def test_the_colleague_must_be_qualifying_in_that_role_at_that_centre_and_active(world, ask):
    senior = member(world.centre, Role.ASSESSOR)
    # Still qualifying, but as an IV, or at another centre, or no longer active here: no countersignature.
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFYING
    )
    Membership.objects.create(
        user=world.assessor, centre=world.other_centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFYING
    )
    assert ask(senior, world.portfolio) == set()
    Membership.objects.filter(user=world.assessor, centre=world.centre, role=Role.ASSESSOR).update(
        qualification=Qualification.QUALIFYING, is_active=False
    )
    assert ask(senior, world.portfolio) == set()


# --- Two roles at once ---------------------------------------------------------------------------------------------


def test_the_assessor_who_is_also_an_admin_has_both_links(world, ask):
    Membership.objects.create(user=world.assessor, centre=world.centre, role=Role.ADMIN)
    assert ask(world.assessor, world.portfolio) == {Role.ASSESSOR, Role.ADMIN}


def test_the_learner_who_is_also_a_qualified_assessor_never_countersigns_their_own_unit(world, ask):
    qualifying_now(world.assessor)
    qualifying_now(world.iv)
    for role in (Role.ASSESSOR, Role.IV):
        Membership.objects.create(
            user=world.learner, centre=world.centre, role=role, qualification=Qualification.QUALIFIED
        )
    assert ask(world.learner, world.portfolio) == {Role.LEARNER}


def test_the_assessor_who_is_also_a_qualified_iv_never_countersigns_the_iv_of_their_own_unit(world, ask):
    qualifying_now(world.iv)
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    assert ask(world.assessor, world.portfolio) == {Role.ASSESSOR}


def test_the_iv_who_is_also_a_qualified_assessor_may_countersign_the_assessor(world, ask):
    qualifying_now(world.assessor)
    Membership.objects.create(
        user=world.iv, centre=world.centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED
    )
    # The policy then keeps them from verifying a decision they countersigned (assessments/policy.py).
    assert ask(world.iv, world.portfolio) == {Role.IV, COUNTERSIGN_ASSESSOR}


def test_an_admin_here_and_an_assessor_elsewhere_is_linked_as_admin_only(world, ask):
    person = member(world.other_centre, Role.ASSESSOR)
    Membership.objects.create(user=person, centre=world.centre, role=Role.ADMIN)
    other = PortfolioFactory(centre=world.other_centre, assessor=person)
    assert ask(person, world.portfolio) == {Role.ADMIN}
    assert ask(person, other) == {Role.ASSESSOR}


# --- The external verifier ---------------------------------------------------------------------------------------


def test_the_ev_is_linked_through_an_active_allocation_to_the_centre_for_the_units_body(world, ask):
    assert ask(external_verifier(world.other_centre), world.portfolio) == set()
    assert ask(external_verifier(world.centre, body_code="OCR"), world.portfolio) == set()
    EVAllocation.objects.filter(external_verifier__user=world.ev).update(is_active=False)
    assert ask(world.ev, world.portfolio) == set()


def test_an_ev_reaches_a_portfolio_in_an_open_visits_sample_for_reading_it_only(world, ask, monkeypatch):
    visiting = external_verifier(world.other_centre)
    ev_id = ExternalVerifier.objects.get(user=visiting).pk
    asked = []

    def reaches(*, external_verifier_id, portfolio_id):
        asked.append((external_verifier_id, portfolio_id))
        return (external_verifier_id, portfolio_id) == (ev_id, world.portfolio.pk)

    monkeypatch.setattr(access, "visit_reaches", reaches)
    assert ask(visiting, world.portfolio) == {Role.EV, EV_VISIT}
    assert asked == [(ev_id, world.portfolio.pk)]
    assert ask(visiting, PortfolioFactory(centre=world.centre)) == set()


# --- Sibling portfolios of one learner ---------------------------------------------------------------------------


def sibling_of(portfolio: Portfolio, **changes) -> Portfolio:
    fields = {
        "learner_id": portfolio.learner_id,
        "centre_id": portfolio.centre_id,
        "assessor_id": portfolio.assessor_id,
        "iv_id": portfolio.iv_id,
        "awarding_body_id": portfolio.awarding_body_id,
    }
    return Portfolio(**{**fields, **changes})


def test_a_sibling_is_reached_by_the_same_link_to_the_same_learner_at_the_same_centre(world, rf):
    p, other_user = world.portfolio, member(world.centre, Role.ASSESSOR)
    cases = [
        ({Role.LEARNER}, world.learner, {}, True),
        ({Role.ADMIN}, world.admin, {}, True),
        ({Role.ASSESSOR}, world.assessor, {}, True),
        ({Role.ASSESSOR}, world.assessor, {"assessor_id": other_user.pk}, False),
        ({Role.IV}, world.iv, {}, True),
        ({Role.IV}, world.iv, {"iv_id": other_user.pk}, False),
        ({Role.EV}, world.ev, {}, True),
        ({Role.EV}, world.ev, {"awarding_body_id": p.awarding_body_id + 1000}, False),
        ({Role.EV, EV_VISIT}, world.ev, {}, False),
        ({Role.LEARNER}, world.learner, {"learner_id": other_user.pk}, False),
        ({Role.ADMIN}, world.admin, {"centre_id": world.other_centre.pk}, False),
        ({COUNTERSIGN_ASSESSOR}, other_user, {}, False),
    ]
    for links, user, changes, expected in cases:
        p.links = links
        assert links_reach_sibling(as_user(rf, user), p, sibling_of(p, **changes)) is expected, (links, changes)


# --- What a refusal says -----------------------------------------------------------------------------------------


def test_only_reason_names_every_way_in_a_fixed_order():
    assert only_reason({Role.LEARNER}) == "Only the learner can do this."
    assert only_reason({Role.ADMIN, Role.ASSESSOR}) == "Only the learner's assessor or a centre admin can do this."
    assert only_reason({Role.EV, Role.IV, COUNTERSIGN_ASSESSOR, COUNTERSIGN_IV, Role.LEARNER}) == (
        "Only the learner, the unit's internal verifier, an external verifier allocated to the centre, "
        "a qualified assessor countersigning or a qualified internal verifier countersigning can do this."
    )


def test_getting_the_portfolio_is_404_unlinked_403_wrongly_linked_and_keeps_the_links(world, rf):
    PortfolioFactory(centre=world.centre)  # another, so only the one asked for is found
    with pytest.raises(Http404) as err:
        get_portfolio_for_user(as_user(rf, world.outsider), world.portfolio.pk)
    assert str(err.value) == "No such portfolio."
    with pytest.raises(PermissionDenied) as err:
        get_portfolio_for_user(as_user(rf, world.learner), world.portfolio.pk, {Role.ASSESSOR, Role.IV})
    assert str(err.value) == "Only the learner's assessor or the unit's internal verifier can do this."
    with pytest.raises(PermissionDenied) as err:
        get_portfolio_for_user(as_user(rf, world.learner), world.portfolio.pk, {Role.IV}, reason="Not yours.")
    assert str(err.value) == "Not yours."
    request = as_user(rf, world.iv)
    portfolio = get_portfolio_for_user(request, world.portfolio.pk, {Role.ASSESSOR, Role.IV})
    assert portfolio == world.portfolio and portfolio.links == {Role.IV}
    assert request.audit_portfolio is portfolio
    assert get_portfolio_for_user(as_user(rf, world.admin), world.portfolio.pk).links == {Role.ADMIN}


def test_a_portfolio_that_does_not_exist_is_404_for_everyone_and_one_that_does_comes_with_its_people(
    world, rf, django_assert_num_queries
):
    missing = Portfolio.objects.order_by("-pk").first().pk + 1
    for person in (world.admin, world.learner, world.outsider):
        with pytest.raises(Http404) as err:
            get_portfolio_for_user(as_user(rf, person), missing)
        assert str(err.value) == "No Portfolio matches the given query."
    request = as_user(rf, world.learner)
    portfolio = get_portfolio_for_user(request, world.portfolio.pk)
    assert portfolio.pk == world.portfolio.pk and portfolio.links == {Role.LEARNER}
    with django_assert_num_queries(0):  # read with the portfolio, for the page
        assert (portfolio.learner, portfolio.assessor, portfolio.iv) == (world.learner, world.assessor, world.iv)
        assert (portfolio.unit.pk, portfolio.centre.pk, portfolio.awarding_body.code) == (
            world.portfolio.unit_id,
            world.centre.pk,
            "CG",
        )


def test_getting_an_item_asks_about_its_portfolio(world, rf, django_assert_num_queries):
    add(world, title="Another")
    item = add(world)
    with pytest.raises(Http404) as err:
        get_evidence_for_user(as_user(rf, world.outsider), item.pk)
    assert str(err.value) == "No such portfolio."
    with pytest.raises(PermissionDenied) as err:
        get_evidence_for_user(as_user(rf, world.iv), item.pk, {Role.LEARNER}, reason="Only the learner edits.")
    assert str(err.value) == "Only the learner edits."
    request = as_user(rf, world.assessor)
    got = get_evidence_for_user(request, item.pk, {Role.ASSESSOR})
    assert got == item and got.portfolio.links == {Role.ASSESSOR}
    assert request.audit_portfolio is got.portfolio
    with django_assert_num_queries(0):  # fetched with the item, for the page
        assert (got.portfolio.unit.pk, got.portfolio.centre.pk, got.method.code) == (
            world.portfolio.unit_id,
            world.centre.pk,
            "O",
        )


def test_a_file_is_served_to_anyone_linked_to_a_portfolio_its_item_counts_in(world, second_portfolio, rf):
    item = add(world)
    item.cross_references.add(second_portfolio)
    records = [
        EvidenceFile.objects.create(
            evidence=item,
            file=f"evidence/{n}.pdf",
            original_name=f"{n}.pdf",
            size=1,
            content_type="application/pdf",
            kind="document",
            sha256="0" * 64,
            uploaded_by=world.learner,
        )  # fmt: skip
        for n in range(2)
    ]
    record = records[1]
    # Someone linked only to the portfolio it is cross-referenced into: their page log names that one.
    reader = member(world.centre, Role.ASSESSOR)
    Portfolio.objects.filter(pk=second_portfolio.pk).update(assessor=reader)
    request = as_user(rf, reader)
    assert get_evidence_file_for_user(request, record.pk) == record
    assert request.audit_portfolio.pk == second_portfolio.pk
    request = as_user(rf, world.learner)
    assert get_evidence_file_for_user(request, record.pk) == record
    assert request.audit_portfolio.pk == world.portfolio.pk
    with pytest.raises(Http404) as err:
        get_evidence_file_for_user(as_user(rf, world.outsider), record.pk)
    assert str(err.value) == "No such file."
