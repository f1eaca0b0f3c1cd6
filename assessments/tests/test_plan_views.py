"""The assessment plan: the assessor's actions, agreement by learner and assessor, and actions shown done when
evidence arrives or overdue when it has not."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.evidence.plans import plan_progress
from assessments.models import AssessmentPlan, EvidenceSetting, PlanAction, PortfolioStatus
from audit.models import AuditEvent
from people.models import Role
from tests.factories import member
from units.models import AssessmentMethod, Criterion, RangeItem

pytestmark = pytest.mark.django_db

C4 = "deliver-customer-service-to-difficult-customers"
SECOND = "test-communicate-with-customers"


def crit(code: str, slug: str = C4) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__unit__slug=slug, outcome__number=int(outcome), number=int(number))


def rng(letter: str, slug: str = C4) -> RangeItem:
    return RangeItem.objects.get(unit__slug=slug, letter=letter)


def method(code: str) -> AssessmentMethod:
    return AssessmentMethod.objects.get(code=code)


def text_of(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def plan_action(world, *, criteria=("2.1",), range_items=(), method_code="O", due=14, portfolio=None, slug=C4):
    return services.plan_action_add(
        actor=world.assessor,
        portfolio=portfolio or world.portfolio,
        description=f"Observe the learner with an angry customer ({method_code}, {', '.join(criteria)})",
        method=method(method_code),
        criteria=[crit(c, slug) for c in criteria],
        range_items=[rng(r, slug) for r in range_items],
        due_date=in_days(due),
    )


def evidence(world, *, criteria=(), range_items=(), method_code="O", days_ago=0, portfolio=None, slug=C4):
    return services.evidence_save(
        actor=world.learner,
        portfolio=portfolio or world.portfolio,
        title="Angry caller about a late delivery",
        method=method(method_code),
        activity_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        setting=EvidenceSetting.REAL_WORK,
        criteria=[crit(c, slug) if isinstance(c, str) else c for c in criteria],
        range_items=[rng(r, slug) if isinstance(r, str) else r for r in range_items],
    )


def form_data(**overrides):
    data = {
        "description": "Observe a complaint at the counter",
        "method": method("O").pk,
        "criteria": [crit("2.1").pk, crit("2.2").pk],
        "range_items": [rng("b").pk],
        "due_date": in_days(21).isoformat(),
    }
    data.update(overrides)
    return data


def plan_url(world) -> str:
    return reverse("plan_detail", args=[world.portfolio.pk])


def plan_page(client, world, user):
    client.force_login(user)
    response = client.get(plan_url(world))
    assert response.status_code == 200
    return response


# The assessor writes the plan ---------------------------------------------------------------------------------------


def test_assessor_adds_an_action_and_it_shows_on_the_plan_with_labels_and_uk_date(client, world):
    client.force_login(world.assessor)

    response = client.post(reverse("plan_action_add", args=[world.portfolio.pk]), form_data())

    assert response.status_code == 302
    assert response.url == plan_url(world)
    action = PlanAction.objects.get(plan__portfolio=world.portfolio)
    assert (action.method.code, action.due_date) == ("O", in_days(21))
    assert sorted(c.code for c in action.criteria.all()) == ["2.1", "2.2"]
    assert [r.letter for r in action.range_items.all()] == ["b"]
    event = AuditEvent.objects.get(action="plan.made")
    assert (event.actor, event.actor_role, event.target_id) == (world.assessor, Role.ASSESSOR, str(action.plan.pk))
    assert event.data["after"]["criteria"] == ["2.1", "2.2"]
    text = text_of(client.get(plan_url(world)))
    # City & Guilds prints its criteria with the unit number.
    assert "220.2.1, 220.2.2" in text
    assert f"{in_days(21):%d/%m/%Y} Observe a complaint at the counter O Observation" in text
    assert "Open" in text
    assert "Not yet agreed by the learner, Lena Learner." in text
    assert "I agree to this plan" in text


def test_second_action_is_audited_as_added(world):
    plan_action(world)
    plan_action(world, criteria=("3.1",), method_code="Q")

    assert list(AuditEvent.objects.filter(action__startswith="plan.").values_list("action", flat=True)) == [
        "plan.action_added",
        "plan.made",
    ]


@pytest.mark.parametrize("persona", ["learner", "iv", "ev", "admin"])
def test_only_the_assessor_adds_changes_or_deletes_actions(client, world, persona):
    action = plan_action(world)
    client.force_login(world.persona(persona))

    assert client.get(reverse("plan_action_add", args=[world.portfolio.pk])).status_code == 403
    assert client.post(reverse("plan_action_add", args=[world.portfolio.pk]), form_data()).status_code == 403
    assert client.post(reverse("plan_action_edit", args=[action.pk]), form_data()).status_code == 403
    assert client.post(reverse("plan_action_delete", args=[action.pk])).status_code == 403
    assert PlanAction.objects.count() == 1
    assert PlanAction.objects.get().description == action.description


def test_another_assessor_at_the_centre_gets_404_and_the_service_refuses_them(client, world):
    action = plan_action(world)
    colleague = member(world.centre, Role.ASSESSOR)
    client.force_login(colleague)

    assert client.get(reverse("plan_action_edit", args=[action.pk])).status_code == 404
    assert client.get(plan_url(world)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.plan_action_delete(actor=colleague, action=action)
    with pytest.raises(PermissionDenied):
        services.plan_action_add(
            actor=world.learner,
            portfolio=world.portfolio,
            description="Mine",
            method=method("O"),
            criteria=[crit("2.1")],
            due_date=in_days(3),
        )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"criteria": [], "range_items": []}, "criteria", "Choose at least one criterion or range item"),
        ({"due_date": in_days(-1).isoformat()}, "due_date", "The due date cannot be in the past."),
        ({"description": "   "}, "description", "This field is required."),
    ],
)
def test_an_action_needs_something_to_cover_a_due_date_not_past_and_a_description(
    client, world, overrides, field, message
):
    client.force_login(world.assessor)

    response = client.post(reverse("plan_action_add", args=[world.portfolio.pk]), form_data(**overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not PlanAction.objects.exists()


def test_assessor_changes_an_action_with_its_due_date_already_past(client, world):
    action = plan_action(world, due=5)
    PlanAction.objects.filter(pk=action.pk).update(due_date=in_days(-2))
    client.force_login(world.assessor)
    form = client.get(reverse("plan_action_edit", args=[action.pk])).content.decode()
    assert f'value="{in_days(-2).isoformat()}"' in form
    assert f'id="criterion-{crit("2.1").pk}" checked' in form

    response = client.post(
        reverse("plan_action_edit", args=[action.pk]),
        form_data(description="Observe two complaints", due_date=in_days(-2).isoformat(), range_items=[]),
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.description == "Observe two complaints"
    assert sorted(c.code for c in action.criteria.all()) == ["2.1", "2.2"]
    event = AuditEvent.objects.get(action="plan.action_changed")
    assert event.data["before"]["criteria"] == ["2.1"]
    assert event.data["after"]["criteria"] == ["2.1", "2.2"]


def test_assessor_deletes_an_action_after_confirming(client, world):
    action = plan_action(world)
    client.force_login(world.assessor)

    confirm = client.get(reverse("plan_action_delete_confirm", args=[action.pk]))
    assert "Delete this action from the plan?" in text_of(confirm)
    assert PlanAction.objects.exists()
    response = client.post(reverse("plan_action_delete", args=[action.pk]))

    assert response.status_code == 302
    assert not PlanAction.objects.exists()
    assert AuditEvent.objects.filter(action="plan.action_deleted").exists()
    assert "No actions yet." in text_of(client.get(plan_url(world)))


def test_the_plan_cannot_change_once_the_unit_is_signed(client, world):
    action = plan_action(world)
    world.portfolio.__class__.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)

    with pytest.raises(ValidationError, match="signed off"):
        plan_action(world)
    with pytest.raises(ValidationError, match="signed off"):
        services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    text = text_of(plan_page(client, world, world.assessor))
    assert "Add an action" not in text
    assert "I agree to this plan" not in text
    assert "so the plan can no longer change" in text
    client.post(reverse("plan_action_delete", args=[action.pk]))
    assert PlanAction.objects.filter(pk=action.pk).exists()


# Agreement ------------------------------------------------------------------------------------------------------------


def test_learner_and_assessor_both_agree_and_a_change_clears_both(client, world):
    action = plan_action(world)
    for user in (world.learner, world.assessor):
        client.force_login(user)
        response = client.post(reverse("plan_agree", args=[world.portfolio.pk]), follow=True)
        assert "You have agreed to this assessment plan." in text_of(response)
        assert "I agree to this plan" not in text_of(response)

    plan = AssessmentPlan.objects.get()
    assert plan.learner_agreed_at is not None and plan.assessor_agreed_at is not None
    assert list(
        AuditEvent.objects.filter(action="plan.agreed").order_by("at", "id").values_list("actor_role", flat=True)
    ) == [Role.LEARNER, Role.ASSESSOR]
    text = text_of(client.get(plan_url(world)))
    assert "Agreed by the learner, Lena Learner, on" in text
    assert "Agreed by the assessor, Asha Assessor, on" in text

    services.plan_action_change(
        actor=world.assessor,
        action=action,
        description="Observe two complaints",
        method=method("O"),
        criteria=[crit("2.1")],
        due_date=action.due_date,
    )

    plan.refresh_from_db()
    assert (plan.learner_agreed_at, plan.assessor_agreed_at) == (None, None)
    cleared = AuditEvent.objects.get(action="plan.action_changed").data["agreements_cleared"]
    assert cleared["learner_agreed_at"] and cleared["assessor_agreed_at"]
    assert "Not yet agreed by the learner, Lena Learner." in text_of(plan_page(client, world, world.learner))


@pytest.mark.parametrize("change", ["add", "delete"])
def test_adding_or_deleting_an_action_clears_both_agreements(world, change):
    action = plan_action(world)
    services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    services.plan_agree(actor=world.assessor, portfolio=world.portfolio)

    if change == "add":
        plan_action(world, criteria=("3.1",))
    else:
        services.plan_action_delete(actor=world.assessor, action=action)

    plan = AssessmentPlan.objects.get()
    assert (plan.learner_agreed_at, plan.assessor_agreed_at) == (None, None)


def test_agreement_times_show_in_uk_time(client, world):
    plan_action(world)
    # 12:30 UTC in July is 13:30 in London (British Summer Time).
    AssessmentPlan.objects.update(learner_agreed_at=datetime.datetime(2026, 7, 1, 12, 30, tzinfo=datetime.UTC))

    text = text_of(plan_page(client, world, world.iv))

    assert "Agreed by the learner, Lena Learner, on 01/07/2026 at 13:30 (UK time)." in text
    assert "Not yet agreed by the assessor, Asha Assessor." in text


def test_nothing_to_agree_without_actions_and_agreeing_twice_is_refused(client, world):
    client.force_login(world.learner)
    response = client.post(reverse("plan_agree", args=[world.portfolio.pk]), follow=True)
    assert "The plan has no actions yet, so there is nothing to agree to." in text_of(response)

    plan_action(world)
    services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    with pytest.raises(ValidationError, match="You agreed to this plan on"):
        services.plan_agree(actor=world.learner, portfolio=world.portfolio)
    assert AuditEvent.objects.filter(action="plan.agreed").count() == 1


@pytest.mark.parametrize("persona", ["iv", "ev", "admin"])
def test_iv_ev_and_admin_read_the_plan_but_cannot_change_or_agree(client, world, persona):
    plan_action(world)

    response = plan_page(client, world, world.persona(persona))

    text = text_of(response)
    assert "Observe the learner with an angry customer" in text
    assert "Add an action" not in text
    assert "I agree to this plan" not in text
    assert reverse("plan_action_edit", args=[PlanAction.objects.get().pk]) not in response.content.decode()
    assert client.post(reverse("plan_agree", args=[world.portfolio.pk])).status_code == 403
    assert AssessmentPlan.objects.get().learner_agreed_at is None


def test_portfolio_page_links_to_the_plan(client, world):
    client.force_login(world.learner)
    page = client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert f'href="{plan_url(world)}"' in page


# Done and overdue -----------------------------------------------------------------------------------------------------


def test_action_is_done_when_evidence_of_its_method_covering_one_of_its_criteria_arrives(client, world):
    action = plan_action(world, criteria=("2.1", "2.2"), range_items=("c",))
    evidence(world, criteria=["2.1"], method_code="RA")  # E1: another method
    evidence(world, criteria=["3.1"], range_items=["a"])  # E2: nothing the action covers
    evidence(world, criteria=["2.2"], days_ago=3)  # E3: dated before the plan was made
    assert plan_progress(world.portfolio).actions[0].state == "open"

    evidence(world, range_items=["c"])  # E4: the method, and one of its range items
    evidence(world, criteria=["2.1", "2.2"])  # E5

    row = plan_progress(world.portfolio).actions[0]
    assert (row.action, row.state, row.refs) == (action, "done", ["E4", "E5"])
    text = text_of(plan_page(client, world, world.learner))
    assert "Done by E4, E5" in text
    assert "1 of 1 done." in text


def test_action_is_done_by_evidence_cross_referenced_from_another_unit(world, second_portfolio):
    plan_action(world, criteria=("1.1",), portfolio=second_portfolio, slug=SECOND)
    # Added to the C4 portfolio, it also covers the second unit's 1.1, so it counts there too.
    evidence(world, criteria=[crit("2.1"), crit("1.1", SECOND)])

    row = plan_progress(second_portfolio).actions[0]

    assert (row.state, row.refs) == ("done", ["E1 (unit 220)"])


def test_action_past_its_due_date_without_evidence_is_overdue(client, world):
    late = plan_action(world, criteria=("2.1",))
    today = plan_action(world, criteria=("3.1",), method_code="Q", due=0)
    done_late = plan_action(world, criteria=("2.5",))
    PlanAction.objects.filter(pk__in=[late.pk, done_late.pk]).update(due_date=in_days(-1))
    evidence(world, criteria=["2.5"])

    states = {row.action.pk: row.state for row in plan_progress(world.portfolio).actions}

    assert states == {late.pk: "overdue", today.pk: "open", done_late.pk: "done"}
    text = text_of(plan_page(client, world, world.assessor))
    assert "1 of 3 done, 1 overdue." in text
    assert "Overdue" in text


def test_plan_page_runs_the_same_number_of_queries_at_2_and_at_8_actions(client, world):
    client.force_login(world.assessor)
    client.get(plan_url(world))  # settle the session first

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(plan_url(world))
        assert response.status_code == 200
        return len(queries), len(response.context["progress"].actions)

    plan_action(world, criteria=("2.1",))
    plan_action(world, criteria=("2.2",), range_items=("a",), method_code="Q")
    evidence(world, criteria=["2.1"])
    two, shown_two = count()
    for n, code in enumerate(["2.3", "2.4", "2.5", "3.1", "3.2", "3.3"]):
        plan_action(world, criteria=(code,), range_items=("b", "c"), method_code="O" if n % 2 else "PE", due=n + 1)
        evidence(world, criteria=[code], range_items=["b"], method_code="O" if n % 2 else "RA")
    PlanAction.objects.filter(criteria=crit("3.3")).update(due_date=in_days(-1))
    eight, shown_eight = count()

    assert (shown_two, shown_eight) == (2, 8)
    assert eight == two


def test_plan_pages_use_no_inline_script_or_style(client, world):
    action = plan_action(world)
    client.force_login(world.assessor)
    for url in [
        plan_url(world),
        reverse("plan_action_add", args=[world.portfolio.pk]),
        reverse("plan_action_edit", args=[action.pk]),
        reverse("plan_action_delete_confirm", args=[action.pk]),
    ]:
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page and "<style" not in page, url


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.IV])
def test_people_at_the_centre_not_linked_to_the_portfolio_get_404_for_the_plan(client, world, role):
    action = plan_action(world)
    client.force_login(member(world.centre, role))

    assert client.get(plan_url(world)).status_code == 404
    assert client.post(reverse("plan_agree", args=[world.portfolio.pk])).status_code == 404
    assert client.get(reverse("plan_action_edit", args=[action.pk])).status_code == 404
