"""The quality assurance rules in quality/policy.py, on real plans, reports and visits, asked with each persona's
links as the pages work them out."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.access import portfolio_links
from assessments.centre.services import portfolio_assign
from assessments.models import Portfolio, PortfolioStatus
from assessments.policy import OWN_DECISIONS
from assessments.services import evidence_judge
from assessments.tests.test_evidence_views import add
from people.models import Membership, Qualification, Role
from quality.policy import (
    ANOTHER_IVS,
    FINDINGS_BY,
    FINDINGS_WITHDRAWN,
    LINKED,
    ONLY_ITS_ASSESSOR,
    ONLY_ITS_IV_REPORTS,
    ONLY_THE_UNITS_IV,
    ONLY_THE_UNITS_IV_REPORTS,
    OWN_REPORT,
    REPORT_READERS,
    TRAIL_FOR,
    VISIT_FOR,
    action_point_may,
    findings_may,
    report_may,
    report_unit_may,
    sample_item_may,
    sample_may,
    sample_unit_may,
    switch_to,
    visit_may,
)
from quality.services.reports import iv_report_unit
from quality.views.audit_trail import audit_links
from quality.views.reports import report_links
from quality.views.sampling import centre_links
from quality.views.visits import visit_links
from tests.access_rows.reports import sample_item_criterion, unit_report
from tests.access_rows.sampling import _plan
from tests.access_rows.visits import open_visit
from tests.factories import member
from tests.policy_answers import OK, answers


def refused(reason: str, status: int = 403) -> tuple[bool, str, int]:
    return (False, reason, status)


def test_a_sampling_plan_is_its_ivs_and_the_admins_read_it(world):
    plan = _plan(world)
    links = lambda request: centre_links(request, plan.centre_id)  # noqa: E731
    others = dict.fromkeys(["learner", "assessor", "ev"], refused(ANOTHER_IVS))
    assert answers(world, lambda u, ln: sample_may(u, ln, "read", plan), links) == {
        **others,
        "iv": OK,
        "admin": OK,
        "outsider": refused("No such sampling plan.", 404),
    }
    assert answers(world, lambda u, ln: sample_may(u, ln, "change", plan), links) == {
        **others,
        "iv": OK,
        "admin": refused(ANOTHER_IVS),
        "outsider": refused("No such sampling plan.", 404),
    }
    # Another IV at the centre, acting as IV: linked, but the plan is not theirs.
    colleague = member(world.centre, Role.IV, user__full_name="Ivy Other")
    assert sample_may(colleague.pk, {LINKED, Role.IV}, "read", plan).reason == ANOTHER_IVS


def test_only_the_plans_iv_reports_on_its_items(world):
    item = sample_item_criterion(world)
    links = lambda request: centre_links(request, item.plan.centre_id)  # noqa: E731
    got = answers(world, lambda u, ln: sample_item_may(u, ln, "report", item), links)
    assert got["iv"] == OK
    assert got["admin"] == got["assessor"] == refused(ONLY_ITS_IV_REPORTS)
    assert got["outsider"] == refused("No such sample item.", 404)


def test_an_iv_never_samples_or_reports_on_a_unit_they_assessed(world):
    links = lambda request: portfolio_links(request, world.portfolio)  # noqa: E731
    sampled = answers(world, lambda u, ln: sample_unit_may(u, ln, world.portfolio), links)
    assert sampled["iv"] == OK
    assert sampled["assessor"] == refused(OWN_DECISIONS)
    assert sampled["learner"] == sampled["admin"] == refused(ONLY_THE_UNITS_IV)
    assert sampled["outsider"] == refused("No such portfolio.", 404)
    reported = answers(world, lambda u, ln: report_unit_may(u, ln, world.portfolio), links)
    assert reported["iv"] == OK and reported["assessor"] == refused(ONLY_THE_UNITS_IV_REPORTS)
    # The assessor judges an item, then the admin makes them the unit's IV: the decision is still theirs.
    item = add(world, criteria=["1.1"])
    evidence_judge(actor=world.assessor, evidence=item, decision="sent_back", verdicts={}, feedback="More, please.")
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    newcomer = member(world.centre, Role.ASSESSOR, user__full_name="Nia Newcomer")
    portfolio_assign(actor=world.admin, portfolio=world.portfolio, assessor=newcomer, iv=world.assessor)
    moved = Portfolio.objects.get(pk=world.portfolio.pk)
    assert (moved.iv_id, moved.assessor_id) == (world.assessor.pk, newcomer.pk)
    assert sample_unit_may(world.assessor.pk, {Role.IV}, moved).reason == OWN_DECISIONS
    assert report_unit_may(world.assessor.pk, {Role.IV}, moved).reason == OWN_REPORT
    # Their colleague, who judged nothing here, may.
    assert sample_unit_may(world.iv.pk, {Role.IV}, moved) and report_unit_may(world.iv.pk, {Role.IV}, moved)
    with pytest.raises(ValidationError, match=OWN_REPORT):
        iv_report_unit(actor=world.assessor, portfolio=moved, agreement="agree", feedback="Fine.")


def test_a_report_is_read_by_its_iv_its_assessor_the_admins_and_the_ev_not_the_learner(world):
    report = unit_report(world)
    got = answers(world, lambda u, ln: report_may(u, ln, "read", report), lambda r: report_links(r, report))
    assert got == {
        "learner": refused(REPORT_READERS),
        "assessor": OK,
        "iv": OK,
        "ev": OK,
        "admin": OK,
        "outsider": refused("No such report.", 404),
    }
    point = report.actions.get()
    done = answers(world, lambda u, ln: action_point_may(u, ln, "done", point), lambda r: report_links(r, report))
    assert done["assessor"] == OK
    assert done["learner"] == done["iv"] == done["admin"] == refused(ONLY_ITS_ASSESSOR)
    assert done["outsider"] == refused("No such report.", 404)


def test_a_visit_opens_for_its_ev_while_open_and_for_the_admins(world):
    visit = open_visit(world)
    got = answers(world, lambda u, ln: visit_may(u, ln, "open", visit), lambda r: visit_links(r, visit))
    assert got == {
        "learner": refused(VISIT_FOR),
        "assessor": refused(VISIT_FOR),
        "iv": refused(VISIT_FOR),
        "ev": OK,
        "admin": OK,
        "outsider": refused("No such visit.", 404),
    }
    trail = answers(world, lambda u, ln: visit_may(u, ln, "audit_trail", visit), lambda r: audit_links(r, visit))
    assert trail["ev"] == trail["admin"] == OK and trail["iv"] == refused(TRAIL_FOR)
    later = open_visit(world, starts_in=3, ends_in=4)
    opens = f"This visit opens on {later.starts_on:%d/%m/%Y}."
    assert visit_may(world.ev.pk, {Role.EV}, "open", later) == refused_decision(opens)
    assert visit_may(world.admin.pk, {Role.ADMIN}, "open", later)
    ended = open_visit(world, starts_in=-5, ends_in=-3)
    assert "your access ended with it" in visit_may(world.ev.pk, {Role.EV}, "open", ended).reason
    assert "audit trail is closed" in visit_may(world.ev.pk, {Role.EV}, "audit_trail", ended).reason
    ended.cancelled_at = timezone.now() - datetime.timedelta(days=10)
    assert "The centre cancelled it." in visit_may(world.ev.pk, {Role.EV}, "open", ended).reason
    held = visit_may(world.ev.pk, {switch_to("external verifier for City & Guilds")}, "open", visit)
    assert held.reason == "Switch to your role as external verifier for City & Guilds to open this visit."


def refused_decision(reason: str):
    from assessments.decisions import refuse

    return refuse(reason)


def test_findings_are_the_units_evs_while_the_learner_is_not_withdrawn(world):
    links = lambda request: portfolio_links(request, world.portfolio)  # noqa: E731
    got = answers(world, lambda u, ln: findings_may(u, ln, world.portfolio), links)
    assert got["ev"] == OK
    assert got["iv"] == got["admin"] == got["learner"] == refused(FINDINGS_BY)
    assert got["outsider"] == refused("No such portfolio.", 404)
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.WITHDRAWN)
    world.portfolio.refresh_from_db()
    assert findings_may(world.ev.pk, {Role.EV}, world.portfolio).reason == FINDINGS_WITHDRAWN
    assert findings_may(world.ev.pk, {Role.EV}, world.portfolio, now=False)


def test_the_report_page_offers_marking_done_only_where_the_policy_takes_it(client, world):
    from django.urls import reverse

    report = unit_report(world)
    point = report.actions.get()
    form = reverse("action_point_done", args=[point.pk])
    for persona, offered in [("assessor", True), ("iv", False), ("admin", False), ("ev", False)]:
        client.force_login(world.persona(persona))
        page = client.get(reverse("iv_report_detail", args=[report.pk])).content.decode()
        assert (form in page) == offered, persona
