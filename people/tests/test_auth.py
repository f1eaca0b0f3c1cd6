"""Signing in, throttling, signing out, password reset and role switching."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.test import Client
from django.urls import reverse

from people.models import Membership, Role
from tests.factories import PASSWORD, member


def _sign_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def _post_sign_in(client, email, password):
    """Sign in through the form as a browser does: open the page, then post with its CSRF token."""
    page = client.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client.post(reverse("login"), {"csrfmiddlewaretoken": token, "username": email, "password": password})


def test_sign_in_by_email_ignores_case_and_lands_on_home(client, world):
    response = _sign_in(client, "Learner@Example.ORG")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == world.learner


def test_wrong_password_says_so_beside_the_form(client, world):
    response = _sign_in(client, world.learner.email, "wrong-password")
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()


def test_five_failures_lock_the_account_out_even_with_the_right_password(client, world):
    for _ in range(5):
        _sign_in(client, world.assessor.email, "wrong-password")
    response = _sign_in(client, world.assessor.email)
    assert response.status_code == 429
    assert "paused for 15 minutes" in response.content.decode()
    assert AccessAttempt.objects.get(username=world.assessor.email).failures_since_start >= 5
    # Every failed attempt is logged, not just the count.
    assert AccessFailureLog.objects.filter(username=world.assessor.email).count() >= 5


def test_lockout_lifts_after_the_cool_off(client, world, settings):
    from datetime import timedelta

    for _ in range(5):
        _sign_in(client, world.iv.email, "wrong-password")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    response = _sign_in(client, world.iv.email)
    assert response.status_code == 302


def test_every_page_but_sign_in_needs_a_signed_in_user(client, world):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.get(reverse("unit_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_sign_out_is_a_post_and_ends_the_session(client, world):
    client.force_login(world.learner)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_emails_a_working_link(client, world):
    client.post(reverse("password_reset"), {"email": world.learner.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Set your password" in form_page.content.decode()
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-2026", "new_password2": "a-new-long-pass-2026"},
    )
    world.learner.refresh_from_db()
    assert world.learner.check_password("a-new-long-pass-2026")


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, world):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_invited_person_without_a_password_can_ask_for_a_new_link(client, world):
    invited = member(world.centre, Role.LEARNER, user__password=None)
    invited.set_unusable_password()
    invited.save()
    client.post(reverse("password_reset"), {"email": invited.email})
    assert [m.to for m in mail.outbox] == [[invited.email]]


def test_person_with_two_roles_switches_between_them(client, world):
    second = Membership.objects.create(
        user=world.assessor, centre=world.other_centre, role=Role.IV, qualification="qualified"
    )
    client.force_login(world.assessor)
    page = client.get(reverse("home")).content.decode()
    assert "Acting as" in page and "Internal verifier at Southbank College" in page
    client.post(reverse("role_switch"), {"role": f"m{second.pk}"})
    assert "Assessors and learners you verify" in client.get(reverse("home")).content.decode()


def test_a_role_taken_away_stops_working_at_once(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("centre_people")).status_code == 200
    Membership.objects.filter(user=world.admin).update(is_active=False)
    assert client.get(reverse("centre_people")).status_code == 403


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_carry_a_strict_content_security_policy(client, world, path):
    client.force_login(world.learner)
    policy = client.get(path, follow=True).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


def test_no_template_uses_inline_script_or_style(client, world):
    client.force_login(world.admin)
    pages = [
        reverse(name)
        for name in [
            "home",
            "centre_people",
            "centre_person_add",
            "centre_portfolios",
            "centre_portfolio_register",
            "centre_learner_import",
            "unit_list",
        ]
    ] + [
        reverse("centre_person", args=[world.assessor.pk]),
        reverse("centre_portfolio_assign", args=[world.portfolio.pk]),
        reverse("unit_detail", args=[world.portfolio.unit.slug]),
    ]
    for name in pages:
        html = client.get(name).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert " style=" not in html and "<style" not in html, name


def test_django_admin_is_for_superusers_only(client, world):
    world.admin.is_staff = True  # even a staff flag set by mistake does not open it
    world.admin.save()
    client.force_login(world.admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    world.admin.is_superuser = True
    world.admin.save()
    assert client.get("/admin/").status_code == 200


def test_failures_with_the_email_in_other_cases_and_spaces_lock_out_the_one_account(world):
    """Sign-in ignores case and spaces, so "Assessor@Example.org " is the same account and shares its five tries."""
    client = Client(enforce_csrf_checks=True)
    typed = [
        "Assessor@Example.org",
        "ASSESSOR@EXAMPLE.ORG",
        " assessor@example.org ",
        "assessor@Example.ORG",
        "aSSessor@example.org",
    ]
    for email in typed[:4]:
        response = _post_sign_in(client, email, "wrong-password")
        assert "The email address or password is not right" in response.content.decode()
    # The fifth failure is the last one allowed.
    assert _post_sign_in(client, typed[4], "wrong-password").status_code == 429
    response = _post_sign_in(client, world.assessor.email, PASSWORD)
    assert response.status_code == 429
    assert "paused for 15 minutes" in response.content.decode()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [world.assessor.email]
    assert AccessAttempt.objects.get().failures_since_start >= 5
    # The lockout holds however the email is typed.
    assert _post_sign_in(client, " Assessor@EXAMPLE.org", PASSWORD).status_code == 429
