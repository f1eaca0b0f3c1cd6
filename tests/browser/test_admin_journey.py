"""The centre admin's journey in a real browser, every form submitted the way an admin would: people and their
roles, registrations by hand and from a CSV file, the sampling policy, an EV visit prepared, changed and cancelled,
the audit trail filtered and downloaded, and a cohort export. After each form the admin sees what was saved, once."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio
from audit.models import AuditEvent
from exports.models import Export
from people.models import Membership, Qualification, Role
from quality.models import EVVisit, SamplingPolicy
from tests.browser.helpers import menu, said_once, uk
from tests.factories import PortfolioFactory, external_verifier, member
from units.models import UnitCode

pytestmark = pytest.mark.browser

UNIT = "Deliver customer service to difficult customers"


def _add_person(admin, name: str, email: str, role: str, qualification: str | None = None) -> None:
    admin.goto("/")
    admin.get_by_role("link", name="Add a person").click()
    admin.get_by_label("Full name").fill(name)
    admin.get_by_label("Email address").fill(email)
    admin.get_by_label("Role at this centre").select_option(label=role)
    if qualification:
        admin.get_by_label("Qualified or still qualifying").select_option(label=qualification)
    admin.get_by_role("button", name="Add and send email").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(name)


def test_admin_adds_a_person_in_each_role_changes_a_qualification_and_deactivates_then_reactivates(open_as, world):
    admin = open_as(world.admin.email)

    added = [
        ("Pat Pupil", "pat@example.org", "Learner", None, "a learner"),
        ("Quinn Qualifying", "quinn@example.org", "Assessor", "Still qualifying", "an assessor"),
        ("Ira Inspector", "ira@example.org", "Internal verifier", "Qualified", "an internal verifier"),
        ("Cleo Clerk", "cleo@example.org", "Centre admin", None, "a centre admin"),
    ]
    for name, email, role, qualification, article in added:
        _add_person(admin, name, email, role, qualification)
        said_once(admin, f"{name} is now {article} here. We have emailed {email}.")
        expect(admin.get_by_text("has not set a password yet")).to_be_visible()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(email for _, email, *_ in added)
    assert Membership.objects.get(user__email="quinn@example.org").qualification == Qualification.QUALIFYING

    # An assessor or IV with no word on their qualification is refused beside the field, and nothing is saved.
    admin.goto("/centre/people/add/")
    admin.get_by_label("Full name").fill("Una Unsure")
    admin.get_by_label("Email address").fill("una@example.org")
    admin.get_by_label("Role at this centre").select_option(label="Assessor")
    admin.get_by_role("button", name="Add and send email").click()
    expect(admin.get_by_text("Say whether this assessor or IV is qualified or still qualifying.")).to_be_visible()
    expect(admin.get_by_label("Full name")).to_have_value("Una Unsure")
    assert not Membership.objects.filter(user__email="una@example.org").exists()

    # Each new person is listed once, the still-qualifying assessor marked as such.
    menu(admin, "People")
    for name, email, *_ in added:
        row = admin.get_by_role("row").filter(has_text=email)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name=name)).to_be_visible()
    quinn_row = admin.get_by_role("row").filter(has_text="quinn@example.org")
    expect(quinn_row).to_contain_text("Assessor (qualifying)")

    # Quinn qualifies: the admin changes the status on Quinn's page.
    quinn_row.get_by_role("link", name="Quinn Qualifying").click()
    admin.get_by_label("Status as assessor").select_option(label="Qualified")
    admin.get_by_role("button", name="Save", exact=True).click()
    said_once(admin, "Saved: Quinn Qualifying as assessor.")
    expect(admin.get_by_label("Status as assessor")).to_have_value(Qualification.QUALIFIED)
    assert Membership.objects.get(user__email="quinn@example.org").qualification == Qualification.QUALIFIED

    # Quinn leaves, then comes back.
    admin.get_by_role("button", name="Deactivate at this centre").click()
    said_once(admin, "Quinn Qualifying no longer has a role at this centre.")
    expect(admin.get_by_text("deactivated", exact=True)).to_be_visible()
    assert not Membership.objects.get(user__email="quinn@example.org").is_active
    admin.get_by_role("link", name="All people").click()
    expect(admin.get_by_role("row").filter(has_text="quinn@example.org")).to_have_count(0)
    admin.get_by_label("Show", exact=True).select_option(label="Deactivated")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.get_by_role("row").filter(has_text="quinn@example.org")).to_have_count(1)
    admin.get_by_role("link", name="Quinn Qualifying").click()
    admin.get_by_role("button", name="Reactivate").click()
    said_once(admin, "Quinn Qualifying's roles at this centre are active again.")
    expect(admin.get_by_role("button", name="Deactivate at this centre")).to_be_visible()
    assert Membership.objects.get(user__email="quinn@example.org").is_active
    assert admin.problems == []


def test_admin_registers_assigns_and_imports_learners_on_a_phone(open_as, world):
    today = timezone.localdate()
    pat = member(world.centre, Role.LEARNER, user__full_name="Pat Pupil", user__email="pat@example.org")
    code = UnitCode.objects.select_related("awarding_body", "unit").get(awarding_body__code="CG")
    admin = open_as(world.admin.email, phone=True)

    # Pat is registered with no assessor or IV yet.
    admin.get_by_role("link", name="Register a learner").click()
    admin.get_by_role("combobox", name=re.compile("^Learner")).select_option(label="Pat Pupil (pat@example.org)")
    admin.get_by_label("Unit").select_option(label=f"{code.awarding_body.name} {code.code}: {UNIT}")
    admin.locator("#id_learner_number").fill("CG-0042")
    admin.get_by_label("Start date").fill(today.isoformat())
    admin.get_by_label("Planned end date").fill((today + datetime.timedelta(days=180)).isoformat())
    admin.get_by_role("button", name="Register").click()
    said_once(admin, f"Pat Pupil is registered on {UNIT}.")
    pat_row = admin.get_by_role("row").filter(has_text="Pat Pupil")
    expect(pat_row).to_have_count(1)
    expect(pat_row).to_contain_text("CG-0042")
    expect(pat_row.get_by_text("Not assigned")).to_have_count(2)

    # Then given an assessor and an IV.
    pat_row.get_by_role("link", name="Assign assessor and IV for Pat Pupil").click()
    admin.get_by_label("Assessor").select_option(label=f"Asha Assessor ({world.assessor.email})")
    admin.get_by_label("Internal verifier").select_option(label=f"Ivan Verifier ({world.iv.email})")
    admin.get_by_role("button", name="Save").click()
    said_once(admin, "Saved the assessor and IV for Pat Pupil.")
    pat_row = admin.get_by_role("row").filter(has_text="Pat Pupil")
    expect(pat_row).to_contain_text("Asha Assessor")
    expect(pat_row).to_contain_text("Ivan Verifier")
    registered = Portfolio.objects.get(learner=pat)
    assert (registered.assessor, registered.iv) == (world.assessor, world.iv)

    # Two new learners from a CSV file: one row is right, one names a unit that does not exist.
    start, end = uk(today), uk(today + datetime.timedelta(days=200))
    rows = [
        "email,full_name,learner_number,unit,start_date,planned_end_date,assessor_email,iv_email",
        f"nia@example.org,Nia Newcomer,CG-0100,{code.code},{start},{end},{world.assessor.email},{world.iv.email}",
        f"olu@example.org,Olu Oddunit,CG-0101,ZZ99,{start},{end},,",
    ]
    admin.goto("/")
    admin.get_by_role("link", name="Import learners").click()
    admin.get_by_label("CSV file of learners").set_input_files(
        [{"name": "autumn intake.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    admin.get_by_role("button", name="Import", exact=True).click()
    expect(admin.get_by_role("heading", name="Import report")).to_be_visible()
    expect(admin.get_by_role("status").filter(has_text="imported")).to_have_text("1 imported, 1 rejected.")
    rejected = admin.get_by_role("table").get_by_role("row").filter(has_text="Olu Oddunit")
    expect(rejected).to_have_count(1)
    expect(rejected.get_by_role("cell").first).to_have_text("3")
    nia = Portfolio.objects.get(learner__email="nia@example.org")
    assert (nia.assessor, nia.iv, nia.learner_number) == (world.assessor, world.iv, "CG-0100")
    assert not Portfolio.objects.filter(learner__email="olu@example.org").exists()
    assert [m.to for m in mail.outbox] == [["nia@example.org"]]

    menu(admin, "Registrations")
    expect(admin.get_by_role("row").filter(has_text="Nia Newcomer")).to_have_count(1)
    assert admin.problems == []


def test_admin_sets_the_policy_prepares_changes_and_cancels_a_visit_reads_the_audit_trail_and_exports(
    open_as, world, tmp_path
):
    today = timezone.localdate()
    omar = PortfolioFactory(
        centre=world.centre,
        learner=member(world.centre, Role.LEARNER, user__full_name="Omar Other"),
        assessor=world.assessor,
        iv=world.iv,
        learner_number="CG-0002",
    )
    vera = external_verifier(None, full_name="Vera Visiting", email="vera@awarding.example")
    admin = open_as(world.admin.email)

    # The sampling policy.
    admin.get_by_role("link", name="Sampling policy").click()
    rates = {
        "Assessor still qualifying": "100",
        "Assessor new to the centre": "50",
        "Assessor the IV disagreed with in the last year": "40",
        "Experienced assessor, no disagreements": "10",
        "An assessor counts as new for (months)": "6",
    }
    admin.get_by_label("Assessor still qualifying").fill("101")
    admin.get_by_role("button", name="Save the policy").click()
    expect(admin.get_by_text("The rate cannot be above 100%.")).to_have_count(1)
    expect(admin.get_by_label("Assessor still qualifying")).to_have_value("101")
    assert not SamplingPolicy.objects.exists()
    for label, value in rates.items():
        admin.get_by_label(label).fill(value)
    admin.get_by_role("button", name="Save the policy").click()
    said_once(admin, "Sampling policy saved. IVs' targets follow it from now on.")
    for label, value in rates.items():
        expect(admin.get_by_label(label)).to_have_value(value)
    expect(admin.get_by_text("Last changed by Ada Admin")).to_be_visible()
    policy = SamplingPolicy.objects.get()
    assert (policy.new_rate, policy.experienced_rate, policy.new_for_months) == (50, 10, 6)

    # An EV visit next week, sampling Lena's unit.
    first, last = today + datetime.timedelta(days=7), today + datetime.timedelta(days=8)
    admin.goto("/")
    admin.get_by_role("link", name="EV visits").click()
    admin.get_by_role("link", name="Prepare a visit").click()
    admin.get_by_label("External verifier").select_option(
        label=f"Vera Visiting (vera@awarding.example), {vera.ev_roles.get().awarding_body.name}"
    )
    admin.get_by_label("First day").fill(first.isoformat())
    admin.get_by_label("Last day").fill(last.isoformat())
    admin.get_by_label("Purpose and notes").fill("Annual centre visit.")
    admin.get_by_label(f"Sample Lena Learner, {UNIT}").check()
    admin.get_by_role("button", name="Prepare the visit").click()
    said_once(admin, "Visit prepared. Vera Visiting has been told.")
    expect(admin.locator(".lead")).to_contain_text(f"{uk(first)} to {uk(last)}")
    expect(admin.locator(".lead")).to_contain_text("Upcoming")
    sample = admin.locator("#sample-heading + *")
    expect(sample.get_by_role("row").filter(has_text="Lena Learner")).to_have_count(1)
    expect(sample).not_to_contain_text("Omar Other")
    visit = EVVisit.objects.get()

    # It moves by a day and samples Omar's unit instead.
    admin.get_by_role("link", name="Change the visit").click()
    admin.get_by_label("Last day").fill((last + datetime.timedelta(days=1)).isoformat())
    admin.get_by_label(f"Sample Lena Learner, {UNIT}").uncheck()
    admin.get_by_label(f"Sample Omar Other, {UNIT}").check()
    admin.get_by_role("button", name="Save the visit").click()
    said_once(admin, "Visit saved.")
    expect(admin.locator(".lead")).to_contain_text(f"{uk(first)} to {uk(last + datetime.timedelta(days=1))}")
    sample = admin.locator("#sample-heading + *")
    expect(sample.get_by_role("row").filter(has_text="Omar Other")).to_have_count(1)
    expect(sample).not_to_contain_text("Lena Learner")
    assert list(visit.sample.all()) == [omar]

    # Then it is called off.
    admin.get_by_role("button", name="Cancel the visit").click()
    said_once(admin, "Visit cancelled. The EV's access through it has ended.")
    cancelled = admin.get_by_role("region", name="Cancelled").get_by_role("row").filter(has_text="Vera Visiting")
    expect(cancelled).to_have_count(1)
    expect(cancelled).to_contain_text(f"{uk(first)} to {uk(last + datetime.timedelta(days=1))}Cancelled")
    visit.refresh_from_db()
    assert visit.cancelled_at is not None

    # The audit trail, filtered to the visit's changes, and the same rows downloaded.
    admin.goto("/")
    admin.get_by_role("link", name="Audit trail").click()
    actions = admin.get_by_label("Action")
    choices = actions.locator("option").all_inner_texts()
    assert {"EV visit prepared", "EV visit changed", "EV visit cancelled"} <= set(choices), choices
    assert not [c for c in choices if re.fullmatch(r"[a-z_]+\.[a-z_]+", c)], choices
    actions.select_option(label="EV visit cancelled")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.get_by_text("1 row match.")).to_be_visible()
    rows = admin.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("EV visit cancelled")
    with admin.expect_download() as info:
        admin.get_by_role("link", name=re.compile("^Download as CSV")).click()
    download = info.value
    assert re.fullmatch(r"audit-51001-.*\.csv", download.suggested_filename), download.suggested_filename
    saved = tmp_path / "trail.csv"
    download.save_as(saved)
    lines = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 2, lines
    assert "ev_visit.cancelled" in lines[1]
    assert AuditEvent.objects.filter(action="audit.exported", actor=world.admin).count() == 1

    # A cohort export of everything at the centre.
    menu(admin, "Exports")
    expect(admin.get_by_text("2 registrations match (every registration)")).to_be_visible()
    admin.get_by_role("button", name="Export all 2 matching").click()
    expect(admin.get_by_text("Your export has started. This page shows its progress.")).to_have_count(1)
    export = Export.objects.get()
    assert set(export.portfolios.all()) == {world.portfolio, omar}
    menu(admin, "Exports")
    expect(admin.locator("#recent-heading + *").get_by_role("row")).to_have_count(2)
    assert admin.problems == []
