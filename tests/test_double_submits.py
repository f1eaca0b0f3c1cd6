"""Every form that creates something takes one submission once: the same form sent twice (a double tap on a slow
phone) saves one of everything, and the repeat is sent where the first went with "That was already saved.".

Each form is read from its page and posted with its tokens by a client that enforces CSRF, as a browser does.
The mechanism itself, and two submissions at the same moment on PostgreSQL, are tested in tests/test_once.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence, EvidenceFile, Feedback, PlanAction, Portfolio
from assessments.signoff.services import unit_sign
from assessments.tests.test_centre_views import registration as registration_data
from assessments.tests.test_evidence_views import add
from assessments.tests.test_evidence_views import form_data as evidence_data
from assessments.tests.test_plan_views import form_data as plan_action_data
from assessments.tests.test_signoff import cover_everything, submit
from exports.models import Export, ExportKind
from people.models import Role, User
from quality.models import ActionPoint, EVFinding, EVVisit, IVReport, SampleItem, SamplingPlan
from quality.services.sampling import sampling_plan_create
from quality.tests.test_report_views import form_data as report_data
from quality.tests.test_reports import criterion_item
from quality.tests.test_visit_views import visit_form
from tests import samples
from tests.assessor_records import observation_post
from tests.factories import PASSWORD, external_verifier, member
from tests.submit import assert_second_sent_where_the_first_went, browser_client, post_twice

pytestmark = pytest.mark.django_db


def in_days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@dataclass
class Form:
    user: User
    page: str
    action: str
    data: Callable[[], dict]
    # What one submission makes, counted: the same after two.
    made: Callable[[], tuple[int, ...]]
    once: tuple[int, ...]


def evidence_with_a_file(world) -> Form:
    url = reverse("evidence_add", args=[world.portfolio.pk])
    return Form(
        world.learner,
        url,
        url,
        lambda: {**evidence_data(), "files": [SimpleUploadedFile("till.png", samples.png(), "image/png")]},
        lambda: (Evidence.objects.count(), EvidenceFile.objects.count()),
        (1, 1),
    )


def feedback(world) -> Form:
    item = add(world, criteria=["2.1"])
    return Form(
        world.assessor,
        reverse("evidence_detail", args=[item.pk]),
        reverse("evidence_feedback", args=[item.pk]),
        lambda: {"text": "Please say where this happened."},
        lambda: (Feedback.objects.count(),),
        (1,),
    )


def assessor_record(world) -> Form:
    url = reverse("assessor_record_add", args=[world.portfolio.pk, "o"])
    return Form(world.assessor, url, url, observation_post, lambda: (Evidence.objects.count(),), (1,))


def plan_action(world) -> Form:
    url = reverse("plan_action_add", args=[world.portfolio.pk])
    return Form(world.assessor, url, url, plan_action_data, lambda: (PlanAction.objects.count(),), (1,))


def _report_counts() -> tuple[int, ...]:
    return IVReport.objects.count(), ActionPoint.objects.count()


def iv_report_on_a_unit(world) -> Form:
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind="assessor", password=PASSWORD)
    url = reverse("iv_report_unit", args=[world.portfolio.pk])
    actions = [("Say where each observation happened.", timezone.localdate() + datetime.timedelta(days=14))]
    return Form(world.iv, url, url, lambda: report_data(agreement="disagree", actions=actions), _report_counts, (1, 1))


def iv_report_on_a_criterion(world) -> Form:
    item = criterion_item(world)
    url = reverse("iv_report_criterion", args=[item.pk])
    actions = [
        ("Ask for the date of each witness statement.", timezone.localdate() + datetime.timedelta(days=10)),
        ("Record where questioning took place.", timezone.localdate() + datetime.timedelta(days=20)),
    ]
    return Form(world.iv, url, url, lambda: report_data(actions=actions), _report_counts, (1, 2))


def sampling_plan(world) -> Form:
    url = reverse("sampling_plan_new")
    return Form(
        world.iv,
        url,
        url,
        lambda: {"title": "Spring term", "starts_on": in_days(0), "ends_on": in_days(60)},
        lambda: (SamplingPlan.objects.count(),),
        (1,),
    )


def unit_sample(world) -> Form:
    today = timezone.localdate()
    plan = sampling_plan_create(
        actor=world.iv, centre=world.centre, title="Spring", starts_on=today, ends_on=today + datetime.timedelta(30)
    )
    return Form(
        world.iv,
        reverse("sampling_overview") + f"?plan={plan.pk}",
        reverse("sample_unit_add", args=[plan.pk, world.portfolio.pk]),
        lambda: {"stage": "interim", "planned_for": in_days(7), "back": "overview"},
        lambda: (SampleItem.objects.count(),),
        (1,),
    )


def ev_findings(world) -> Form:
    url = reverse("ev_findings", args=[world.portfolio.pk])
    return Form(
        world.ev,
        url,
        url,
        lambda: {"agreement": "agree", "findings": "Sampled E1 to E4: sound decisions."},
        lambda: (EVFinding.objects.count(),),
        (1,),
    )


def ev_visit(world) -> Form:
    visiting = external_verifier(None, full_name="Vic Visitor", email="vic@example.org")
    url = reverse("ev_visit_new")
    return Form(
        world.admin,
        url,
        url,
        lambda: visit_form(world, visiting, [world.portfolio]),
        lambda: (EVVisit.objects.count(),),
        (1,),
    )


def cohort_export(world) -> Form:
    return Form(
        world.admin,
        reverse("export_list"),
        reverse("export_cohort_start"),
        lambda: {"scope": "all"},
        lambda: (Export.objects.count(),),
        (1,),
    )


def learner_export(world) -> Form:
    return Form(
        world.admin,
        reverse("export_learner", args=[world.learner.pk]),
        reverse("export_learner_start", args=[world.learner.pk]),
        lambda: {"kind": ExportKind.LEARNER},
        lambda: (Export.objects.count(),),
        (1,),
    )


def own_portfolio_export(world) -> Form:
    return Form(
        world.learner,
        reverse("home"),
        reverse("export_mine_start"),
        dict,
        lambda: (Export.objects.count(),),
        (1,),
    )


def new_person(world) -> Form:
    url = reverse("centre_person_add")
    return Form(
        world.admin,
        url,
        url,
        lambda: {"full_name": "Nia New", "email": "nia@example.org", "role": "learner", "qualification": ""},
        lambda: (User.objects.filter(email="nia@example.org").count(),),
        (1,),
    )


def registration(world) -> Form:
    newcomer = member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org")
    url = reverse("centre_portfolio_register")
    return Form(
        world.admin,
        url,
        url,
        lambda: registration_data(world, newcomer),
        lambda: (Portfolio.objects.filter(learner=newcomer).count(),),
        (1,),
    )


def qualification_cohort(world) -> Form:
    from assessments.models import QualificationRegistration
    from units.models import Qualification, QualificationUnit

    newcomer = member(world.centre, Role.LEARNER, user__full_name="Nia Newcomer", user__email="nia@example.org")
    qualification = Qualification.objects.get(slug="level-2-nvq-certificate-in-customer-service")
    url = reverse("centre_qualification_register", args=[qualification.pk])
    return Form(
        world.admin,
        url,
        url,
        lambda: {
            "learners": [newcomer.pk],
            f"number_{newcomer.pk}": "CG-0200",
            "start_date": in_days(0),
            "planned_end_date": in_days(180),
            "optional_units": [QualificationUnit.objects.get(group__qualification=qualification, number="220").pk],
        },
        lambda: (
            QualificationRegistration.objects.filter(learner=newcomer).count(),
            Portfolio.objects.filter(learner=newcomer).count(),
        ),
        (1, 1),
    )


FORMS = [
    evidence_with_a_file,
    feedback,
    assessor_record,
    plan_action,
    iv_report_on_a_unit,
    iv_report_on_a_criterion,
    sampling_plan,
    unit_sample,
    ev_findings,
    ev_visit,
    cohort_export,
    learner_export,
    own_portfolio_export,
    new_person,
    registration,
    qualification_cohort,
]


@pytest.mark.parametrize("make", FORMS, ids=lambda make: make.__name__)
def test_the_same_form_sent_twice_saves_once_and_the_repeat_is_told_so(world, make):
    form = make(world)
    client = browser_client(form.user)
    first, second = post_twice(client, form.page, form.action, form.data)
    assert form.made() == form.once
    assert_second_sent_where_the_first_went(client, first, second)
