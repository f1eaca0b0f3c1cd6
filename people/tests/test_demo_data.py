from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from assessments.models import Portfolio
from people.management.commands.demo_data import DEMO_PASSWORD
from people.models import ExternalVerifier, Membership, Role, User


def test_demo_data_creates_one_sign_in_per_role_and_is_safe_to_run_twice(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_data", stdout=out)
    call_command("demo_data", stdout=StringIO())
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IV, Role.ADMIN):
        assert Membership.objects.filter(role=role).count() == 1
    # The allocated EV and the one on the demo visit.
    assert ExternalVerifier.objects.count() == 2
    assert Portfolio.objects.count() == 1
    from quality.models import EVVisit, SampleItem, SamplingPlan

    assert SamplingPlan.objects.count() == 1 and SampleItem.objects.count() == 1
    visit = EVVisit.objects.get()
    assert list(visit.sample.all()) == list(Portfolio.objects.all())
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD)
        assert user.email in out.getvalue()


def test_demo_data_refuses_to_run_with_debug_off(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("demo_data", stdout=StringIO())
    assert not User.objects.exists()
