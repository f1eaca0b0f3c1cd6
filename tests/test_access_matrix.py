"""Who may open what: every view, every persona.

Rule: no link to the object gives 404; linked but in the wrong role gives 403;
anonymous visitors are sent to sign in. Add a row for every new view.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from people.models import Membership, Role
from tests.access_rows import assessor_records as access_assessor_records
from tests.access_rows import audit_trail as access_audit
from tests.access_rows import library as access_library
from tests.access_rows import notifications as access_notifications
from tests.access_rows import qualifications as access_qualifications
from tests.access_rows import reports as access_reports
from tests.access_rows import sampling as access_sampling
from tests.access_rows import signoff as access_signoff
from tests.access_rows import visits as access_visits
from tests.access_rows.rulebook import ASKS, expected_status
from tests.factories import external_verifier, member

PERSONAS = ["learner", "assessor", "iv", "ev", "admin", "outsider"]
STAFF_PAGE = {"admin": 200, "outsider": 200, "learner": 403, "assessor": 403, "iv": 403, "ev": 403}
# An object of the home centre: the outsider (admin elsewhere) has no link to it.
CENTRE_OBJECT = {"admin": 200, "outsider": 404, "learner": 403, "assessor": 403, "iv": 403, "ev": 403}
CENTRE_OBJECT_POST = {**CENTRE_OBJECT, "admin": 302}
EVERYONE = dict.fromkeys(PERSONAS, 200)
# A learner's portfolio: everyone linked to it may read; only its learner may change it.
PORTFOLIO_READ = {**dict.fromkeys(PERSONAS, 200), "outsider": 404}
PORTFOLIO_WRITE = {**dict.fromkeys(PERSONAS, 403), "learner": 200, "outsider": 404}
PORTFOLIO_WRITE_POST = {**PORTFOLIO_WRITE, "learner": 302}


def _evidence(world):
    from assessments.services import evidence_save
    from units.models import AssessmentMethod

    return evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Reflective account",
        method=AssessmentMethod.objects.get(code="RA"),
        activity_date=world.portfolio.start_date,
        setting="real_work",
    )


def _evidence_file(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.evidence.uploads import inspect_upload
    from assessments.services import evidence_save
    from tests import samples
    from units.models import AssessmentMethod

    evidence = evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Photo of the complaints log",
        method=AssessmentMethod.objects.get(code="PE"),
        activity_date=world.portfolio.start_date,
        setting="real_work",
        files=[inspect_upload(SimpleUploadedFile("log.png", samples.png()))],
    )
    return evidence.files.get()


def _assessor_record(world):
    from tests.assessor_records import observe

    return observe(world, criteria=("1.1",), title="Observation at the service desk")


def _url(world, name):
    objects = {
        "person": lambda: reverse("centre_person", args=[world.learner.pk]),
        "deactivate": lambda: reverse("centre_person_deactivate", args=[world.learner.pk]),
        "reactivate": lambda: reverse("centre_person_reactivate", args=[world.learner.pk]),
        "qualification": lambda: reverse(
            "centre_membership_qualification",
            args=[Membership.objects.get(user=world.assessor, role=Role.ASSESSOR).pk],
        ),
        "assign": lambda: reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        "identifiers": lambda: reverse("centre_portfolio_identifiers", args=[world.portfolio.pk]),
        "portable_import": lambda: reverse("portable_import", args=[world.portfolio.pk]),
        "unit": lambda: reverse("unit_detail", args=[world.portfolio.unit.slug]),
        "portfolio": lambda: reverse("portfolio_detail", args=[world.portfolio.pk]),
        "evidence_list": lambda: reverse("evidence_list", args=[world.portfolio.pk]),
        "evidence_add": lambda: reverse("evidence_add", args=[world.portfolio.pk]),
        "evidence_edit": lambda: reverse("evidence_edit", args=[_evidence(world).pk]),
        "evidence_delete_confirm": lambda: reverse("evidence_delete_confirm", args=[_evidence(world).pk]),
        "evidence_delete": lambda: reverse("evidence_delete", args=[_evidence(world).pk]),
        "witness_resend": lambda: reverse("witness_resend", args=[_witness_evidence(world).pk]),
        "file_download": lambda: reverse("file_download", args=[_evidence_file(world).pk]),
        "file_thumbnail": lambda: reverse("file_thumbnail", args=[_evidence_file(world).pk]),
        "evidence_detail": lambda: reverse("evidence_detail", args=[_evidence(world).pk]),
        "evidence_review": lambda: reverse("evidence_review", args=[_evidence(world).pk]),
        "evidence_feedback": lambda: reverse("evidence_feedback", args=[_evidence(world).pk]),
        "assessor_record_add": lambda: reverse("assessor_record_add", args=[world.portfolio.pk, "o"]),
        "assessor_record_edit": lambda: reverse("assessor_record_edit", args=[_assessor_record(world).pk]),
        "learner_edits_assessor_record": lambda: reverse("evidence_edit", args=[_assessor_record(world).pk]),
        "learner_deletes_assessor_record": lambda: reverse("evidence_delete", args=[_assessor_record(world).pk]),
    }
    if name in objects:
        return objects[name]()
    return MORE_URLS[name](world) if name in MORE_URLS else reverse(name)


MATRIX = [
    ("home", "get", EVERYONE),
    ("unit_list", "get", EVERYONE),
    ("unit", "get", EVERYONE),
    ("password_change", "get", EVERYONE),
    ("centre_people", "get", STAFF_PAGE),
    ("centre_person_add", "get", STAFF_PAGE),
    ("person", "get", CENTRE_OBJECT),
    ("deactivate", "post", CENTRE_OBJECT_POST),
    ("reactivate", "post", CENTRE_OBJECT_POST),
    ("qualification", "post", CENTRE_OBJECT_POST),
    ("centre_portfolios", "get", STAFF_PAGE),
    ("centre_portfolio_register", "get", STAFF_PAGE),
    ("centre_learner_import", "get", STAFF_PAGE),
    ("centre_sufficiency", "get", STAFF_PAGE),
    ("centre_claims", "get", STAFF_PAGE),
    ("centre_claims_csv", "get", STAFF_PAGE),
    ("centre_claims_mark", "post", {**STAFF_PAGE, "admin": 302, "outsider": 302}),
    ("identifiers", "get", CENTRE_OBJECT),
    ("identifiers", "post", CENTRE_OBJECT),
    ("assign", "get", CENTRE_OBJECT),
    ("portable_import", "get", CENTRE_OBJECT),
    ("portable_import", "post", CENTRE_OBJECT),
    ("portfolio", "get", PORTFOLIO_READ),
    ("evidence_list", "get", PORTFOLIO_READ),
    ("evidence_add", "get", PORTFOLIO_WRITE),
    ("evidence_edit", "get", PORTFOLIO_WRITE),
    ("evidence_delete_confirm", "get", PORTFOLIO_WRITE),
    ("evidence_delete", "post", PORTFOLIO_WRITE_POST),
    # Files: everyone linked may read; everyone else gets 404, whatever their role.
    ("file_download", "get", PORTFOLIO_READ),
    ("file_thumbnail", "get", PORTFOLIO_READ),
]

# Witness testimony: only the learner may send the witness a new link. The witness's own page needs no sign-in
# and is tested at the end of this file.
MATRIX += [("witness_resend", "post", PORTFOLIO_WRITE_POST)]

# The assessor's review: everyone linked reads an item, its verdicts and its feedback thread; only the learner's
# assessor judges it or makes their own records (O, Q, PD); learner and assessor write in the thread; nobody
# changes the assessor's records through the learner's pages. An empty POST gets the form back with its errors.
ASSESSOR_ONLY = {**dict.fromkeys(PERSONAS, 403), "assessor": 200, "outsider": 404}
THREAD_WRITE = {**ASSESSOR_ONLY, "learner": 200}
NOBODY = {**dict.fromkeys(PERSONAS, 403), "outsider": 404}
MATRIX += [
    ("evidence_detail", "get", PORTFOLIO_READ),
    ("evidence_review", "get", ASSESSOR_ONLY),
    ("evidence_review", "post", ASSESSOR_ONLY),
    ("evidence_feedback", "post", THREAD_WRITE),
    ("assessor_record_add", "get", ASSESSOR_ONLY),
    ("assessor_record_add", "post", ASSESSOR_ONLY),
    ("assessor_record_edit", "get", ASSESSOR_ONLY),
    ("learner_edits_assessor_record", "get", NOBODY),
    ("learner_deletes_assessor_record", "post", NOBODY),
]

# URLs that need an object made first, for the blocks below: name -> function of the world.
MORE_URLS = {}


# The sign-off, the unit's history and its record PDF: tests/access_rows/signoff.py, each action's row with the unit in
# the state the action needs.


# The assessment plan: everyone linked reads it; only the learner's assessor adds, changes and deletes its actions
# (a post with nothing filled in shows the form again); the learner and the assessor agree to it.
def _plan_action(world):
    import datetime

    from django.utils import timezone

    from assessments.services import plan_action_add
    from units.models import AssessmentMethod, Criterion

    return plan_action_add(
        actor=world.assessor,
        portfolio=world.portfolio,
        description="Observe a complaint at the counter",
        method=AssessmentMethod.objects.get(code="O"),
        criteria=[Criterion.objects.get(outcome__unit=world.portfolio.unit, outcome__number=2, number=1)],
        due_date=timezone.localdate() + datetime.timedelta(days=14),
    )


PLAN_CHANGE = {**dict.fromkeys(PERSONAS, 403), "assessor": 200, "outsider": 404}
PLAN_CHANGE_POST = {**PLAN_CHANGE, "assessor": 302}
PLAN_AGREE_POST = {**PLAN_CHANGE_POST, "learner": 302}
MORE_URLS.update(
    {
        "plan": lambda w: reverse("plan_detail", args=[w.portfolio.pk]),
        "plan_action_add_post": lambda w: reverse("plan_action_add", args=[w.portfolio.pk]),
        "plan_action_add": lambda w: reverse("plan_action_add", args=[w.portfolio.pk]),
        "plan_action_edit": lambda w: reverse("plan_action_edit", args=[_plan_action(w).pk]),
        "plan_action_edit_post": lambda w: reverse("plan_action_edit", args=[_plan_action(w).pk]),
        "plan_action_delete_confirm": lambda w: reverse("plan_action_delete_confirm", args=[_plan_action(w).pk]),
        "plan_action_delete": lambda w: reverse("plan_action_delete", args=[_plan_action(w).pk]),
        "plan_agree": lambda w: (_plan_action(w), reverse("plan_agree", args=[w.portfolio.pk]))[1],
    }
)
MATRIX += [
    ("plan", "get", PORTFOLIO_READ),
    ("plan_action_add", "get", PLAN_CHANGE),
    ("plan_action_add_post", "post", PLAN_CHANGE),
    ("plan_action_edit", "get", PLAN_CHANGE),
    ("plan_action_edit_post", "post", PLAN_CHANGE),
    ("plan_action_delete_confirm", "get", PLAN_CHANGE),
    ("plan_action_delete", "post", PLAN_CHANGE_POST),
    ("plan_agree", "post", PLAN_AGREE_POST),
]

# Checking a record code is public, so those pages are tested for anonymous visitors too, at the end of this file.
MORE_URLS.update(
    {
        "record_verify_code": lambda w: (
            access_signoff.learner_signature(w),
            reverse("record_verify_code", args=[w.portfolio.record_codes.get().code]),
        )[1],
    }
)


# Exports: the cohort page is for admins (each sees their own centre's). One learner's export page, and an export
# with its progress and download, are objects of the home centre: its admins only; everyone else linked to the
# centre, the EV included, gets 403. The export here is an admin's cohort export, built so there is a file. Starting
# an empty cohort export exports every registration (the outsider's centre has none, so they get the page back with
# why); an empty learner start and a retry of a finished export come back with a message. A learner's own portable
# portfolio is in exports/tests/test_views.py.
def _built_cohort_export(world):
    from exports.models import ExportKind
    from exports.services import export_build, export_request

    export = export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=ExportKind.COHORT,
        portfolios=[world.portfolio],
        description="Cohort: every registration (1 registration)",
    )
    export_build(str(export.pk))
    return export


MORE_URLS.update(
    {
        "export_learner": lambda w: reverse("export_learner", args=[w.learner.pk]),
        "export_learner_start": lambda w: reverse("export_learner_start", args=[w.learner.pk]),
        "export_detail": lambda w: reverse("export_detail", args=[_built_cohort_export(w).pk]),
        "export_progress": lambda w: reverse("export_progress", args=[_built_cohort_export(w).pk]),
        "export_download": lambda w: reverse("export_download", args=[_built_cohort_export(w).pk]),
        "export_retry": lambda w: reverse("export_retry", args=[_built_cohort_export(w).pk]),
    }
)
MATRIX += [
    ("export_list", "get", STAFF_PAGE),
    ("export_cohort_start", "post", {**STAFF_PAGE, "admin": 302}),
    ("export_learner", "get", CENTRE_OBJECT),
    ("export_learner_start", "post", CENTRE_OBJECT_POST),
    ("export_mine_start", "post", {**dict.fromkeys(PERSONAS, 403), "learner": 302}),
    ("export_detail", "get", CENTRE_OBJECT),
    ("export_progress", "get", CENTRE_OBJECT),
    ("export_download", "get", CENTRE_OBJECT),
    ("export_retry", "post", CENTRE_OBJECT_POST),
]

# Signed in, anyone: the password-changed page, switching role (to one they hold, or told they do not) and
# signing out.
MATRIX += [
    ("password_change_done", "get", EVERYONE),
    ("role_switch", "post", dict.fromkeys(PERSONAS, 302)),
    ("logout", "post", dict.fromkeys(PERSONAS, 302)),
]

# Rows for the quality assurance views live beside each other in tests/access_rows/, one module per area.
for _rows in (
    access_signoff,
    access_sampling,
    access_reports,
    access_visits,
    access_audit,
    access_notifications,
    access_qualifications,
    access_assessor_records,
    access_library,
):
    MORE_URLS.update(_rows.MORE_URLS)
    MATRIX += _rows.MATRIX

CASES = [
    pytest.param(persona, name, method, expected[persona], id=f"{name}-{persona}")
    for name, method, expected in MATRIX
    for persona in PERSONAS
]


@pytest.mark.parametrize(("persona", "name", "method", "expected"), CASES)
def test_persona_gets_expected_status(client, world, persona, name, method, expected):
    user = world.persona(persona)
    url = _url(world, name)
    if (name, method) in ASKS:
        # The policy's answer is what the view must give; the status written by hand beside the row agrees.
        asked = expected_status(ASKS[name, method], user, url)
        assert asked == expected, f"the policy says {asked}, the matrix {expected}"
    client.force_login(user)
    response = getattr(client, method)(url)
    assert response.status_code == expected


# The modules whose views ask a policy of their object; each of their views has its rows asked of the policy
# (tests/access_rows/rulebook.py), or is here with the rule it follows instead.
POLICY_VIEWS = (
    "assessments.evidence.views.",
    "assessments.judgement.views.",
    "assessments.signoff.views.",
    "assessments.records.views.",
    "quality.views.",
    "exports.views",
)
ROLE_PAGE = "a page of the active role (people.access.require_role)"
CENTRE_ADMINS = "an object of the centre for its admins (people.access.require_centre_admin)"
ALLOCATED_EV = "the allocated EV's centre (people.access.get_allocated_centre)"
NOT_ASKED = {
    **dict.fromkeys(
        [
            "action_list",
            "centre_audit",
            "centre_audit_csv",
            "ev_visit_list",
            "ev_visit_new",
            "export_list",
            "export_cohort_start",
            "export_mine_start",
            "sampling_overview",
            "sampling_plan_new",
            "sampling_policy",
        ],
        ROLE_PAGE,
    ),
    **dict.fromkeys(["ev_visit_edit", "ev_visit_cancel", "export_learner", "export_learner_start"], CENTRE_ADMINS),
    "portable_import": CENTRE_ADMINS,
    **dict.fromkeys(["ev_centre", "ev_centre_audit", "ev_centre_audit_csv"], ALLOCATED_EV),
    "file_download": "anyone linked reads it (assessments.access.get_evidence_file_for_user)",
    "file_thumbnail": "anyone linked reads it (assessments.access.get_evidence_file_for_user)",
    "witness_respond": "the witness's single-use link, no sign-in",
    "signoff": "anyone linked reads it (assessments.access.get_portfolio_for_user); its buttons ask the policy",
    **dict.fromkeys(["record_verify", "record_verify_code"], "public: anyone checks a record code"),
}


def test_every_view_that_asks_a_policy_has_its_rows_asked_of_it(world):
    from urllib.parse import urlparse

    from django.db import transaction
    from django.urls import resolve

    rows = {(name, method) for name, method, _ in MATRIX}
    assert set(ASKS) <= rows, f"Questions to a policy with no row: {sorted(set(ASKS) - rows)}"
    asked = set()
    for name, _ in ASKS:
        with transaction.atomic():
            url = _url(world, name)
            transaction.set_rollback(True)
        asked.add(resolve(urlparse(url).path).url_name)
    views = {name for name, view in _named_views().items() if view.startswith(POLICY_VIEWS)}
    missing = views - asked - set(NOT_ASKED)
    assert not missing, "Views that ask a policy but whose rows do not: " + ", ".join(sorted(missing))
    assert not asked & set(NOT_ASKED)


@pytest.mark.parametrize("name", sorted(access_signoff.DUE))
def test_each_signoff_row_puts_the_unit_in_the_state_its_action_needs(world, name):
    # Those the row expects to be let through are allowed by the policy outright, not refused on the page: the
    # row takes the action's real path.
    from urllib.parse import urlparse

    from django.urls import resolve

    kwargs = resolve(urlparse(_url(world, name)).path).kwargs
    allowed = {p for p in PERSONAS if ASKS[name, "post"][0].decision(world.persona(p), kwargs)}
    assert allowed == access_signoff.DUE[name]


@pytest.mark.parametrize(("name", "method"), [(name, method) for name, method, _ in MATRIX])
def test_anonymous_visitor_is_sent_to_sign_in(client, world, name, method):
    response = getattr(client, method)(_url(world, name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["person", "assign"])
def test_admin_of_home_centre_acting_in_another_role_gets_403(client, world, name):
    # Linked to the centre as its admin, but acting as a learner right now.
    Membership.objects.create(user=world.admin, centre=world.centre, role=Role.LEARNER)
    client.force_login(world.admin)
    client.post(reverse("role_switch"), {"role": f"m{Membership.objects.get(user=world.admin, role=Role.LEARNER).pk}"})
    assert client.get(_url(world, name)).status_code == 403


def test_outsider_lists_only_their_own_centre(client, world):
    client.force_login(world.outsider)
    people = client.get(reverse("centre_people")).content.decode()
    registrations = client.get(reverse("centre_portfolios")).content.decode()
    assert "Lena Learner" not in people and "Asha Assessor" not in people
    assert "Otto Outsider" in people
    assert "Lena Learner" not in registrations


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.IV])
@pytest.mark.parametrize("name", ["portfolio", "evidence_list", "evidence_edit", "file_download", "file_thumbnail"])
def test_people_at_the_same_centre_not_linked_to_the_portfolio_get_404(client, world, role, name):
    # Another learner, an assessor of other learners, an IV of other assessors.
    client.force_login(member(world.centre, role))
    assert client.get(_url(world, name)).status_code == 404


@pytest.mark.parametrize("name", ["portfolio", "file_download"])
def test_ev_of_another_awarding_body_gets_404(client, world, name):
    client.force_login(external_verifier(world.centre, body_code="OCR"))
    assert client.get(_url(world, name)).status_code == 404


@pytest.mark.parametrize("name", ["portfolio", "file_download"])
def test_ev_whose_allocation_to_the_centre_ended_gets_404(client, world, name):
    from people.models import EVAllocation

    EVAllocation.objects.filter(external_verifier__user=world.ev).update(is_active=False)
    client.force_login(world.ev)
    assert client.get(_url(world, name)).status_code == 404


def _witness_evidence(world):
    from assessments.services import evidence_save
    from units.models import AssessmentMethod

    return evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Witness testimony from the shift manager",
        method=AssessmentMethod.objects.get(code="WT"),
        activity_date=world.portfolio.start_date,
        setting="real_work",
        witness_name="Sam Supervisor",
        witness_email="sam@shop.example",
        witness_statement="I saw Lena calm an angry customer.",
    )


def test_anonymous_visitor_opens_a_valid_witness_link_but_nothing_else(client, world):
    from assessments.services import witness_request_send

    evidence = _witness_evidence(world)
    token = witness_request_send(actor=world.learner, evidence=evidence).token
    assert client.get(reverse("witness_respond", args=[token])).status_code == 200
    for name in ["portfolio", "evidence_list", "evidence_edit", "evidence_delete_confirm"]:
        response = client.get(_url(world, name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
    response = client.post(reverse("witness_resend", args=[evidence.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Public pages: no sign-in, and the same answer for every persona and for anonymous visitors.
PUBLIC = [("record_verify", "get"), ("record_verify_code", "get")]
# Resetting a forgotten password needs no sign-in either (a link with a wrong token says so on a 200 page).
PUBLIC += [
    ("password_reset", "get"),
    ("password_reset_done", "get"),
    ("password_reset_confirm", "get"),
    ("password_reset_complete", "get"),
]
MORE_URLS["password_reset_confirm"] = lambda w: reverse("password_reset_confirm", args=["MQ", "not-a-token"])
# The health checks answer load balancers and monitoring, signed in or not (tests/test_health.py has the rest).
PUBLIC += [("healthz", "get"), ("readyz", "get")]


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
@pytest.mark.parametrize(("name", "method"), PUBLIC)
def test_public_page_opens_for_every_persona_and_anonymous(client, world, persona, name, method):
    if persona != "anonymous":
        client.force_login(world.persona(persona))
    response = getattr(client, method)(_url(world, name))
    assert response.status_code == 200


# Quality assurance: the refusals the matrix rows cannot show with the six personas.
def _visit_for(world, ev_user, *, days_ago_ended: int | None = None):
    import datetime

    from django.utils import timezone

    from quality.models import EVVisit

    today = timezone.localdate()
    if days_ago_ended is None:
        starts, ends = today, today + datetime.timedelta(days=1)
    else:
        starts = today - datetime.timedelta(days=days_ago_ended + 2)
        ends = today - datetime.timedelta(days=days_ago_ended)
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=ev_user.ev_roles.get(),
        starts_on=starts,
        ends_on=ends,
        created_by=world.admin,
    )
    visit.sample.add(world.portfolio)
    return visit


@pytest.mark.parametrize(
    ("name", "ended", "expected"),
    [
        ("portfolio", False, 200),
        ("file_download", False, 200),
        ("record_pdf", False, 200),
        ("portfolio", True, 404),
        ("file_download", True, 404),
        ("record_pdf", True, 404),
        ("evidence_list", True, 404),
    ],
)
def test_ev_on_a_visit_reads_the_sample_only_while_the_visit_is_open(client, world, name, ended, expected):
    visiting = external_verifier(None, full_name="Vera Visiting")
    _visit_for(world, visiting, days_ago_ended=1 if ended else None)
    client.force_login(visiting)
    assert client.get(_url(world, name)).status_code == expected


@pytest.mark.parametrize("name", ["ev_visit_detail", "visit_audit", "visit_audit_csv"])
def test_ev_after_their_visit_ended_is_refused_the_visit_pages(client, world, name):
    visiting = external_verifier(None, full_name="Vera Visiting")
    visit = _visit_for(world, visiting, days_ago_ended=1)
    client.force_login(visiting)
    response = client.get(reverse(name, args=[visit.pk]))
    assert response.status_code == 403
    assert "ended on" in response.content.decode()


def test_ev_on_a_visit_gets_404_outside_the_sample(client, world):
    from tests.factories import PortfolioFactory

    visiting = external_verifier(None, full_name="Vera Visiting")
    _visit_for(world, visiting)
    outside = PortfolioFactory(centre=world.centre, assessor=world.assessor, iv=world.iv)
    client.force_login(visiting)
    assert client.get(reverse("portfolio_detail", args=[outside.pk])).status_code == 404
    assert client.get(reverse("ev_centre", args=[world.centre.pk])).status_code == 403


def test_iv_trying_to_sample_their_own_assessment_decisions_is_refused(client, world):
    import datetime

    from django.utils import timezone

    from people.models import Qualification
    from people.roles import SESSION_KEY
    from quality.models import SampleItem
    from quality.services.sampling import sampling_plan_create
    from tests.factories import PortfolioFactory

    # Assessor and IV at the centre, acting as IV, with a plan of their own; the unit is one they assessed.
    both = member(world.centre, Role.IV, user__full_name="Bea Both")
    Membership.objects.create(user=both, centre=world.centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED)
    theirs = PortfolioFactory(centre=world.centre, assessor=both, iv=world.iv)
    today = timezone.localdate()
    plan = sampling_plan_create(
        actor=both, centre=world.centre, title="Bea's plan", starts_on=today, ends_on=today + datetime.timedelta(30)
    )
    client.force_login(both)
    session = client.session
    session[SESSION_KEY] = f"m{Membership.objects.get(user=both, role=Role.IV).pk}"
    session.save()
    response = client.post(
        reverse("sample_unit_add", args=[plan.pk, theirs.pk]), {"stage": "summative", "planned_for": today}
    )
    assert response.status_code == 403
    assert "An internal verifier cannot verify their own assessment decisions." in response.content.decode()
    assert not SampleItem.objects.exists()
    # Nor may they write an IV report on it.
    assert client.get(reverse("iv_report_unit", args=[theirs.pk])).status_code == 403


# Every view has a row: the URL configuration is walked, and a named view of the project's apps that no row above
# reaches fails here, by name. Views whose rule the six personas cannot show are listed with where they are tested.
PROJECT_APPS = ("portfolio", "units", "people", "assessments", "quality", "exports", "audit", "notifications")
TESTED_ELSEWHERE = {
    "witness_respond": "the witness's single-use link, no sign-in: test_anonymous_visitor_opens_a_valid_witness_link",
    "login": "open signed out, sends the signed-in home: test_the_sign_in_page_is_for_people_signed_out",
    "dev_mail_list": "routed only with DEBUG on: tests/test_dev_mail.py",
    "dev_mail_detail": "routed only with DEBUG on: tests/test_dev_mail.py",
}


def _named_views() -> dict[str, str]:
    """Every named URL pattern whose view lives in one of the project's apps, with its view's dotted name."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, str] = {}

    def walk(patterns, namespace: str = "", ours: bool = False) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                # Ours when an app of the project routes it (Django's sign-in views included), not the admin site.
                conf = pattern.urlconf_name
                module = conf if isinstance(conf, str) else getattr(conf, "__name__", "")
                walk(
                    pattern.url_patterns,
                    f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace,
                    module.split(".")[0] in PROJECT_APPS,
                )
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and (ours or pattern.lookup_str.split(".")[0] in PROJECT_APPS)
            ):
                found[f"{namespace}{pattern.name}"] = pattern.lookup_str

    walk(get_resolver().url_patterns)
    return found


def test_every_view_of_the_project_has_a_row_in_the_matrix(world):
    from urllib.parse import urlparse

    from django.db import transaction
    from django.urls import resolve

    covered = set(TESTED_ELSEWHERE)
    for name in dict.fromkeys([row[0] for row in MATRIX] + [row[0] for row in PUBLIC]):
        # Each row's objects are made and undone again: only the URL's pattern matters here.
        with transaction.atomic():
            url = _url(world, name)
            transaction.set_rollback(True)
        match = resolve(urlparse(url).path)
        covered.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
    missing = {name: view for name, view in _named_views().items() if name not in covered}
    assert not missing, "Views without a row in the access matrix: " + ", ".join(
        f"{name} ({view})" for name, view in sorted(missing.items())
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_sign_in_page_is_for_people_signed_out(client, world, persona):
    assert client.get(reverse("login")).status_code == 200
    client.force_login(world.persona(persona))
    response = client.get(reverse("login"))
    assert (response.status_code, response.url) == (302, reverse("home"))
