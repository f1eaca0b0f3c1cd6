"""Each role's dashboard shows the right people to the right person, and the role switcher."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from assessments import services
from assessments.models import (
    Author,
    Decision,
    Evidence,
    EvidenceSetting,
    Portfolio,
    PortfolioStatus,
    Referral,
    Signature,
    SignatureKind,
)
from assessments.signoff.services import unit_refer, unit_sign
from people.models import Membership, Qualification, Role
from people.roles import SESSION_KEY
from tests.factories import PASSWORD, PortfolioFactory, UserFactory, external_verifier, member
from units.models import AssessmentMethod, AwardingBody, Criterion, RangeItem

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def main_text(response) -> str:
    """The page without its navbar, which names the roles the person holds."""
    page = response.content.decode()
    main = page[page.index('<main id="main"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# One dashboard per role --------------------------------------------------------------------------------------------


def test_learner_sees_their_unit_and_learner_number(client, world):
    text = main_text(dashboard(client, world.learner))

    assert "Welcome, Lena Learner" in text
    assert world.portfolio.unit.title in text
    assert "learner number CG-0001" in text
    assert "City & Guilds" in text
    assert "Assessor: Asha Assessor." in text


def test_learner_does_not_see_other_learners_registrations(client, world):
    PortfolioFactory(centre=world.centre, learner_number="OTHER-77", assessor=world.assessor)

    text = main_text(dashboard(client, world.learner))

    assert "OTHER-77" not in text


def test_assessor_sees_own_learner_but_not_learner_of_another_assessor(client, world):
    colleague = member(world.centre, Role.ASSESSOR, user__full_name="Cal Colleague")
    PortfolioFactory(
        centre=world.centre,
        assessor=colleague,
        learner=member(world.centre, Role.LEARNER, user__full_name="Theo Theirs"),
    )

    text = main_text(dashboard(client, world.assessor))

    assert "Lena Learner" in text
    assert "Ivan Verifier" in text
    assert "Theo Theirs" not in text


def test_assessor_does_not_see_withdrawn_learner(client, world):
    world.portfolio.status = PortfolioStatus.WITHDRAWN
    world.portfolio.save()

    text = main_text(dashboard(client, world.assessor))

    assert "Lena Learner" not in text
    assert "No learners are assigned to you yet." in text


def test_qualifying_assessor_is_told_decisions_need_countersignature(client, world, qualifying_assessor):
    text = main_text(dashboard(client, qualifying_assessor))

    assert "still qualifying: your decisions need a countersignature" in text


def test_iv_sees_assessor_and_learner(client, world):
    other_iv = member(world.centre, Role.IV, user__full_name="Ona Otheriv")
    PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=other_iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Una Unrelated"),
    )

    text = main_text(dashboard(client, world.iv))

    assert "Assessor: Asha Assessor" in text
    assert "Lena Learner" in text
    assert "Una Unrelated" not in text


def test_iv_groups_learners_by_assessor(client, world):
    second = member(world.centre, Role.ASSESSOR, user__full_name="Bea Second")
    PortfolioFactory(
        centre=world.centre,
        assessor=second,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Mo Second-Learner"),
    )
    PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Al First-Learner"),
    )

    response = dashboard(client, world.iv)

    groups = {
        assessor.full_name: sorted(p.learner.full_name for p in items)
        for assessor, items in response.context["by_assessor"]
    }
    assert groups == {
        "Asha Assessor": ["Al First-Learner", "Lena Learner"],
        "Bea Second": ["Mo Second-Learner"],
    }


def test_admin_sees_counts_and_no_unassigned_link_when_all_assigned(client, world):
    response = dashboard(client, world.admin)

    assert dict(response.context["people_counts"]) == {
        Role.LEARNER: 1,
        Role.ASSESSOR: 1,
        Role.IV: 1,
        Role.ADMIN: 1,
    }
    assert response.context["totals"] == {"current": 1, "complete": 0, "unassigned": 0}
    text = main_text(response)
    assert "1 current registration, 0 complete." in text
    assert "Every current registration has an assessor and an IV." in text
    assert "?status=unassigned" not in response.content.decode()


def test_admin_sees_link_to_unassigned_registrations_when_portfolio_lacks_iv(client, world):
    PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=None)
    member(world.centre, Role.LEARNER, is_active=False)

    response = dashboard(client, world.admin)

    assert dict(response.context["people_counts"])[Role.LEARNER] == 2
    assert f'href="{reverse("centre_portfolios")}?status=unassigned"' in response.content.decode()
    assert "1 needs an assessor or IV" in main_text(response)
    assert "2 current registrations, 0 complete." in main_text(response)


def test_admin_counts_ignore_other_centre(client, world):
    PortfolioFactory(centre=world.other_centre, iv=None)
    member(world.other_centre, Role.ASSESSOR)

    response = dashboard(client, world.admin)

    assert response.context["totals"]["unassigned"] == 0
    assert dict(response.context["people_counts"])[Role.ASSESSOR] == 1


def test_ev_sees_allocated_centre_and_not_the_other(client, world):
    PortfolioFactory(centre=world.other_centre)

    text = main_text(dashboard(client, world.ev))

    assert "External verifier for City & Guilds" in text
    assert "Northgate Training (51001) · 1 current registration" in text
    assert "Southbank College" not in text


def test_ev_counts_only_registrations_with_their_awarding_body(client, world):
    PortfolioFactory(centre=world.centre, awarding_body=AwardingBody.objects.get(code="OCR"))

    text = main_text(dashboard(client, world.ev))

    assert "Northgate Training (51001) · 1 current registration" in text


# Switching role ----------------------------------------------------------------------------------------------------


@pytest.fixture
def two_centre_person(world):
    """Asha assesses at Northgate and is an IV at Southbank."""
    iv_elsewhere = Membership.objects.create(
        user=world.assessor, centre=world.other_centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )
    southbank_learner = member(world.other_centre, Role.LEARNER, user__full_name="Sol Southbank")
    PortfolioFactory(centre=world.other_centre, learner=southbank_learner, iv=world.assessor)
    return iv_elsewhere


def test_person_with_roles_at_two_centres_can_switch_and_sees_other_dashboard(client, world, two_centre_person):
    first = dashboard(client, world.assessor)
    # The IV role is the busier one, so a new session starts there.
    assert first.context["role"].membership == two_centre_person
    assert "Sol Southbank" in main_text(first)
    assert "Lena Learner" not in main_text(first)

    assessor_key = f"m{Membership.objects.get(user=world.assessor, centre=world.centre).pk}"
    response = client.post(reverse("role_switch"), {"role": assessor_key}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert [m.lower() for m in messages_of(response)] == ["you are now acting as assessor at northgate training."]
    assert response.context["role"].centre == world.centre
    assert "Your learners" in main_text(response)
    assert "Lena Learner" in main_text(response)
    assert "Sol Southbank" not in main_text(response)
    # The choice sticks for later pages.
    assert "Lena Learner" in main_text(client.get(reverse("home")))


def test_switch_message_keeps_centre_name_as_written(client, world, two_centre_person):
    client.force_login(world.assessor)
    assessor_key = f"m{Membership.objects.get(user=world.assessor, centre=world.centre).pk}"

    response = client.post(reverse("role_switch"), {"role": assessor_key}, follow=True)

    assert "Northgate Training" in messages_of(response)[0]


@pytest.mark.parametrize("key", ["admin-of-someone-else", "nonsense", ""])
def test_switching_to_role_not_held_shows_error_and_changes_nothing(client, world, two_centre_person, key):
    client.force_login(world.assessor)
    client.get(reverse("home"))
    before = client.session[SESSION_KEY]
    if key == "admin-of-someone-else":
        key = f"m{Membership.objects.get(user=world.admin).pk}"

    response = client.post(reverse("role_switch"), {"role": key}, follow=True)

    assert "You do not hold that role." in messages_of(response)
    assert client.session[SESSION_KEY] == before
    assert response.context["role"].membership == two_centre_person
    assert "Sol Southbank" in main_text(response)


def test_switching_to_own_deactivated_role_is_refused(client, world, two_centre_person):
    client.force_login(world.assessor)
    client.get(reverse("home"))
    old = Membership.objects.get(user=world.assessor, centre=world.centre)
    old.is_active = False
    old.save()

    response = client.post(reverse("role_switch"), {"role": f"m{old.pk}"}, follow=True)

    assert "You do not hold that role." in messages_of(response)
    assert "Lena Learner" not in main_text(response)


def test_role_switcher_lists_only_roles_the_person_holds(client, world, two_centre_person):
    response = dashboard(client, world.assessor)

    assert [r.label for r in response.context["available_roles"]] == [
        "Assessor at Northgate Training",
        "Internal verifier at Southbank College",
    ]


def test_person_with_no_active_role_is_told_so(client, world):
    nobody = UserFactory(full_name="Noel Norole")
    lapsed = member(world.centre, Role.LEARNER, user__full_name="Lee Lapsed", is_active=False)

    for user in (nobody, lapsed):
        text = main_text(dashboard(client, user))
        assert "You have no active role" in text
        assert "CG-0001" not in text


def test_ev_with_no_allocated_centre_sees_none(client, world):
    ev = external_verifier(None, full_name="Nell Unallocated")

    text = main_text(dashboard(client, ev))

    assert "No centres are allocated to you yet." in text
    assert "Northgate Training" not in text


# Query counts ------------------------------------------------------------------------------------------------------


def test_assessor_dashboard_runs_same_number_of_queries_for_2_and_20_learners(client, world):
    def add_learners(n: int) -> None:
        for _ in range(n):
            PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=member(world.centre, Role.IV))

    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), len(response.context["portfolios"])

    dashboard(client, world.assessor)  # settle the session first
    add_learners(1)
    few, shown_few = count_queries()
    add_learners(18)
    many, shown_many = count_queries()

    assert (shown_few, shown_many) == (2, 20)
    assert many == few


def test_assessor_dashboard_reads_the_same_queries_however_many_learners_the_centre_has(client, world):
    def count_queries() -> tuple[int, set[int]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), {p.pk for p in response.context["portfolios"]}

    dashboard(client, world.assessor)  # settle the session first
    small, mine = count_queries()
    others = [member(world.centre, Role.ASSESSOR) for _ in range(3)]
    for n in range(24):  # other assessors' learners: the centre grows, the caseload does not
        PortfolioFactory(centre=world.centre, assessor=others[n % 3], iv=world.iv)
    large, still_mine = count_queries()

    assert still_mine == mine == {world.portfolio.pk}
    assert large == small


# The learner's progress across their units ----------------------------------------------------------------------


def _evidence(learner, portfolio, criteria, range_items=(), days_ago=1):
    return services.evidence_save(
        actor=learner,
        portfolio=portfolio,
        title="Customer at the desk",
        method=AssessmentMethod.objects.get(code="O"),
        activity_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        setting=EvidenceSetting.REAL_WORK,
        criteria=list(criteria),
        range_items=list(range_items),
    )


def _criteria(slug, *codes):
    pairs = [code.split(".") for code in codes]
    return [Criterion.objects.get(outcome__unit__slug=slug, outcome__number=o, number=n) for o, n in pairs]


def _range(slug, *letters):
    return [RangeItem.objects.get(unit__slug=slug, letter=letter) for letter in letters]


C4_SLUG = "deliver-customer-service-to-difficult-customers"
SECOND_SLUG = "test-communicate-with-customers"


def test_learner_dashboard_shows_progress_for_each_unit_counting_cross_referenced_evidence(
    client, world, second_portfolio
):
    _evidence(
        world.learner,
        world.portfolio,
        _criteria(C4_SLUG, "2.1", "2.4") + _criteria(SECOND_SLUG, "1.1"),
        _range(C4_SLUG, "b") + _range(SECOND_SLUG, "a"),
        days_ago=4,
    )
    _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1", "3.1"), days_ago=2)
    latest_own = _evidence(world.learner, second_portfolio, _criteria(SECOND_SLUG, "1.1", "2.1"), days_ago=1)

    response = dashboard(client, world.learner)

    progress = {p.unit.slug: p.progress for p in response.context["portfolios"]}
    c4, second = progress[C4_SLUG], progress[SECOND_SLUG]
    assert (c4.criteria_covered, c4.criteria_total, c4.range_covered, c4.range_total) == (3, 27, 1, 4)
    assert (c4.evidence, c4.cross_referenced) == (2, 0)
    assert (second.criteria_covered, second.criteria_total, second.range_covered, second.range_total) == (2, 4, 1, 2)
    assert (second.evidence, second.cross_referenced, second.latest) == (2, 1, latest_own.activity_date)
    page = response.content.decode()
    assert f'id="criteria-progress-{world.portfolio.pk}" max="27" value="3"' in page
    assert f'id="range-progress-{second_portfolio.pk}" max="2" value="1"' in page
    text = main_text(response)
    assert "Deliver customer service to difficult customers unit 220" in text
    assert "Communicate with customers (test unit) unit 998" in text
    assert "3 of 27 criteria have evidence" in text
    assert "1 of 4 range items have evidence" in text
    assert "2 of 4 criteria have evidence" in text
    assert "1 of 2 range items have evidence" in text
    latest = formats.date_format(latest_own.activity_date)
    assert f"2 evidence items (1 cross-referenced from your other units); the latest is dated {latest}." in text
    assert f'href="{reverse("portfolio_detail", args=[second_portfolio.pk])}"' in page


def test_learner_dashboard_with_no_evidence_says_so(client, world):
    text = main_text(dashboard(client, world.learner))

    assert "0 of 27 criteria have evidence" in text
    assert "No evidence yet." in text


def test_learner_dashboard_runs_the_same_number_of_queries_for_1_and_3_portfolios(
    client, world, second_unit, third_unit
):
    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), len(response.context["portfolios"])

    dashboard(client, world.learner)  # settle the session first
    _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "1.1"))
    one, shown_one = count_queries()

    second = PortfolioFactory(centre=world.centre, learner=world.learner, unit=second_unit)
    third = PortfolioFactory(centre=world.centre, learner=world.learner, unit=third_unit)
    for days_ago in range(1, 6):
        _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1") + _criteria(SECOND_SLUG, "1.1"))
        _evidence(world.learner, second, _criteria(SECOND_SLUG, "2.1"), _range(SECOND_SLUG, "b"), days_ago=days_ago)
    _evidence(world.learner, third, _criteria("test-keep-customer-records", "1.1"))
    three, shown_three = count_queries()

    assert (shown_one, shown_three) == (1, 3)
    assert three == one


# The assessor's caseload: progress and what waits for them -----------------------------------------------------------


def _aged(evidence, days: float) -> None:
    Evidence.objects.filter(pk=evidence.pk).update(updated_at=timezone.now() - datetime.timedelta(days=days))


def _submit(portfolio, days_ago: float) -> None:
    """The learner's declaration as the sign-off chain records it, made `days_ago`."""
    Signature.objects.create(
        portfolio=portfolio,
        kind=SignatureKind.LEARNER,
        round=portfolio.round,
        signer=portfolio.learner,
        signer_name=portfolio.learner.full_name,
        role=Role.LEARNER,
        statement="I confirm that the evidence provided is a result of my own work.",
        signed_at=timezone.now() - datetime.timedelta(days=days_ago),
        record={},
        digest="0" * 64,
    )
    Portfolio.objects.filter(pk=portfolio.pk).update(status=PortfolioStatus.SUBMITTED)


def _refer(portfolio, by, role: Role, days_ago: float, reasons: str = "Range c needs real evidence.") -> Referral:
    """A referral as the sign-off chain records it: it closes the round the unit was in."""
    portfolio.refresh_from_db()
    referral = Referral.objects.create(
        portfolio=portfolio, round=portfolio.round, referred_by=by, role=role, reasons=reasons
    )
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    Portfolio.objects.filter(pk=portfolio.pk).update(round=F("round") + 1)
    return referral


def test_assessor_dashboard_lists_what_waits_oldest_first_with_counts(client, world):
    lena = world.portfolio
    new_old = _evidence(world.learner, lena, _criteria(C4_SLUG, "2.1"), days_ago=3)  # E1
    new_recent = _evidence(world.learner, lena, _criteria(C4_SLUG, "2.2"))  # E2
    accepted = _evidence(world.learner, lena, _criteria(C4_SLUG, "2.3"))  # E3
    changed = _evidence(world.learner, lena, _criteria(C4_SLUG, "2.4"))  # E4
    own_record = _evidence(world.learner, lena, _criteria(C4_SLUG, "2.5"))  # E5
    Evidence.objects.filter(pk=accepted.pk).update(decision=Decision.ACCEPTED, decided_at=timezone.now())
    Evidence.objects.filter(pk=changed.pk).update(decided_at=timezone.now() - datetime.timedelta(days=4))
    Evidence.objects.filter(pk=own_record.pk).update(author=Author.ASSESSOR)
    _aged(new_old, 5)
    _aged(changed, 2)
    _aged(new_recent, 1)
    _aged(own_record, 9)
    mo = PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Mo Submitted"),
    )
    _submit(mo, days_ago=4)
    ria = PortfolioFactory(
        centre=world.centre,
        assessor=world.assessor,
        iv=world.iv,
        learner=member(world.centre, Role.LEARNER, user__full_name="Ria Referred"),
    )
    _refer(ria, world.assessor, Role.ASSESSOR, days_ago=8)  # their own referral does not wait for them
    _refer(ria, world.iv, Role.IV, days_ago=7, reasons="An older round.")  # a round since closed
    _refer(ria, world.iv, Role.IV, days_ago=3, reasons="The witness statement for E2 is unsigned.")
    # Another assessor's learner, and a withdrawn registration, wait for nobody here.
    theirs = PortfolioFactory(centre=world.centre, assessor=member(world.centre, Role.ASSESSOR))
    _evidence(theirs.learner, theirs, _criteria(C4_SLUG, "2.1"))
    gone = PortfolioFactory(centre=world.centre, assessor=world.assessor)
    _evidence(gone.learner, gone, _criteria(C4_SLUG, "2.1"))
    Portfolio.objects.filter(pk=gone.pk).update(status=PortfolioStatus.WITHDRAWN)

    response = dashboard(client, world.assessor)

    caseload = response.context["caseload"]
    assert [(w.kind, w.portfolio.pk, w.title) for w in caseload.waiting] == [
        ("evidence", lena.pk, f"E1 {new_old.title}"),
        ("submitted", mo.pk, "Unit submitted for sign-off"),
        ("referral", ria.pk, "Referred back by the IV, Ivan Verifier"),
        ("evidence", lena.pk, f"E4 {changed.title}"),
        ("evidence", lena.pk, f"E2 {new_recent.title}"),
    ]
    assert dict(caseload.counts) == {"evidence": 3, "submitted": 1, "referral": 1}
    assert [w.detail for w in caseload.waiting if w.kind == "evidence"] == [
        "New evidence",
        "Changed since you judged it",
        "New evidence",
    ]
    by_name = {p.learner.full_name: p for p in response.context["portfolios"]}
    assert sorted(by_name) == ["Lena Learner", "Mo Submitted", "Ria Referred"]
    assert by_name["Lena Learner"].waiting_evidence == 3
    assert by_name["Lena Learner"].progress.criteria_covered == 5
    page = response.content.decode()
    assert f'href="{reverse("evidence_review", args=[new_old.pk])}"' in page
    assert f'href="{reverse("signoff", args=[mo.pk])}"' in page
    assert f'href="{reverse("portfolio_history", args=[ria.pk])}"' in page
    assert f'id="criteria-progress-{lena.pk}" max="27" value="5"' in page
    text = main_text(response)
    assert "3 evidence items to judge · 1 unit submitted for sign-off · 1 referral by the IV or EV" in text
    assert "Waiting 5 days" in text
    assert "The witness statement for E2 is unsigned." in text
    assert "An older round." not in text
    assert "3 items to judge" in text
    assert "Referred back by the IV" in text


def test_assessor_with_nothing_waiting_is_told_so(client, world):
    text = main_text(dashboard(client, world.assessor))

    assert "Nothing waits for you." in text
    assert "0 of 27 criteria" in text


def test_assessor_dashboard_runs_the_same_number_of_queries_for_2_and_6_learners_with_evidence(client, world):
    made = [0]

    def add_learner(items: int, *, submitted: bool = False, referred: bool = False):
        made[0] += 1
        portfolio = PortfolioFactory(
            centre=world.centre,
            assessor=world.assessor,
            iv=world.iv,
            learner=member(world.centre, Role.LEARNER, user__full_name=f"Learner {made[0]:02d}"),
        )
        for n in range(items):
            codes = ["2.1", "2.2", "3.1", "1.1"][: 1 + n % 4]
            _evidence(portfolio.learner, portfolio, _criteria(C4_SLUG, *codes), _range(C4_SLUG, "abcd"[n % 4]))
        if referred:
            _refer(portfolio, world.iv, Role.IV, days_ago=2)
        if submitted:
            _submit(portfolio, days_ago=1)

    def count_queries() -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), len(response.context["portfolios"]), len(response.context["caseload"].waiting)

    dashboard(client, world.assessor)  # settle the session first
    _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1"))
    add_learner(2, submitted=True)
    few, shown_few, waiting_few = count_queries()
    add_learner(7, referred=True)
    add_learner(0, submitted=True)
    add_learner(12)
    add_learner(3, referred=True, submitted=True)
    many, shown_many, waiting_many = count_queries()

    assert (shown_few, shown_many) == (2, 6)
    assert (waiting_few, waiting_many) == (4, 30)
    assert many == few


def test_iv_sees_samples_due_soonest_first_overdue_in_words_and_the_same_queries_for_1_and_6(client, world):
    import datetime

    from django.utils import timezone

    from quality.models import SampleItem, SamplingPlan
    from quality.services.reports import iv_report_unit

    today = timezone.localdate()
    plan = SamplingPlan.objects.create(
        centre=world.centre,
        iv=world.iv,
        title="Spring sample",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=30),
    )

    def sample(portfolio, days: int) -> SampleItem:
        return SampleItem.objects.create(
            plan=plan,
            scope="unit",
            stage="interim",
            portfolio=portfolio,
            planned_for=today + datetime.timedelta(days=days),
            created_by=world.iv,
        )

    sample(world.portfolio, -2)
    dashboard(client, world.iv)

    def count_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        return len(queries), main_text(response)

    few, text = count_queries()
    assert "Overdue: was due by" in text and "Lena Learner, Deliver customer service" in text
    for n in range(5):
        learner = member(world.centre, Role.LEARNER, user__full_name=f"Sam Sampled {n}")
        sample(PortfolioFactory(centre=world.centre, learner=learner, assessor=world.assessor, iv=world.iv), n + 1)
    many, text = count_queries()
    assert many == few
    assert "6 planned samples without a report yet" in text
    assert text.index("Lena Learner, Deliver") < text.index("Sam Sampled 0") < text.index("Sam Sampled 4")

    # A report on the unit takes it off the list.
    iv_report_unit(
        actor=world.iv, portfolio=world.portfolio, agreement="agree", feedback="Sound decisions.", actions=[]
    )
    _, text = count_queries()
    assert "5 planned samples without a report yet" in text
    assert "Lena Learner, Deliver customer service" not in text.split("Units you verify")[0]


# What waits for the learner: notices of their evidence and units, and a unit ready to submit -----------------------


def _panel(response) -> str:
    """The "Needs your action" section of the page, as text."""
    page = response.content.decode()
    start = page.index('id="needs-action"')
    section = page[start : page.index("</section>", start)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def _judge(world, item, decision, feedback=""):
    verdicts = dict.fromkeys([*item.criteria.all(), *item.range_items.all()], "confirmed")
    return services.evidence_judge(
        actor=world.assessor,
        evidence=item,
        decision=decision,
        verdicts=verdicts if decision == Decision.ACCEPTED else {},
        feedback=feedback,
    )


def _cover(learner, portfolio, unit_slug: str, days_ago: int = 1):
    """One item that claims every criterion and range item of the portfolio's unit."""
    return _evidence(
        learner,
        portfolio,
        Criterion.objects.filter(outcome__unit__slug=unit_slug),
        RangeItem.objects.filter(unit__slug=unit_slug),
        days_ago=days_ago,
    )


def test_the_learner_sees_an_item_sent_back_with_the_feedback_until_they_change_it(client, world):
    item = _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1"))
    _judge(world, item, Decision.SENT_BACK, feedback="Say what the customer asked for.")

    response = dashboard(client, world.learner)

    panel = _panel(response)
    assert "1 thing needs your action." in panel
    assert f"Sent back by your assessor: {item.reference} Customer at the desk" in panel
    assert "Asha Assessor says: Say what the customer asked for." in panel
    link = reverse("evidence_detail", args=[item.pk]) + "#thread"
    assert response.content.decode().count(f'href="{link}"') == 1
    # The item page shows the feedback; reading it does not answer it.
    assert "Say what the customer asked for." in main_text(client.get(reverse("evidence_detail", args=[item.pk])))
    assert "Sent back by your assessor" in _panel(dashboard(client, world.learner))

    services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        evidence=Evidence.objects.get(pk=item.pk),
        title=item.title,
        method=item.method,
        activity_date=item.activity_date,
        setting=item.setting,
        description="The customer asked for a refund; I explained the policy.",
        criteria=list(item.criteria.all()),
        range_items=[],
    )

    assert "Nothing needs your action." in _panel(dashboard(client, world.learner))


def test_the_learner_reads_an_accepted_item_and_feedback_and_the_dashboard_is_clear_again(client, world):
    accepted = _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1"))
    asked = _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.4"))
    _judge(world, accepted, Decision.ACCEPTED)
    services.feedback_post(actor=world.assessor, evidence=asked, text="Which day was this?")

    panel = _panel(dashboard(client, world.learner))
    assert "2 things need your action." in panel
    assert f"Accepted by your assessor: {accepted.reference} Customer at the desk" in panel
    assert f"New feedback on {asked.reference} Customer at the desk" in panel
    assert "Asha Assessor: Which day was this?" in panel

    assert client.get(reverse("evidence_detail", args=[accepted.pk])).status_code == 200
    panel = _panel(dashboard(client, world.learner))
    assert "Accepted by your assessor" not in panel
    assert "1 thing needs your action." in panel

    assert client.get(reverse("evidence_detail", args=[asked.pk])).status_code == 200
    assert "Nothing needs your action." in _panel(dashboard(client, world.learner))


def test_the_assessor_reading_the_item_leaves_the_learners_notice_open(client, world):
    item = _evidence(world.learner, world.portfolio, _criteria(C4_SLUG, "2.1"))
    _judge(world, item, Decision.ACCEPTED)

    client.force_login(world.assessor)
    assert client.get(reverse("evidence_detail", args=[item.pk])).status_code == 200

    assert f"Accepted by your assessor: {item.reference}" in _panel(dashboard(client, world.learner))


def test_the_learner_sees_a_referral_with_its_reasons_and_a_link_to_the_sign_off_page(client, world):
    _cover(world.learner, world.portfolio, C4_SLUG)
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    unit_refer(
        actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="Range c needs a second item."
    )

    response = dashboard(client, world.learner)

    panel = _panel(response)
    assert "Your unit was referred back: Range c needs a second item." in panel
    assert "Referred back by Asha Assessor: Range c needs a second item." in panel
    assert f'href="{reverse("signoff", args=[world.portfolio.pk])}"' in response.content.decode()


def test_a_unit_with_every_criterion_and_range_item_covered_asks_the_learner_to_submit_it(client, world):
    _cover(world.learner, world.portfolio, C4_SLUG)

    response = dashboard(client, world.learner)

    panel = _panel(response)
    assert "Nothing needs your action." not in panel
    assert "1 thing needs your action." in panel
    assert f"Submit this unit: {world.portfolio.unit.title}" in panel
    signoff = reverse("signoff", args=[world.portfolio.pk])
    assert response.content.decode().count(f'href="{signoff}"') == 1
    # It is what the unit's state says, not a notification: there is nothing to dismiss.
    assert "Dismiss" not in panel

    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)

    assert "Submit this unit" not in _panel(dashboard(client, world.learner))


def test_a_unit_with_a_gap_does_not_ask_to_be_submitted(client, world):
    _evidence(
        world.learner,
        world.portfolio,
        Criterion.objects.filter(outcome__unit__slug=C4_SLUG),
        _range(C4_SLUG, "a", "b", "c"),
    )

    panel = _panel(dashboard(client, world.learner))

    assert "Submit this unit" not in panel
    assert "Nothing needs your action." in panel


def test_the_learner_dashboard_asks_for_each_ready_unit_in_the_same_queries_for_1_and_3(
    client, world, second_unit, third_unit
):
    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), _panel(response).count("Submit this unit:")

    dashboard(client, world.learner)  # settle the session first
    _cover(world.learner, world.portfolio, C4_SLUG)
    one, asked_one = count_queries()

    for unit in (second_unit, third_unit):
        portfolio = PortfolioFactory(centre=world.centre, learner=world.learner, unit=unit, assessor=world.assessor)
        _cover(world.learner, portfolio, unit.slug)
    three, asked_three = count_queries()

    assert (asked_one, asked_three) == (1, 3)
    assert three == one
