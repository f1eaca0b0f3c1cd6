"""Personas shared by every test: one person per role at the home centre, and
an outsider who is an admin at another centre (the strongest outsider)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from people.models import Centre, Qualification, Role, User
from tests.factories import CentreFactory, PortfolioFactory, external_verifier, member
from units.models import Unit

UNIT_SLUG = "deliver-customer-service-to-difficult-customers"
# The local S3 server's fixtures (s3_server, s3_bucket).
pytest_plugins = ["tests.s3", "tests.browser.session"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddata", "unit_c4", verbosity=0)
        # Tests set a unit's status directly to start from a given state. PostgreSQL's trigger that refuses any
        # status move the sign-off services did not make (migration assessments 0010) is off for them; its own
        # tests switch it on (tests/tamper.py, status_guard_on).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE assessments_portfolio DISABLE TRIGGER assessments_portfolio_status")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def unit(db) -> Unit:
    # Transactional tests (the browser ones) empty the database afterwards,
    # so load the unit again when it has gone.
    if not Unit.objects.filter(slug=UNIT_SLUG).exists():
        call_command("loaddata", "unit_c4", verbosity=0)
    return Unit.objects.get(slug=UNIT_SLUG)


@dataclass
class World:
    centre: Centre
    other_centre: Centre
    learner: User
    assessor: User
    iv: User
    admin: User
    ev: User
    outsider: User
    portfolio: object

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def world(unit) -> World:
    centre = CentreFactory(name="Northgate Training", number="51001")
    other = CentreFactory(name="Southbank College", number="52002")
    assessor = member(centre, Role.ASSESSOR, user__full_name="Asha Assessor", user__email="assessor@example.org")
    iv = member(centre, Role.IV, user__full_name="Ivan Verifier", user__email="iv@example.org")
    admin = member(centre, Role.ADMIN, user__full_name="Ada Admin", user__email="admin@example.org")
    learner = member(centre, Role.LEARNER, user__full_name="Lena Learner", user__email="learner@example.org")
    ev = external_verifier(centre, full_name="Eve External", email="ev@example.org")
    outsider = member(other, Role.ADMIN, user__full_name="Otto Outsider", user__email="outsider@example.org")
    portfolio = PortfolioFactory(centre=centre, learner=learner, assessor=assessor, iv=iv, learner_number="CG-0001")
    return World(centre, other, learner, assessor, iv, admin, ev, outsider, portfolio)


@pytest.fixture
def qualifying_assessor(world) -> User:
    return member(world.centre, Role.ASSESSOR, qualification=Qualification.QUALIFYING)


@pytest.fixture(autouse=True)
def _files_in_memory(request, settings):
    # Every test gets its own empty file store; the code only ever reaches files through the storage API.
    from tests.s3 import s3_requested  # imported here: pytest_plugins loads that module first, as a plugin

    if s3_requested():
        # The second run of the file tests (.ci/run): a bucket of its own on the local S3 server (tests/s3.py).
        request.getfixturevalue("s3_bucket")
        return
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


@pytest.fixture(autouse=True)
def _emails_sent_at_once(settings):
    # Emails are queued once the change commits and sent by the worker (notifications/tasks.py); here the queue sends
    # at once, so a test reads the mail as soon as its on-commit callbacks have run. Tests of the queue itself
    # switch EMAIL_TASKS_BACKEND back to "default" (notifications/tests/test_email_queue.py).
    settings.TASKS = {**settings.TASKS, "email": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_TASKS_BACKEND = "email"


SECOND_UNIT_FIXTURE = Path(__file__).resolve().parent / "tests" / "fixtures" / "unit_second.json"
SECOND_UNIT_SLUG = "test-communicate-with-customers"


@pytest.fixture
def second_unit(unit) -> Unit:
    """A small test-only unit (codes CG 998, OCR T98) on which simulation may count as performance evidence."""
    call_command("loaddata", str(SECOND_UNIT_FIXTURE), verbosity=0)
    return Unit.objects.get(slug=SECOND_UNIT_SLUG)


@pytest.fixture
def second_portfolio(world, second_unit):
    """The world learner's registration on the second unit, at the same centre with the same assessor and IV."""
    return PortfolioFactory(
        centre=world.centre,
        learner=world.learner,
        unit=second_unit,
        assessor=world.assessor,
        iv=world.iv,
        learner_number="CG-0001",
    )


THIRD_UNIT_FIXTURE = Path(__file__).resolve().parent / "tests" / "fixtures" / "unit_third.json"


@pytest.fixture
def third_unit(unit) -> Unit:
    """Another small test-only unit (codes CG 997, OCR T97), for a learner with three portfolios at one centre."""
    call_command("loaddata", str(THIRD_UNIT_FIXTURE), verbosity=0)
    return Unit.objects.get(slug="test-keep-customer-records")


@pytest.fixture
def client():
    """Every view test's client enforces CSRF, as production does (tests/clients.py)."""
    from tests.clients import CsrfClient

    return CsrfClient()
