"""The IV's sampling pages and the centre's sampling policy, driven as their users drive them."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence, EvidenceSetting, PortfolioStatus
from audit.models import AuditEvent
from people.models import Membership, Qualification, Role
from people.roles import SESSION_KEY
from quality.models import Agreement, IVReport, SampleItem, SamplingPlan, SamplingPolicy
from quality.services.sampling import OWN_DECISIONS
from tests.factories import PortfolioFactory, member
from units.models import AssessmentMethod, Criterion

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def crit(code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(
        outcome__unit__slug="deliver-customer-service-to-difficult-customers", outcome__number=outcome, number=number
    )


def add_evidence(portfolio, method: str, setting: str, criteria: list[str]) -> None:
    number = Evidence.objects.filter(portfolio=portfolio).count() + 1
    evidence = Evidence.objects.create(
        portfolio=portfolio,
        number=number,
        title=f"Item {number}",
        method=AssessmentMethod.objects.get(code=method),
        activity_date=timezone.localdate(),
        setting=setting,
        created_by=portfolio.learner,
    )
    evidence.criteria.set([crit(c) for c in criteria])


def today(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def iv_client(client, world):
    client.force_login(world.iv)
    return client


def make_plan(client, title="Summer term", starts=0, ends=60):
    response = client.post(
        reverse("sampling_plan_new"), {"title": title, "starts_on": today(starts), "ends_on": today(ends)}
    )
    assert response.status_code == 302, text_of(response)
    return SamplingPlan.objects.get(title=title)


def unit_of(world, name: str, assessor=None):
    return PortfolioFactory(
        centre=world.centre,
        assessor=assessor or world.assessor,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name=name),
    )


def camera(client, plan) -> dict[str, str]:
    """Each CAMERA row's "covered of total" figure, as the page shows it."""
    page = client.get(reverse("sampling_plan_detail", args=[plan.pk])).content.decode()
    rows = {}
    for key in ("candidates", "assessors", "methods", "elements", "records", "locations"):
        row = page[page.index(f'id="camera-{key}"') :]
        rows[key] = re.search(r"<td[^>]*>(\d+ of \d+)</td>", row).group(1)
    return rows


def test_iv_makes_a_plan_and_adds_a_unit_from_the_overview(iv_client, world):
    add_evidence(world.portfolio, "O", EvidenceSetting.REAL_WORK, ["1.1", "2.1"])
    second = unit_of(world, "Sam Second")
    add_evidence(second, "Q", EvidenceSetting.SIMULATION, ["3.1"])
    plan = make_plan(iv_client)
    assert camera(iv_client, plan) == {
        "candidates": "0 of 2",
        "assessors": "0 of 1",
        "methods": "0 of 2",
        "elements": "0 of 3",
        "records": "0 of 0",
        "locations": "0 of 2",
    }
    overview = iv_client.get(reverse("sampling_overview"), {"plan": plan.pk})
    text = text_of(overview)
    assert "Summer term" in text and "Lena Learner" in text and "Sam Second" in text
    assert [p.sample_state.label for p in overview.context["page"]] == ["Not sampled", "Not sampled"]

    url = reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]) + f"?plan={plan.pk}"
    response = iv_client.post(url, {"stage": "interim", "planned_for": today(7), "back": "overview"})
    assert response.status_code == 302 and response.url == reverse("sampling_overview") + f"?plan={plan.pk}"
    item = SampleItem.objects.get(plan=plan)
    assert (item.scope, item.stage, item.portfolio, item.created_by) == ("unit", "interim", world.portfolio, world.iv)
    overview = iv_client.get(response.url)
    assert "Added to the interim sample of “Summer term”: Lena Learner" in text_of(overview)
    assert [p.sample_state.label for p in overview.context["page"]] == ["Planned interim", "Not sampled"]
    assert camera(iv_client, plan)["candidates"] == "1 of 2"
    assert camera(iv_client, plan)["methods"] == "1 of 2"
    assert AuditEvent.objects.filter(action="sample_item.add", portfolio=world.portfolio, actor_role="iv").exists()

    unsampled = iv_client.get(reverse("sampling_overview"), {"sampled": "no"})
    assert [p.learner.full_name for p in unsampled.context["page"]] == ["Sam Second"]
    sampled = iv_client.get(reverse("sampling_overview"), {"sampled": "yes"})
    assert [p.learner.full_name for p in sampled.context["page"]] == ["Lena Learner"]


def test_learner_and_criterion_items_from_the_plan_page_shrink_what_is_unsampled(iv_client, world):
    add_evidence(world.portfolio, "O", EvidenceSetting.REAL_WORK, ["1.1"])
    other = member(world.centre, Role.ASSESSOR, user__full_name="Oli Other")
    second = unit_of(world, "Sam Second", assessor=other)
    add_evidence(second, "WT", EvidenceSetting.REALISTIC, ["2.3"])
    plan = make_plan(iv_client)
    page = text_of(iv_client.get(reverse("sampling_plan_detail", args=[plan.pk])))
    assert "2 not yet sampled" in page

    response = iv_client.post(
        reverse("sample_learner_add", args=[plan.pk, world.learner.pk]),
        {"stage": "summative", "planned_for": today(3), "back": "plan"},
    )
    assert response.status_code == 302
    page = iv_client.get(reverse("sampling_plan_detail", args=[plan.pk]))
    candidates = page.context["coverage"].dimension("candidates")
    assert [label for _, label in candidates.unsampled] == ["Sam Second"]
    assert "All units of Lena Learner" in text_of(page)

    response = iv_client.post(
        reverse("sample_criterion_add", args=[plan.pk]),
        {"assessor": other.pk, "criterion": crit("2.3").pk, "stage": "interim", "planned_for": today(5)},
    )
    assert response.status_code == 302
    assert camera(iv_client, plan) == {
        "candidates": "2 of 2",
        "assessors": "2 of 2",
        "methods": "2 of 2",
        "elements": "3 of 3",
        "records": "0 of 0",
        "locations": "2 of 2",
    }
    assert "Oli Other's decisions on criterion 2.3" in text_of(
        iv_client.get(reverse("sampling_plan_detail", args=[plan.pk]))
    )


def test_bad_input_comes_back_with_the_message_beside_the_field(iv_client, world):
    response = iv_client.post(reverse("sampling_plan_new"), {"title": " ", "starts_on": today(10), "ends_on": today(1)})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "title": ["This field is required."],
        "ends_on": ["The plan must end on or after the day it starts."],
    }
    plan = make_plan(iv_client, ends=30)

    response = iv_client.post(
        reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]),
        {"stage": "summative", "planned_for": today(45), "back": "overview"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["planned_for"] == [
        f"The date must be within the plan, {plan.starts_on:%d/%m/%Y} to {plan.ends_on:%d/%m/%Y}."
    ]
    page = response.content.decode()
    # Beside the date field, and in the summary at the top that links to it.
    field = page[page.index('id="id_planned_for"') :]
    assert "The date must be within the plan" in field[:1500]
    assert 'href="#id_planned_for"' in page and "Lena Learner, Deliver customer service" in text_of(response)

    response = iv_client.post(
        reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]),
        {"stage": "sometime", "planned_for": "", "back": "plan"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"stage", "planned_for"}

    data = {"stage": "interim", "planned_for": today(1), "back": "plan"}
    iv_client.post(reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]), data)
    response = iv_client.post(reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]), data)
    assert "That is already in this plan's interim sample." in text_of(response)

    response = iv_client.post(
        reverse("sample_criterion_add", args=[plan.pk]),
        {"assessor": world.iv.pk, "criterion": crit("2.1").pk, "stage": "interim", "planned_for": today(1)},
    )
    assert response.status_code == 200
    assert response.context["criterion_form"].errors == {"assessor": [OWN_DECISIONS]}
    response = iv_client.post(reverse("sample_criterion_add", args=[plan.pk]), {"stage": "interim"})
    assert set(response.context["criterion_form"].errors) == {"assessor", "criterion", "planned_for"}
    assert SampleItem.objects.count() == 1


def test_an_iv_never_samples_their_own_assessment_decisions(client, world):
    """Someone who is both an assessor and an IV at the centre, acting as IV, tries to sample a unit they assessed."""
    both = member(world.centre, Role.IV, user__full_name="Bea Both")
    Membership.objects.create(user=both, centre=world.centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED)
    theirs = PortfolioFactory(centre=world.centre, assessor=both, iv=world.iv)
    mine_to_verify = unit_of(world, "Vic Verified")
    mine_to_verify.iv = both
    mine_to_verify.save(update_fields=["iv"])
    client.force_login(both)
    session = client.session
    session[SESSION_KEY] = f"m{Membership.objects.get(user=both, role=Role.IV).pk}"
    session.save()
    plan = make_plan(client)

    response = client.post(
        reverse("sample_unit_add", args=[plan.pk, theirs.pk]), {"stage": "summative", "planned_for": today(1)}
    )
    assert response.status_code == 403
    assert OWN_DECISIONS in text_of(response)
    assert not SampleItem.objects.exists()
    # Their own plan still takes the unit they do verify.
    response = client.post(
        reverse("sample_unit_add", args=[plan.pk, mine_to_verify.pk]), {"stage": "summative", "planned_for": today(1)}
    )
    assert response.status_code == 302 and SampleItem.objects.count() == 1


def test_a_unit_linked_but_not_as_its_iv_is_refused(client, world):
    # A second IV at the centre who countersigns nothing and verifies another unit: not linked to the world's one.
    other_iv = member(world.centre, Role.IV)
    client.force_login(other_iv)
    plan = make_plan(client)
    url = reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk])
    assert client.post(url, {"stage": "interim", "planned_for": today(1)}).status_code == 404
    # Also the centre's admin: linked to the unit, as admin.
    Membership.objects.create(user=other_iv, centre=world.centre, role=Role.ADMIN)
    assert client.post(url, {"stage": "interim", "planned_for": today(1)}).status_code == 403


def test_plans_are_their_ivs(client, world):
    client.force_login(world.iv)
    plan = make_plan(client)
    url = reverse("sampling_plan_detail", args=[plan.pk])
    client.force_login(member(world.centre, Role.IV))
    assert client.get(url).status_code == 403
    client.force_login(world.admin)
    response = client.get(url)
    assert response.status_code == 200 and not response.context["may_change"]
    assert "Add the criterion sample" not in text_of(response)
    client.force_login(member(world.other_centre, Role.IV))
    assert client.get(url).status_code == 404


def test_removing_an_item_and_refusal_once_reported(iv_client, world):
    plan = make_plan(iv_client)
    data = {"stage": "summative", "planned_for": today(1), "back": "plan"}
    iv_client.post(reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]), data)
    item = SampleItem.objects.get()
    response = iv_client.post(reverse("sample_item_remove", args=[item.pk]), follow=True)
    assert "Taken out of the plan." in text_of(response) and not SampleItem.objects.exists()

    iv_client.post(reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]), data)
    item = SampleItem.objects.get()
    IVReport.objects.create(
        iv=world.iv,
        centre=world.centre,
        sample_item=item,
        assessor=world.assessor,
        portfolio=world.portfolio,
        round=1,
        stage="summative",
        agreement=Agreement.AGREE,
        feedback="Good.",
    )
    response = iv_client.post(reverse("sample_item_remove", args=[item.pk]), follow=True)
    assert "You have reported on this sample, so it stays in the plan." in text_of(response)
    assert SampleItem.objects.filter(pk=item.pk).exists()
    overview = iv_client.get(reverse("sampling_overview"))
    assert overview.context["page"][0].sample_state.label == "Reported"


def test_targets_by_band_and_the_policy_changing_them(client, world):
    # Ten units of an experienced assessor (10%: target 1), two of a still-qualifying one (100%: target 2).
    Membership.objects.filter(user=world.assessor, role=Role.ASSESSOR).update(
        created_at=timezone.now() - datetime.timedelta(days=800)
    )
    qualifying = member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING, user__full_name="Quin")
    for n in range(9):
        unit_of(world, f"Learner {n}")
    for n in range(2):
        unit_of(world, f"Qual learner {n}", assessor=qualifying)
    client.force_login(world.iv)
    rows = {r.assessor.pk: r for r in client.get(reverse("sampling_overview")).context["overview"].assessors}
    assert (rows[world.assessor.pk].band, rows[world.assessor.pk].target) == ("experienced", 1)
    assert (rows[qualifying.pk].band, rows[qualifying.pk].target) == ("qualifying", 2)
    assert not SamplingPolicy.objects.exists()  # reading writes nothing

    client.force_login(world.admin)
    page = client.get(reverse("sampling_policy"))
    assert page.context["form"].initial["experienced_rate"] == 10
    assert not SamplingPolicy.objects.exists()
    response = client.post(
        reverse("sampling_policy"),
        {"qualifying_rate": 100, "new_rate": 50, "disagreed_rate": 40, "experienced_rate": 25, "new_for_months": 6},
    )
    assert response.status_code == 302
    assert SamplingPolicy.objects.get(centre=world.centre).updated_by == world.admin

    client.force_login(world.iv)
    overview = client.get(reverse("sampling_overview"))
    rows = {r.assessor.pk: r for r in overview.context["overview"].assessors}
    assert (rows[world.assessor.pk].rate, rows[world.assessor.pk].target) == (25, 3)
    assert "Experienced, no disagreements 25%" in text_of(overview)
    # A disagreement in the last year moves the assessor to that band.
    IVReport.objects.create(
        iv=world.iv,
        centre=world.centre,
        assessor=world.assessor,
        portfolio=world.portfolio,
        round=1,
        stage="interim",
        agreement=Agreement.DISAGREE,
        feedback="Not enough.",
    )
    rows = {r.assessor.pk: r for r in client.get(reverse("sampling_overview")).context["overview"].assessors}
    assert (rows[world.assessor.pk].band, rows[world.assessor.pk].target) == ("disagreed", 4)


def test_policy_bad_input(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("sampling_policy"),
        {"qualifying_rate": 101, "new_rate": -1, "disagreed_rate": "lots", "experienced_rate": "", "new_for_months": 0},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "qualifying_rate": ["The rate cannot be above 100%."],
        "new_rate": ["The rate cannot be below 0%."],
        "disagreed_rate": ["Enter a whole number from 0 to 100."],
        "experienced_rate": ["Enter a rate from 0 to 100."],
        "new_for_months": ["Enter at least 1 month."],
    }
    assert not SamplingPolicy.objects.exists()


def test_overview_pages_units_fifty_at_a_time_and_filters_by_assessor(iv_client, world):
    other = member(world.centre, Role.ASSESSOR)
    for n in range(49):
        unit_of(world, f"Learner {n:02d}")
    unit_of(world, "Zed Other", assessor=other)  # 51 units with the world's own
    first = iv_client.get(reverse("sampling_overview"))
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.num_pages == 2
    second = iv_client.get(reverse("sampling_overview"), {"page": 2})
    assert [p.learner.full_name for p in second.context["page"]] == ["Zed Other"]
    theirs = iv_client.get(reverse("sampling_overview"), {"assessor": other.pk})
    assert [p.learner.full_name for p in theirs.context["page"]] == ["Zed Other"]


def _population(world, learners: int, assessors) -> None:
    for n in range(learners):
        portfolio = unit_of(world, f"Bulk {n:03d}", assessor=assessors[n % len(assessors)])
        add_evidence(portfolio, ["O", "Q", "PE"][n % 3], EvidenceSetting.REAL_WORK, ["1.1", f"2.{n % 3 + 1}"])
        if n % 4 == 0:
            portfolio.status = PortfolioStatus.ASSESSOR_SIGNED
            portfolio.save(update_fields=["status"])


def test_pages_take_the_same_number_of_queries_whatever_the_size(iv_client, world):
    assessors = [world.assessor, member(world.centre, Role.ASSESSOR), member(world.centre, Role.ASSESSOR)]
    plan = make_plan(iv_client)
    data = {"stage": "interim", "planned_for": today(1), "back": "plan"}
    iv_client.post(reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]), data)
    iv_client.post(
        reverse("sample_criterion_add", args=[plan.pk]),
        {"assessor": world.assessor.pk, "criterion": crit("1.1").pk, **data},
    )

    def count(url: str) -> int:
        iv_client.get(url)  # settle the session
        with CaptureQueriesContext(connection) as queries:
            assert iv_client.get(url).status_code == 200
        return len(queries)

    urls = [reverse("sampling_overview"), reverse("sampling_plan_detail", args=[plan.pk])]
    _population(world, 3, assessors)
    small = [count(url) for url in urls]
    for n in range(3, 40):
        portfolio = unit_of(world, f"More {n:03d}", assessor=assessors[n % 3])
        add_evidence(portfolio, ["O", "WT", "PD"][n % 3], EvidenceSetting.REALISTIC, ["3.1", "2.2"])
        add_evidence(portfolio, "RA", EvidenceSetting.SIMULATION, ["1.1"])
    iv_client.post(reverse("sample_learner_add", args=[plan.pk, portfolio.learner.pk]), {**data, "stage": "summative"})
    large = [count(url) for url in urls]
    assert large == small


def test_pages_take_the_same_queries_however_many_other_units_the_centre_holds(iv_client, world):
    plan = make_plan(iv_client)
    urls = [reverse("sampling_overview"), reverse("sampling_plan_detail", args=[plan.pk])]

    def count(url: str) -> int:
        iv_client.get(url)  # settle the session
        with CaptureQueriesContext(connection) as queries:
            assert iv_client.get(url).status_code == 200
        return len(queries)

    small = [count(url) for url in urls]
    listed = {p.pk for p in iv_client.get(urls[0]).context["page"]}
    other_iv = member(world.centre, Role.IV)
    assessors = [member(world.centre, Role.ASSESSOR) for _ in range(3)]
    for n in range(24):  # another IV's population: the centre grows, this IV's does not
        portfolio = PortfolioFactory(centre=world.centre, assessor=assessors[n % 3], iv=other_iv)
        add_evidence(portfolio, "O", EvidenceSetting.REAL_WORK, ["1.1"])

    assert [count(url) for url in urls] == small
    assert {p.pk for p in iv_client.get(urls[0]).context["page"]} == listed
