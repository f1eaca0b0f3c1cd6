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


# --- The assessor's records: kept as signed, as the evidence descriptions are --------------------------------


@pytest.fixture
def certified_with_records(world, covered):  # noqa: F811 (the fixture imported above)
    """A certified unit whose assessor's records name the learner in their free text: an observation's notes and
    feedback, a question's answer, a discussion's topics (with its recording)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.evidence.services.records import note_key
    from assessments.evidence.uploads import inspect_upload
    from assessments.models import PortfolioStatus
    from assessments.models import SignatureKind as K
    from assessments.signoff.services import unit_mark_sampled
    from assessments.tests.test_assessor_record_views import wav
    from assessments.tests.test_record_pdf import sign
    from tests.assessor_records import crit, discuss, observe, question, rng
    from tests.factories import ev_findings_agreeing, iv_report_agreeing

    world.observed = observe(
        world,
        criteria=("2.1",),
        range_items=("a",),
        notes={note_key(crit("2.1")): "Lena Learner let the customer finish.", note_key(rng("a")): "Lena's round."},
        feedback="Well handled, Lena Learner: you kept calm.",
        learner_password=PASSWORD,
    )
    world.asked = question(
        world, pairs=(("What upsets customers most?", "Lena Learner: being kept waiting.", ("3.1",)),)
    )
    world.talked = discuss(
        world,
        topics="Lena Learner's refunds",
        files=[inspect_upload(SimpleUploadedFile("discussion.wav", wav()))],
    )
    sign(world, world.learner, K.LEARNER)
    sign(world, world.assessor, K.ASSESSOR)
    unit_mark_sampled(actor=world.iv, portfolio=world.portfolio, role=Role.IV)
    unit_mark_sampled(actor=world.ev, portfolio=world.portfolio, role=Role.EV)
    iv_report_agreeing(world.portfolio, world.iv)
    sign(world, world.iv, K.IV)
    ev_findings_agreeing(world.portfolio, world.ev)
    sign(world, world.ev, K.EV)
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.COMPLETE
    return world


def _assessor_texts(world) -> list:
    from assessments.models import Discussion, EvidenceFile, Observation, ObservationNote, QuestionAnswer

    return [
        sorted(ObservationNote.objects.filter(observation__evidence=world.observed).values_list("note", flat=True)),
        list(Observation.objects.filter(evidence=world.observed).values_list("feedback", "acknowledgement")),
        list(QuestionAnswer.objects.filter(evidence=world.asked).values_list("question", "answer")),
        list(Discussion.objects.filter(evidence=world.talked).values_list("topics", "duration_minutes")),
        list(EvidenceFile.objects.filter(evidence=world.talked).values_list("original_name", "sha256")),
    ]


def test_the_assessors_records_are_kept_as_signed_and_every_record_still_verifies(certified_with_records):
    """Their notes, feedback, answers and topics are covered by the signed record's digest, through their SHA-256,
    as an item's description is, and the audit rows keep the questions and topics: rewriting the learner's name in
    them would be the very tampering verify_records finds, so they stay, as the descriptions do."""
    from assessments.models import ObservationNote
    from assessments.records.document import current_digest
    from tests.tamper import raw_sql

    world = certified_with_records
    texts = _assessor_texts(world)
    assert "Lena Learner let the customer finish." in texts[0]
    digests = list(Signature.objects.filter(portfolio=world.portfolio).values_list("digest", flat=True))
    assert current_digest(world.portfolio) == digests[-1]

    anonymise(after=4 * YEAR)

    world.learner.refresh_from_db()
    assert world.learner.full_name == f"Learner {world.learner.pk}"
    assert _assessor_texts(world) == texts
    assert current_digest(world.portfolio) == digests[-1]
    code, report = verify()
    assert code == 0, report
    # And why: a note rewritten to drop the name no longer matches what was signed. The database refuses the
    # rewrite on a signed unit (migration assessments 0017), so it is made as someone with the triggers off would.
    note = ObservationNote.objects.get(note__startswith="Lena Learner")
    raw_sql(
        "UPDATE assessments_observationnote SET note = %s WHERE id = %s",
        ["Learner let the customer finish.", note.pk],
        "assessments_observationnote",
    )
    assert current_digest(world.portfolio) != digests[-1]
    code, report = verify()
    assert code != 0
