"""The session and the signed-in user of every request, each read by SQL built once (portfolio/sessions,
people/backends.py): one query each, the same rows the ORM reads, and the same answers as Django's own code when the
session has expired, the account is deactivated or deleted, or the password changed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from people.backends import ModelBackend
from people.models import User


def _signed_in(user: User) -> tuple[Client, str]:
    browser = Client()
    browser.force_login(user)
    return browser, reverse("portfolio_detail", args=[user.portfolios.first().pk]) if user.portfolios.exists() else "/"


def _fields(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if k not in ("_state", "_roles_read_with_it")}


def _sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse(settings.LOGIN_URL))


def test_the_settings_name_these_reads():
    assert settings.SESSION_ENGINE in ("portfolio.sessions.db", "portfolio.sessions.cached_db")
    assert "people.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS


def test_a_signed_in_page_reads_its_session_once_and_its_user_with_their_roles_in_one_query(world):
    browser, url = _signed_in(world.learner)
    assert browser.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = browser.get(url)
    assert response.status_code == 200 and response.context["user"] == world.learner
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len([s for s in sql if "django_session" in s]) == 1
    user_reads = [s for s in sql if 'FROM "people_user" u WHERE u."id" =' in s]
    assert (
        len(user_reads) == 1 and '"people_membership"' in user_reads[0] and '"people_externalverifier"' in user_reads[0]
    )
    assert not [s for s in sql if 'WHERE "people_user"."id" =' in s]


def test_the_user_is_the_row_the_orm_reads_and_none_when_there_is_none_or_it_may_not_sign_in(world):
    backend = ModelBackend()
    prepared = backend.get_user(world.assessor.pk)
    orm = User.objects.get(pk=world.assessor.pk)
    assert type(prepared) is User and _fields(prepared) == _fields(orm) and not prepared._state.adding
    assert backend.get_user(world.assessor.pk + 10_000) is None
    User.objects.filter(pk=world.assessor.pk).update(is_active=False)
    assert backend.get_user(world.assessor.pk) is None


def test_a_deactivated_account_is_signed_out_at_its_next_request(world):
    browser, url = _signed_in(world.learner)
    assert browser.get(url).status_code == 200
    User.objects.filter(pk=world.learner.pk).update(is_active=False)
    assert _sent_to_sign_in(browser.get(url))


def test_a_password_changed_elsewhere_signs_the_session_out(world):
    browser, url = _signed_in(world.learner)
    assert browser.get(url).status_code == 200
    world.learner.set_password("a completely new passphrase")
    world.learner.save()
    assert _sent_to_sign_in(browser.get(url))


def test_an_expired_session_is_no_session_and_the_next_one_gets_a_new_key(world):
    browser, url = _signed_in(world.learner)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = browser.get(url)
    assert _sent_to_sign_in(response)
    assert browser.cookies[settings.SESSION_COOKIE_NAME].value != key


def test_a_session_deleted_from_the_database_is_no_session(world):
    browser, url = _signed_in(world.learner)
    Session.objects.all().delete()
    assert _sent_to_sign_in(browser.get(url))
