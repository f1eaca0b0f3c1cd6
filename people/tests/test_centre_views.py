"""Centre admin managing people: adding, deactivating, reactivating, qualification, the people list."""

from __future__ import annotations

import html
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from people import services
from people.models import Membership, Qualification, Role, User, UserManager
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Plinth-Harbour-2931"


def error_beside(response, field: str) -> str:
    """The text of the error crispy renders under `field`, or "" when there is none."""
    page = response.content.decode()
    found = re.search(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def add_person(client, capture, **data):
    with capture(execute=True):
        return client.post(reverse("centre_person_add"), data)


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


# Adding a person ---------------------------------------------------------------------------------------------------


def test_adding_new_email_creates_account_without_password_and_membership(
    admin_client, world, django_capture_on_commit_callbacks
):
    response = add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Nina New",
        email="Nina.New@Example.org",
        role="learner",
        qualification="",
    )

    user = User.objects.get(email="nina.new@example.org")
    assert response.status_code == 302
    assert response.url == reverse("centre_person", args=[user.pk])
    assert user.full_name == "Nina New"
    assert not user.has_usable_password()
    assert user.is_active
    membership = Membership.objects.get(user=user)
    assert (membership.centre, membership.role, membership.qualification, membership.is_active) == (
        world.centre,
        Role.LEARNER,
        "",
        True,
    )
    page = admin_client.get(response.url)
    assert "Nina New is now a learner here. We have emailed nina.new@example.org." in messages_of(page)


def test_adding_new_person_emails_one_working_set_password_link(
    admin_client, client, world, django_capture_on_commit_callbacks
):
    add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Nina New",
        email="nina.new@example.org",
        role="learner",
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina.new@example.org"]
    assert "Set your password" in message.subject
    links = re.findall(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body)
    assert len(links) == 1

    client.logout()
    landing = client.get(links[0], follow=True)
    assert landing.status_code == 200
    assert landing.context["validlink"] is True
    assert "Set your password" in landing.content.decode()
    form_path = landing.redirect_chain[-1][0] if landing.redirect_chain else links[0]
    done = client.post(urlsplit(form_path).path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    user = User.objects.get(email="nina.new@example.org")
    assert user.check_password(NEW_PASSWORD)

    # The link works once.
    again = client.get(links[0], follow=True)
    assert again.context["validlink"] is False


def test_adding_person_from_other_centre_gives_role_and_keeps_name_and_password(
    admin_client, world, django_capture_on_commit_callbacks
):
    elsewhere = member(
        world.other_centre, Role.ASSESSOR, user__full_name="Sam Elsewhere", user__email="sam@example.org"
    )

    response = add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Somebody Else Entirely",
        email="SAM@example.org",
        role="assessor",
        qualification="qualifying",
    )

    assert response.status_code == 302
    assert User.objects.filter(email__iexact="sam@example.org").count() == 1
    elsewhere.refresh_from_db()
    assert elsewhere.full_name == "Sam Elsewhere"
    assert elsewhere.check_password(PASSWORD)
    here = Membership.objects.get(user=elsewhere, centre=world.centre)
    assert (here.role, here.qualification, here.is_active) == (Role.ASSESSOR, Qualification.QUALIFYING, True)
    assert Membership.objects.get(user=elsewhere, centre=world.other_centre).is_active
    # They already have a password: the email says to sign in as usual, with no set-password link.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.org"]
    assert mail.outbox[0].subject.endswith("assessor at Northgate Training")
    assert "/accounts/password/reset/" not in mail.outbox[0].body


def test_welcome_email_to_existing_account_uses_right_article(admin_client, world, django_capture_on_commit_callbacks):
    member(world.other_centre, Role.LEARNER, user__email="sam@example.org")

    add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Sam",
        email="sam@example.org",
        role="iv",
        qualification="qualified",
    )

    assert mail.outbox[0].subject == "You are now an internal verifier at Northgate Training"


def test_adding_same_role_twice_shows_error_beside_email_and_creates_nothing(
    admin_client, world, django_capture_on_commit_callbacks
):
    memberships_before = Membership.objects.count()
    audit_before = AuditEvent.objects.count()

    response = add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Lena Learner",
        email="learner@example.org",
        role="learner",
    )

    assert response.status_code == 200
    assert error_beside(response, "email") == "Lena Learner is already a learner at this centre."
    assert Membership.objects.count() == memberships_before
    assert AuditEvent.objects.count() == audit_before
    assert mail.outbox == []


@pytest.fixture
def added_by_another_admin_meanwhile(monkeypatch):
    """Another admin's request adds the same new person between this one's look-up of the email and its insert:
    the row appears just before this request creates the account, so the unique email refuses the insert."""
    create_user = UserManager.create_user
    rivals = []

    def rival_first(manager, email, password=None, **extra):
        if not rivals:
            rivals.append(create_user(manager, email=email, full_name="Added By Another Admin"))
        return create_user(manager, email, password, **extra)

    monkeypatch.setattr(UserManager, "create_user", rival_first)
    return rivals


def test_a_person_added_by_another_admin_a_moment_before_gives_a_clear_error_not_a_failure(
    world, added_by_another_admin_meanwhile
):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.member_add(
            actor=world.admin, centre=world.centre, email="Nina.New@example.org ", full_name="Nina New", role="learner"
        )
    assert refused.value.message_dict == {"email": [services.ADDED_A_MOMENT_AGO]}
    assert added_by_another_admin_meanwhile, "the other admin's insert did not happen"
    # Nothing of this request was saved, and its transaction is still usable.
    assert not Membership.objects.filter(user__email="nina.new@example.org").exists()
    assert AuditEvent.objects.count() == audit_before


def test_the_form_shows_the_clash_beside_the_email_and_keeps_what_was_typed(
    world, added_by_another_admin_meanwhile, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.admin)
    page = browser.get(reverse("centre_person_add")).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(csrfmiddlewaretoken|once_token)" value="([^"]+)"', page))
    assert "csrfmiddlewaretoken" in hidden

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("centre_person_add"),
            {**hidden, "full_name": "Nina New", "email": "nina.new@example.org", "role": "learner"},
        )

    assert response.status_code == 200
    assert error_beside(response, "email") == services.ADDED_A_MOMENT_AGO
    page = response.content.decode()
    assert 'value="Nina New"' in page and 'value="nina.new@example.org"' in page
    assert not Membership.objects.filter(user__email="nina.new@example.org").exists()
    assert not AuditEvent.objects.filter(action="member.added").exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Two requests at the same moment need PostgreSQL: SQLite lets one in."
)
def test_two_admins_adding_the_same_new_person_at_the_same_moment_add_them_once(world, monkeypatch):
    # Both requests look the email up and find no one before either inserts.
    both_looked = threading.Barrier(2, timeout=10)
    create_user = UserManager.create_user

    def after_both_looked(manager, email, password=None, **extra):
        both_looked.wait()
        return create_user(manager, email, password, **extra)

    admins = [world.admin, member(world.centre, Role.ADMIN, user__full_name="Alex Admin")]
    browsers = []
    for admin in admins:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(admin)
        page = browser.get(reverse("centre_person_add")).content.decode()
        hidden = re.findall(r'<input type="hidden" name="(csrfmiddlewaretoken|once_token)" value="([^"]+)"', page)
        browsers.append((browser, dict(hidden)))
    monkeypatch.setattr(UserManager, "create_user", after_both_looked)
    responses: list = [None, None]

    def add(n: int) -> None:
        browser, hidden = browsers[n]
        data = {**hidden, "full_name": "Nina New", "email": "nina.new@example.org", "role": "learner"}
        try:
            responses[n] = browser.post(reverse("centre_person_add"), data)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert error_beside(refused, "email") == services.ADDED_A_MOMENT_AGO
    assert User.objects.filter(email="nina.new@example.org").count() == 1
    assert Membership.objects.filter(user__email="nina.new@example.org").count() == 1
    assert AuditEvent.objects.filter(action="member.added", summary__contains="nina.new@example.org").count() == 1


def test_adding_the_same_new_person_twice_gives_the_clear_error_the_second_time(world):
    services.member_add(
        actor=world.admin, centre=world.centre, email="nina.new@example.org", full_name="Nina New", role="learner"
    )
    with pytest.raises(ValidationError) as refused:
        services.member_add(
            actor=world.admin, centre=world.centre, email="NINA.new@example.org", full_name="Nina New", role="learner"
        )
    assert refused.value.message_dict == {"email": ["Nina New is already a learner at this centre."]}
    assert Membership.objects.filter(user__email="nina.new@example.org").count() == 1


@pytest.mark.parametrize("role", ["assessor", "iv"])
def test_assessor_or_iv_without_qualification_shows_error_beside_qualification(
    admin_client, world, role, django_capture_on_commit_callbacks
):
    response = add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Quinn Unsure",
        email="quinn@example.org",
        role=role,
        qualification="",
    )

    assert response.status_code == 200
    assert (
        error_beside(response, "qualification") == "Say whether this assessor or IV is qualified or still qualifying."
    )
    assert not User.objects.filter(email="quinn@example.org").exists()
    assert mail.outbox == []


def test_invalid_email_shows_error_beside_email(admin_client, world, django_capture_on_commit_callbacks):
    users_before = User.objects.count()

    response = add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Nobody",
        email="not-an-email",
        role="learner",
    )

    assert response.status_code == 200
    assert error_beside(response, "email") == "Enter a valid email address."
    assert User.objects.count() == users_before
    assert not AuditEvent.objects.filter(action="member.added").exists()


@pytest.mark.parametrize(
    ("email", "role", "qualification"),
    [("nina.new@example.org", "learner", ""), ("outsider@example.org", "iv", "qualified")],
    ids=["new-account", "existing-account"],
)
def test_each_successful_add_writes_member_added_audit_row(
    admin_client, world, email, role, qualification, django_capture_on_commit_callbacks
):
    add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Anyone",
        email=email,
        role=role,
        qualification=qualification,
    )

    membership = Membership.objects.get(user__email=email, centre=world.centre, role=role)
    event = AuditEvent.objects.get(action="member.added")
    assert event.centre == world.centre
    assert event.actor == world.admin
    assert event.actor_role == Role.ADMIN
    assert (event.target_type, event.target_id) == ("people.membership", str(membership.pk))
    assert event.data["user"] == membership.user_id
    assert event.data["role"] == role


# Deactivating and reactivating -------------------------------------------------------------------------------------


def test_deactivating_person_with_no_other_role_ends_memberships_and_switches_off_account(admin_client, world):
    response = admin_client.post(reverse("centre_person_deactivate", args=[world.learner.pk]), follow=True)

    assert "Lena Learner no longer has a role at this centre." in messages_of(response)
    assert not Membership.objects.filter(user=world.learner, is_active=True).exists()
    world.learner.refresh_from_db()
    assert world.learner.is_active is False
    event = AuditEvent.objects.get(action="member.deactivated")
    assert event.centre == world.centre
    assert event.actor == world.admin
    assert event.data == {"user": world.learner.pk, "roles": ["learner"]}


def test_deactivating_ends_every_role_at_the_centre(admin_client, world):
    Membership.objects.create(
        user=world.assessor, centre=world.centre, role=Role.IV, qualification=Qualification.QUALIFIED
    )

    admin_client.post(reverse("centre_person_deactivate", args=[world.assessor.pk]))

    assert set(Membership.objects.filter(user=world.assessor).values_list("role", "is_active")) == {
        ("assessor", False),
        ("iv", False),
    }


def test_deactivating_person_who_is_member_elsewhere_keeps_account_active(admin_client, world):
    Membership.objects.create(
        user=world.assessor, centre=world.other_centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED
    )

    admin_client.post(reverse("centre_person_deactivate", args=[world.assessor.pk]))

    assert not Membership.objects.get(user=world.assessor, centre=world.centre).is_active
    assert Membership.objects.get(user=world.assessor, centre=world.other_centre).is_active
    world.assessor.refresh_from_db()
    assert world.assessor.is_active is True
    assert AuditEvent.objects.filter(action="member.deactivated", centre=world.centre).count() == 1


def test_admin_cannot_deactivate_themselves(admin_client, world):
    response = admin_client.post(reverse("centre_person_deactivate", args=[world.admin.pk]), follow=True)

    assert "You cannot deactivate yourself. Ask another centre admin." in messages_of(response)
    assert Membership.objects.get(user=world.admin).is_active
    world.admin.refresh_from_db()
    assert world.admin.is_active
    assert not AuditEvent.objects.filter(action="member.deactivated").exists()


def test_reactivating_restores_memberships_and_account(admin_client, world):
    admin_client.post(reverse("centre_person_deactivate", args=[world.learner.pk]))

    response = admin_client.post(reverse("centre_person_reactivate", args=[world.learner.pk]), follow=True)

    assert "Lena Learner's roles at this centre are active again." in messages_of(response)
    assert Membership.objects.get(user=world.learner).is_active
    world.learner.refresh_from_db()
    assert world.learner.is_active
    event = AuditEvent.objects.get(action="member.reactivated")
    assert event.centre == world.centre
    assert event.data == {"user": world.learner.pk, "roles": ["learner"]}


# Qualification -----------------------------------------------------------------------------------------------------


def test_changing_assessor_to_qualifying_saves_and_audits(admin_client, world):
    membership = Membership.objects.get(user=world.assessor, centre=world.centre, role=Role.ASSESSOR)

    response = admin_client.post(
        reverse("centre_membership_qualification", args=[membership.pk]),
        {f"m{membership.pk}-qualification": "qualifying"},
        follow=True,
    )

    assert "Saved: Asha Assessor as assessor." in messages_of(response)
    membership.refresh_from_db()
    assert membership.qualification == Qualification.QUALIFYING
    event = AuditEvent.objects.get(action="member.qualification_changed")
    assert event.centre == world.centre
    assert event.actor == world.admin
    assert event.data == {"before": "qualified", "after": "qualifying"}
    assert "Still qualifying" in response.content.decode()


# The people list ---------------------------------------------------------------------------------------------------


def listed_names(response) -> set[str]:
    return {person.full_name for person in response.context["page"]}


def test_people_list_filters_by_role(admin_client, world):
    response = admin_client.get(reverse("centre_people"), {"role": "assessor"})

    assert listed_names(response) == {"Asha Assessor"}


def test_people_list_shows_active_by_default_and_inactive_on_request(admin_client, world):
    admin_client.post(reverse("centre_person_deactivate", args=[world.learner.pk]))

    active = admin_client.get(reverse("centre_people"))
    inactive = admin_client.get(reverse("centre_people"), {"show": "inactive"})
    everyone = admin_client.get(reverse("centre_people"), {"show": "all"})

    assert listed_names(active) == {"Asha Assessor", "Ivan Verifier", "Ada Admin"}
    assert listed_names(inactive) == {"Lena Learner"}
    assert "Learner (deactivated)" in inactive.content.decode()
    assert listed_names(everyone) == {"Asha Assessor", "Ivan Verifier", "Ada Admin", "Lena Learner"}


def test_people_list_never_shows_people_of_other_centre(admin_client, world):
    response = admin_client.get(reverse("centre_people"), {"show": "all"})

    assert "Otto Outsider" not in listed_names(response)
    assert "Eve External" not in listed_names(response)


@pytest.mark.parametrize("query", ["verif", "IV@EXAMPLE"])
def test_people_list_searches_name_and_email(admin_client, world, query):
    response = admin_client.get(reverse("centre_people"), {"q": query})

    assert listed_names(response) == {"Ivan Verifier"}


def test_people_list_search_with_no_match_says_so(admin_client, world):
    response = admin_client.get(reverse("centre_people"), {"q": "zzz-nobody"})

    assert listed_names(response) == set()
    assert "Nobody matches." in response.content.decode()


def test_people_list_runs_same_number_of_queries_for_3_and_30_people(admin_client, world):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("centre_people"), {"show": "all"})
        assert response.status_code == 200
        return len(queries)

    admin_client.get(reverse("centre_people"))  # settle the session first
    Membership.objects.filter(centre=world.centre).exclude(user=world.admin).delete()
    for n in range(2):
        member(world.centre, Role.LEARNER, user__full_name=f"Few {n:02d}")
    few = count_queries()

    for n in range(27):
        user = member(world.centre, Role.ASSESSOR, user__full_name=f"Many {n:02d}")
        Membership.objects.create(user=user, centre=world.centre, role=Role.LEARNER, is_active=n % 2 == 0)
    many = count_queries()

    assert len(admin_client.get(reverse("centre_people"), {"show": "all"}).context["page"]) == 30
    assert many == few


def test_people_list_role_filter_with_active_lists_only_people_active_in_that_role(
    admin_client, world, django_capture_on_commit_callbacks
):
    admin_client.post(reverse("centre_person_deactivate", args=[world.assessor.pk]))
    add_person(
        admin_client,
        django_capture_on_commit_callbacks,
        full_name="Asha Assessor",
        email="assessor@example.org",
        role="learner",
    )

    response = admin_client.get(reverse("centre_people"), {"role": "assessor", "show": "active"})

    # The dashboard counts active assessors; the list it links to must agree.
    assert listed_names(response) == set()
