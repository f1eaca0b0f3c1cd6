"""A centre admin registers a cohort on a qualification and its units in a real browser, through the real form with
CSRF and DEBUG off, and sees each learner's units in the registrations list with a percentage and a status in
words; a learner's dashboard shows the qualification's progress. The pages have no WCAG violations."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio, QualificationRegistration
from assessments.tests.qualifications import made_qualification
from people.models import Role
from tests.browser.helpers import said_once
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in
from tests.factories import member

pytestmark = pytest.mark.browser

QUALIFICATION = "Test Certificate in Customer Service"


@pytest.fixture
def qualification(unit, second_unit, third_unit):
    return made_qualification()


def test_admin_registers_a_cohort_on_a_qualification_and_sees_its_progress_on_a_phone(open_as, world, qualification):
    today = timezone.localdate()
    member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org")
    member(world.centre, Role.LEARNER, user__full_name="Omar Okafor", user__email="omar@example.org")
    admin = open_as(world.admin.email, phone=True)

    admin.get_by_role("link", name="Register on a qualification").click()
    admin.get_by_role("link", name=f"Register learners on {QUALIFICATION}").click()
    admin.get_by_role("checkbox", name="Nia Newcomer (nia@example.org)").check()
    admin.get_by_label("Learner number of Nia Newcomer").fill("CG-0201")
    admin.get_by_role("checkbox", name="Omar Okafor (omar@example.org)").check()
    # Omar's number is forgotten at first: the page says so and keeps the ticks and Nia's number.
    admin.get_by_label("Start date").fill((today - datetime.timedelta(days=30)).isoformat())
    admin.get_by_label("Planned end date").fill((today + datetime.timedelta(days=150)).isoformat())
    admin.get_by_label("Unit 997: Keep customer records (test unit) (group 2)").check()
    admin.get_by_label("Assessor").select_option(label=f"Asha Assessor ({world.assessor.email})")
    admin.get_by_role("button", name="Register").click()
    expect(admin.get_by_text("Enter the learner number of Omar Okafor.")).to_have_count(1)
    expect(admin.get_by_role("checkbox", name="Nia Newcomer (nia@example.org)")).to_be_checked()
    expect(admin.get_by_label("Learner number of Nia Newcomer")).to_have_value("CG-0201")
    assert not QualificationRegistration.objects.exists()

    admin.get_by_label("Learner number of Omar Okafor").fill("CG-0202")
    admin.get_by_role("button", name="Register").click()
    said_once(admin, f"2 learners are registered on {QUALIFICATION}.")
    nia = admin.get_by_role("row").filter(has_text="Nia Newcomer")
    expect(nia).to_have_count(1)
    # A sixth of the time gone and nothing evidenced yet: at risk, in words beside the colour.
    expect(nia).to_contain_text("0% done · At risk")
    assert (
        Portfolio.objects.filter(learner__email="nia@example.org", qualification_registration__isnull=False).count()
        == 3
    )

    # Each unit is in the registrations list, with its percentage and status.
    admin.goto("/centre/registrations/")
    rows = admin.get_by_role("row").filter(has_text="Omar Okafor")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Keep customer records")).to_contain_text("0% done · At risk")
    expect(rows.first).to_contain_text(QUALIFICATION)
    admin.get_by_text("How the percentage and colour are worked out").click()
    expect(admin.get_by_text("on track (green) when the percentage is at least that share")).to_be_visible()
    assert admin.problems == []


def test_a_learners_dashboard_shows_the_qualifications_progress(open_as, world, qualification):
    from assessments.centre.qualifications import qualification_register

    today = timezone.localdate()
    qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=today - datetime.timedelta(days=10),
        planned_end_date=today + datetime.timedelta(days=170),
    )
    learner = open_as(world.learner.email, phone=True)
    card = learner.locator(".qualification-progress")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(QUALIFICATION)
    # A eighteenth of the time gone and nothing evidenced: within the margin, so at risk rather than behind.
    expect(card).to_contain_text("0% done · At risk")
    expect(card).to_contain_text("1 more unit needed in group 2 (Optional units).")
    assert learner.problems == []


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("admin", "/centre/qualifications/"),
        ("admin", "register"),
        ("admin", "units"),
        ("admin", "/"),
        ("admin", "/centre/registrations/"),
        ("learner", "/"),
        ("assessor", "/"),
        ("iv", "/"),
    ],
)
def test_the_qualification_pages_have_no_wcag_violations(axe_page, world, qualification, persona, path):
    from assessments.centre.qualifications import qualification_register

    qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=world.portfolio.start_date,
        planned_end_date=world.portfolio.planned_end_date,
    )
    sign_in(axe_page, world.persona(persona).email)
    registration = QualificationRegistration.objects.get(learner=world.learner)
    pages = {
        "register": f"/centre/qualifications/{qualification.pk}/register/",
        "units": f"/centre/qualifications/registrations/{registration.pk}/units/",
    }
    axe_page.goto(pages.get(path, path))
    assert violations(axe_page) == []


@pytest.mark.parametrize("persona", ["assessor", "iv"])
def test_the_assessor_and_iv_see_each_units_qualification_on_a_phone(open_as, world, qualification, persona):
    from assessments.centre.qualifications import qualification_register

    qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=world.portfolio.start_date,
        planned_end_date=world.portfolio.planned_end_date,
        assessor=world.assessor,
        iv=world.iv,
    )
    page = open_as(world.persona(persona).email, phone=True)
    expect(page.get_by_text(f"{QUALIFICATION}, the whole qualification")).to_have_count(2)
    assert page.problems == []


def test_admin_adds_an_optional_unit_later_on_a_phone(open_as, world, qualification):
    from assessments.centre.qualifications import qualification_register

    qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=world.portfolio.start_date,
        planned_end_date=world.portfolio.planned_end_date,
    )
    admin = open_as(world.admin.email, phone=True)
    admin.goto("/centre/qualifications/")
    row = admin.get_by_role("row").filter(has_text="Lena Learner")
    expect(row).to_contain_text("1 more unit needed in group 2 (Optional units).")
    row.get_by_role("link", name="Add units for Lena Learner").click()
    admin.get_by_label("Unit 997: Keep customer records (test unit) (group 2, optional)").check()
    admin.get_by_role("button", name="Register on these units").click()
    said_once(admin, f"Lena Learner is registered on unit 997 of {QUALIFICATION}.")
    row = admin.get_by_role("row").filter(has_text="Lena Learner")
    expect(row).to_contain_text("Keep customer records (test unit)")
    expect(row).not_to_contain_text("more unit needed")
    assert admin.problems == []
