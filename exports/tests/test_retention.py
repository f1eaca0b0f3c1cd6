"""Retention: `manage.py records_anonymise` anonymises a learner once every unit of theirs has been certified for
longer than RECORDS_RETENTION_YEARS, keeps what the hashes cover, audits it once without personal data, and leaves
every record verifying."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Evidence, Feedback, Signature, WitnessRequest
from assessments.records.services import drafts
from assessments.records.services.renders import record_render_store
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.models import AuditEvent
from exports.models import Export, ExportKind
from exports.retention import ACTION, FEEDBACK_REMOVED, learners_due
from notifications.models import Notification
from people.models import Membership, Role, User
from tests.factories import PASSWORD, MembershipFactory, PortfolioFactory

ROOT = Path(__file__).resolve().parents[2]
YEAR = datetime.timedelta(days=365)


def anonymise(*args: str, after: datetime.timedelta) -> str:
    """Run the command as if `after` had passed since now."""
    out = io.StringIO()
    later = timezone.now() + after
    with mock.patch("exports.retention.timezone.now", return_value=later):
        call_command("records_anonymise", *args, stdout=out)
    return out.getvalue()


def verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_records", stdout=out)
    except SystemExit as stop:
        return int(stop.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def certified(complete):  # noqa: F811 (the fixture imported above)
    world = complete
    world.render = record_render_store(portfolio=world.portfolio)
    item = Evidence.objects.filter(portfolio=world.portfolio).first()
    Feedback.objects.create(evidence=item, author=world.learner, role=Role.LEARNER, text="Ring me on 07700 900123")
    WitnessRequest.objects.create(
        evidence=item, token_hash="a" * 64, email="wendy@witness.example", expires_at=timezone.now()
    )
    Notification.objects.create(
        user=world.learner, kind="test", title="Lena, your unit is complete", url="/", target_type="x", target_id="1"
    )
    Export.objects.create(
        centre=world.centre,
        kind=ExportKind.LEARNER,
        requested_by=world.admin,
        requested_role=Role.ADMIN,
        learner=world.learner,
        description="Records of Lena Learner",
        filename="lena-learner-cg-0001-records.pdf",
    )
    world.draft = f"{drafts.FOLDER}/{world.portfolio.pk}/earlier.pdf"
    default_storage.save(world.draft, ContentFile(b"%PDF-1.7 a draft printing Lena Learner"))
    return world


def test_a_learner_certified_longer_ago_than_the_period_is_anonymised_and_every_record_still_verifies(certified):
    world = certified
    learner = world.learner
    signatures = list(Signature.objects.filter(portfolio=world.portfolio).values_list("signer_name", "digest"))
    audit_rows = AuditEvent.objects.count()

    out = anonymise(after=3 * YEAR + datetime.timedelta(days=2))

    assert f"Anonymised learner {learner.pk} (Learner {learner.pk})" in out
    learner.refresh_from_db()
    assert learner.full_name == f"Learner {learner.pk}"
    assert learner.email == f"learner-{learner.pk}@anonymised.invalid"
    assert not learner.is_active and not learner.has_usable_password()
    assert not learner.check_password(PASSWORD)
    assert not User.objects.filter(email__iexact="learner@example.org").exists()
    assert not Membership.objects.filter(user=learner, is_active=True).exists()
    assert not Notification.objects.filter(user=learner).exists()
    assert set(Feedback.objects.filter(evidence__portfolio=world.portfolio).values_list("text", flat=True)) == {
        FEEDBACK_REMOVED
    }
    assert list(WitnessRequest.objects.values_list("email", flat=True)) == [""]
    assert list(Export.objects.values_list("description", "filename")) == [
        (f"Records of Learner {learner.pk}", f"learner-{learner.pk}-cg-0001-records.pdf")
    ]
    # The signatures, and so the learner's declaration under their name, are kept as signed: the chain covers them.
    assert list(Signature.objects.filter(portfolio=world.portfolio).values_list("signer_name", "digest")) == signatures
    # One audit row, naming no one.
    assert AuditEvent.objects.count() == audit_rows + 1
    row = AuditEvent.objects.get(action=ACTION)
    assert row.target_id == str(learner.pk) and row.centre_id == world.centre.pk and row.actor_id is None
    written = row.summary + repr(row.data)
    for personal in ("Lena", "Learner@example.org".lower(), "07700", "wendy@"):
        assert personal not in written.lower()
    assert row.data["portfolios"] == [world.portfolio.pk] and row.data["removed"]["notifications"] >= 1
    # The kept draft printed their name; it goes, the stored signed record stays.
    assert not default_storage.exists(world.draft) and row.data["removed"]["kept_drafts"] == 1
    code, report = verify()
    assert code == 0, report


def test_nobody_is_anonymised_before_the_period_has_run_and_a_dry_run_changes_nothing(certified):
    learner = certified.learner
    assert "No learner is due" in anonymise(after=3 * YEAR - datetime.timedelta(days=1))

    out = anonymise("--dry-run", after=4 * YEAR)

    assert f"Would anonymise learner {learner.pk} (Lena Learner <learner@example.org>)" in out
    learner.refresh_from_db()
    assert learner.full_name == "Lena Learner" and learner.is_active
    assert not AuditEvent.objects.filter(action=ACTION).exists()


def test_a_longer_period_from_the_settings_is_kept(certified, settings):
    settings.RECORDS_RETENTION_YEARS = 6
    assert "No learner is due" in anonymise(after=5 * YEAR)
    assert "Anonymised 1 learner(s)" in anonymise(after=7 * YEAR)


def test_a_learner_with_a_unit_not_yet_complete_is_kept_whole(certified):
    world = certified
    PortfolioFactory(centre=world.other_centre, learner=world.learner, unit=world.portfolio.unit)
    assert learners_due(now=timezone.now() + 5 * YEAR) == []


def test_a_learner_who_also_works_at_a_centre_is_kept_whole(certified):
    MembershipFactory(user=certified.learner, centre=certified.other_centre, role=Role.ASSESSOR)
    assert learners_due(now=timezone.now() + 5 * YEAR) == []


def test_a_learner_is_anonymised_once(certified):
    anonymise(after=4 * YEAR)
    assert "No learner is due" in anonymise(after=4 * YEAR)
    assert AuditEvent.objects.filter(action=ACTION).count() == 1


def test_start_up_refuses_a_retention_period_under_three_years():
    env = {**os.environ, "ENV_FILE": "", "RECORDS_RETENTION_YEARS": "2"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "RECORDS_RETENTION_YEARS=2 is too short" in result.stderr
    assert "at least 3 years after certification" in result.stderr
