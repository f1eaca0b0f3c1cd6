"""A learner, or a cohort at once, registered on a qualification and then on its units; the registrations lists and
the dashboards show each unit's and qualification's percentage and status, in the same queries at any size."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.centre.qualifications import cohort_register, qualification_register, qualification_units
from assessments.judgement.progress import RULE_IN_WORDS
from assessments.models import Portfolio, PortfolioStatus, QualificationRegistration
from assessments.tests.qualifications import made_qualification
from audit.models import AuditEvent
from people.models import Role
from tests.factories import PortfolioFactory, member, unit_next_version
from tests.pages import assert_one_layout
from units.models import Qualification, QualificationUnit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
START, END = TODAY - datetime.timedelta(days=10), TODAY + datetime.timedelta(days=170)


@pytest.fixture
def qualification(unit, second_unit, third_unit) -> Qualification:
    return made_qualification()


@pytest.fixture
def cohort(world):
    return [
        member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org"),
        member(world.centre, Role.LEARNER, user__full_name="Omar Okafor", user__email="omar@example.org"),
    ]


def optional(number: str) -> QualificationUnit:
    return QualificationUnit.objects.get(group__qualification__slug="test-qualification", number=number)


def register(world, qualification, cohort, **overrides):
    args = {
        "actor": world.admin,
        "centre": world.centre,
        "learners": [(learner, f"CG-{n:04d}") for n, learner in enumerate(cohort, start=100)],
        "qualification": qualification,
        "start_date": START,
        "planned_end_date": END,
        "optional_units": [optional("997")],
        "assessor": world.assessor,
        "iv": world.iv,
    }
    return cohort_register(**{**args, **overrides})


# The service ---------------------------------------------------------------------------------------------------------


def test_a_cohort_is_registered_on_the_qualification_its_mandatory_units_and_the_optional_one_chosen(
    world, qualification, cohort
):
    registrations = register(world, qualification, cohort)

    assert [r.learner for r in registrations] == cohort
    for registration, learner in zip(registrations, cohort, strict=True):
        units = Portfolio.objects.filter(qualification_registration=registration).order_by("unit__title")
        assert {p.unit.codes.get(awarding_body__code="CG").code for p in units} == {"220", "998", "997"}
        for portfolio in units:
            assert (portfolio.learner, portfolio.start_date, portfolio.planned_end_date) == (learner, START, END)
            assert (portfolio.assessor, portfolio.iv) == (world.assessor, world.iv)
            assert portfolio.awarding_body.code == "CG"
            assert portfolio.learner_number == registration.learner_number
    audited = AuditEvent.objects.filter(action="qualification.registered").order_by("pk")
    assert [e.data["units"] for e in audited] == [["220", "998", "997"]] * 2
    assert AuditEvent.objects.filter(action="portfolio.registered").count() == 6


def test_a_unit_not_loaded_in_the_library_cannot_be_chosen(world, qualification, cohort):
    with pytest.raises(ValidationError) as refused:
        register(world, qualification, cohort, optional_units=[optional("996")])
    assert refused.value.message_dict["optional_units"] == ["Unit 996 is not loaded in the library yet: load it first."]
    assert not QualificationRegistration.objects.exists()


def test_the_cohort_is_all_or_nothing_and_every_refusal_is_listed(world, qualification, cohort):
    register(world, qualification, cohort[:1])
    late = member(world.centre, Role.LEARNER, user__full_name="Pat Pupil")
    with pytest.raises(ValidationError) as refused:
        register(world, qualification, [cohort[0], late], learners=[(cohort[0], "CG-1"), (late, " ")])
    assert refused.value.message_dict["learners"] == [
        "Nia Newcomer is already registered on Test Certificate in Customer Service.",
        "Enter the learner number of Pat Pupil.",
    ]
    assert not QualificationRegistration.objects.filter(learner=late).exists()
    assert not Portfolio.objects.filter(learner=late).exists()


def test_a_unit_registered_before_joins_the_qualification_on_the_version_it_started_on(world, qualification, unit):
    # Lena's unit 220 began on the first version; the specification has changed since.
    newer = unit_next_version(unit)
    registration = qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=START,
        planned_end_date=END,
    )
    world.portfolio.refresh_from_db()
    assert world.portfolio.qualification_registration == registration
    assert world.portfolio.unit == unit
    assert Portfolio.objects.filter(learner=world.learner).count() == 2  # 220 joined, 998 new
    # A newcomer starts 220 on the newest version.
    nia = member(world.centre, Role.LEARNER)
    register(world, qualification, [nia], optional_units=[])
    assert Portfolio.objects.get(learner=nia, unit__family=unit.family_slug).unit == newer
    assert AuditEvent.objects.filter(action="qualification.registered").order_by("pk").first().data["joined"] == ["220"]


def test_the_qualifications_units_say_which_are_loaded_and_mandatory(qualification, django_assert_num_queries):
    with django_assert_num_queries(3):
        choices = qualification_units(qualification)
    assert [(c.unit.number, c.mandatory, c.code is not None) for c in choices] == [
        ("220", True, True),
        ("998", True, True),
        ("997", False, True),
        ("996", False, False),
    ]


# The pages -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def form_data(cohort, **overrides) -> dict:
    data = {
        "learners": [learner.pk for learner in cohort],
        **{f"number_{learner.pk}": f"CG-{learner.pk:04d}" for learner in cohort},
        "start_date": START.isoformat(),
        "planned_end_date": END.isoformat(),
        "optional_units": [optional("997").pk],
    }
    data.update(overrides)
    return data


def test_the_admin_registers_a_cohort_through_the_form(admin_client, world, qualification, cohort):
    url = reverse("centre_qualification_register", args=[qualification.pk])
    page = admin_client.get(url).content.decode()
    assert_one_layout(page)
    assert page.count('name="learners"') == 3  # Lena, Nia and Omar
    assert 'value="CG-0001"' in page  # Lena's number, as last entered
    assert "996 · group 2" not in page and "not loaded in the library yet" in page

    response = admin_client.post(url, form_data(cohort), follow=True)

    assert response.redirect_chain == [(reverse("centre_qualification_registrations"), 302)]
    assert "2 learners are registered on Test Certificate in Customer Service." in [
        str(m) for m in response.context["messages"]
    ]
    assert QualificationRegistration.objects.filter(learner__in=cohort).count() == 2
    listed = response.content.decode()
    assert listed.count(">Nia Newcomer<") == 1
    assert "0% done</span> · At risk" in listed or "0%<span" in listed


def test_a_refused_cohort_keeps_what_the_admin_entered(admin_client, world, qualification, cohort):
    url = reverse("centre_qualification_register", args=[qualification.pk])
    data = form_data(cohort, **{f"number_{cohort[1].pk}": ""})
    page = admin_client.post(url, data).content.decode()
    assert "Enter the learner number of Omar Okafor." in page
    assert f'id="learner-{cohort[0].pk}" checked' in page.replace("\n", "")
    assert f'value="CG-{cohort[0].pk:04d}"' in page
    assert not QualificationRegistration.objects.exists()


def test_nothing_ticked_is_refused_on_the_page(admin_client, qualification):
    url = reverse("centre_qualification_register", args=[qualification.pk])
    response = admin_client.post(url, {"start_date": START.isoformat(), "planned_end_date": END.isoformat()})
    assert response.status_code == 200
    assert "Choose at least one learner." in response.content.decode()


def test_the_registrations_list_shows_each_units_percentage_and_status_with_the_rule(admin_client, world):
    world.portfolio.status = PortfolioStatus.COMPLETE
    world.portfolio.save()
    page = admin_client.get(reverse("centre_portfolios")).content.decode()
    assert page.count("100%<span") == 1
    assert "rag-on-track" in page and "On track" in page
    assert RULE_IN_WORDS.split(".")[0] in page.replace("&#x27;", "'")


def _queries(client, url) -> int:
    client.get(url)  # once to warm what is kept between requests (the session's user, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "url_name", ["centre_portfolios", "centre_qualification_registrations", "home"], ids=["units", "quals", "dash"]
)
def test_the_admins_lists_take_the_same_queries_for_one_cohort_or_three(
    admin_client, world, qualification, url_name, django_assert_num_queries
):
    register(world, qualification, [member(world.centre, Role.LEARNER)])
    url = reverse(url_name)
    one = _queries(admin_client, url)
    register(world, qualification, [member(world.centre, Role.LEARNER) for _ in range(3)])
    with django_assert_num_queries(one):
        admin_client.get(url)


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv"])
def test_each_dashboard_takes_the_same_queries_for_one_unit_or_three(
    client, world, qualification, second_unit, third_unit, persona, django_assert_num_queries
):
    # Lena on the qualification with one unit, then with three; her assessor and IV see them all.
    registration = QualificationRegistration.objects.create(
        learner=world.learner,
        centre=world.centre,
        qualification=qualification,
        learner_number="CG-0001",
        start_date=START,
        planned_end_date=END,
    )
    Portfolio.objects.filter(pk=world.portfolio.pk).update(qualification_registration=registration)
    client.force_login(getattr(world, persona))
    one = _queries(client, reverse("home"))
    for unit in (second_unit, third_unit):
        PortfolioFactory(
            centre=world.centre,
            learner=world.learner,
            unit=unit,
            assessor=world.assessor,
            iv=world.iv,
            qualification_registration=registration,
        )
    with django_assert_num_queries(one):
        page = client.get(reverse("home")).content.decode()
    assert page.count('class="badge rag ') >= 3
    assert "How the percentage and colour are worked out" in page
    # The unit's qualification, with its own figures, beside each of its units (on the learner's, once).
    shown = page.count("Test Certificate in Customer Service, the whole qualification")
    assert shown == (0 if persona == "learner" else 3)
    assert page.count("qualification-progress") == (1 if persona == "learner" else 3)


def test_the_learners_dashboard_shows_the_qualifications_progress_and_what_its_rules_still_need(
    client, world, qualification
):
    qualification_register(
        actor=world.admin,
        centre=world.centre,
        learner=world.learner,
        learner_number="CG-0001",
        qualification=qualification,
        start_date=START,
        planned_end_date=END,
    )
    client.force_login(world.learner)
    page = client.get(reverse("home")).content.decode()
    assert_one_layout(page)
    assert page.count("Test Certificate in Customer Service") == 1
    assert "1 more unit needed in group 2 (Optional units)." in page


def test_the_cohort_page_offers_a_bounded_number_of_learners_found_by_name(
    admin_client, world, qualification, cohort, monkeypatch
):
    from assessments.centre import qualification_views

    register(world, qualification, cohort[:1])  # Nia is on it already: not offered again
    url = reverse("centre_qualification_register", args=[qualification.pk])
    page = admin_client.get(url).content.decode()
    assert f'id="learner-{cohort[0].pk}"' not in page
    assert page.count('name="learners"') == 2 and 'id="more-learners"' not in page

    monkeypatch.setattr(qualification_views, "LEARNERS_SHOWN", 1)
    page = admin_client.get(url).content.decode()
    assert page.count('name="learners"') == 1 and 'id="more-learners"' in page
    found = admin_client.get(url, {"q": "omar@"}).content.decode()
    assert found.count('name="learners"') == 1 and "Omar Okafor" in found

    # A learner not offered on the page cannot be posted in.
    data = form_data([cohort[1]], learners=[cohort[1].pk, world.learner.pk])
    response = admin_client.post(url + "?q=omar", data)
    assert response.status_code == 200
    assert not QualificationRegistration.objects.filter(learner=cohort[1]).exists()


# The learners' CSV file ----------------------------------------------------------------------------------------------


def test_a_csv_file_registers_learners_on_a_qualification_line_by_line(world, qualification):
    from assessments.centre.imports import learners_import

    start, end = START.strftime("%d/%m/%Y"), END.strftime("%d/%m/%Y")
    certificate = "Test Certificate in Customer Service"
    header = "email,full_name,learner_number,unit,start_date,planned_end_date,assessor_email,iv_email,qualification"
    lines = [
        # Nia's first line registers her on the qualification and its mandatory units (220 and 998)...
        f"nia@example.org,Nia Newcomer,CG-0300,220,{start},{end},{world.assessor.email},,{certificate}",
        # ...her second adds the optional unit 997 under it...
        f"nia@example.org,Nia Newcomer,CG-0300,997,{start},{end},,,test-qualification",
        # ...and a unit numbered by another awarding body, or a qualification not loaded, is refused by its line.
        f"nia@example.org,Nia Newcomer,CG-0300,T98,{start},{end},,,{certificate}",
        f"omar@example.org,Omar Okafor,CG-0301,220,{start},{end},,,No Such Certificate",
    ]
    report = learners_import(actor=world.admin, centre=world.centre, data="\n".join([header, *lines]).encode())

    assert [r.line for r in report.imported] == [2, 3]
    assert {r.line: r.errors for r in report.rejected} == {
        4: ["Unit OCR T98 is not a unit of Test Certificate in Customer Service."],
        5: ["No qualification is called “No Such Certificate”."],
    }
    registration = QualificationRegistration.objects.get(learner__email="nia@example.org")
    numbers = sorted(p.unit_code.code for p in registration.portfolios.select_related("awarding_body"))
    assert numbers == ["220", "997", "998"]
    assert registration.portfolios.filter(assessor=world.assessor).count() == 2  # the first line's units


def test_a_changed_qualification_in_use_is_a_new_version_and_registrations_keep_theirs(world, qualification, cohort):
    from units.library.documents import dumps, qualification_document
    from units.library.importing import library_import

    [registration] = register(world, qualification, cohort[:1])
    document = qualification_document(qualification)
    document["total_minimum_credits"] = 20
    result = library_import(text=dumps(document))

    assert result.action == "new version"
    assert "1 qualification registration" in result.used_by
    registration.refresh_from_db()
    assert registration.qualification == qualification
    assert Qualification.objects.get(pk=qualification.pk).total_minimum_credits is None


def test_the_admins_dashboard_lists_the_qualifications_ending_soonest(admin_client, world, qualification, monkeypatch):
    from assessments.dashboards import views as dashboards

    def on(learner_name: str, ends: datetime.date) -> None:
        learner = member(world.centre, Role.LEARNER, user__full_name=learner_name)
        register(world, qualification, [learner], optional_units=[], start_date=ends - datetime.timedelta(days=200))
        QualificationRegistration.objects.filter(learner=learner).update(planned_end_date=ends)

    on("Long Ago", TODAY - datetime.timedelta(days=91))
    on("Last Month", TODAY - datetime.timedelta(days=30))
    on("Next Year", TODAY + datetime.timedelta(days=365))
    on("Next Week", TODAY + datetime.timedelta(days=7))
    monkeypatch.setattr(dashboards, "ENDING_SHOWN", 2)
    page = admin_client.get(reverse("home")).content.decode()
    listed = page[page.index('id="ending"') :]
    assert "Long Ago" not in listed and "Next Year" not in listed
    assert listed.index("Last Month") < listed.index("Next Week")
    assert "Behind" in listed  # last month's ended unfinished


# More units later ----------------------------------------------------------------------------------------------------


def test_units_chosen_later_join_the_qualification_on_its_dates(admin_client, world, qualification, cohort):
    from assessments.centre.qualifications import qualification_units_add

    [registration] = register(world, qualification, cohort[:1], optional_units=[])
    url = reverse("centre_qualification_units_add", args=[registration.pk])
    page = admin_client.get(url).content.decode()
    assert_one_layout(page)
    assert "Unit 997: Keep customer records (test unit) (group 2, optional)" in page
    assert "Unit 220" not in page and "Unit 996" not in page  # registered already; not loaded

    # A form sent with nothing ticked (an empty post) is refused, not taken for the page opened again.
    refused = admin_client.post(url, {})
    assert "This field is required." in refused.content.decode()
    response = admin_client.post(url, {"units": [optional("997").pk], "assessor": world.assessor.pk}, follow=True)
    assert "Nia Newcomer is registered on unit 997 of Test Certificate in Customer Service." in [
        str(m) for m in response.context["messages"]
    ]
    added = registration.portfolios.get(unit__codes__code="997")
    assert (added.start_date, added.planned_end_date, added.learner_number) == (START, END, "CG-0100")
    assert added.assessor == world.assessor
    assert AuditEvent.objects.filter(action="qualification.units_added", data__units=["997"]).count() == 1
    # Once on every loaded unit, the page says so; a unit already on is refused by the service too.
    assert 'id="no-units"' in admin_client.get(url).content.decode()
    with pytest.raises(ValidationError, match="already on unit 997"):
        qualification_units_add(actor=world.admin, registration=registration, units=[optional("997")])
