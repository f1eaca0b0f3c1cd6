"""The subject-access export: one ZIP holding a learner's account, registrations, files (byte for byte), record PDFs,
notifications and the audit rows about them, and nothing of another learner."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from assessments.evidence.uploads import inspect_upload
from assessments.models import EvidenceFile, QualificationRegistration
from assessments.records.services.renders import record_render_store
from assessments.tests.test_evidence_views import add
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import Role
from tests import samples
from tests.factories import PortfolioFactory, member


@pytest.fixture
def two_learners(complete):  # noqa: F811 (the fixture imported above)
    world = complete
    world.render = record_render_store(portfolio=world.portfolio)
    Notification.objects.create(
        user=world.learner, kind="test", title="Your unit is complete", url="/", target_type="x", target_id="1"
    )
    other = member(world.centre, Role.LEARNER, user__full_name="Oscar Otherlearner", user__email="oscar@example.org")
    theirs = PortfolioFactory(centre=world.centre, learner=other, assessor=world.assessor, learner_number="CG-9999")
    add(
        SimpleNamespace(learner=other, portfolio=theirs),
        title="Oscar's private item",
        files=[inspect_upload(SimpleUploadedFile("oscar.png", samples.png((40, 30))))],
    )
    Notification.objects.create(
        user=other, kind="test", title="Oscar, look at this", url="/", target_type="x", target_id="2"
    )
    world.other, world.other_portfolio = other, theirs
    return world


def export(tmp_path, email: str) -> zipfile.ZipFile:
    path = tmp_path / "sar.zip"
    out = io.StringIO()
    call_command("subject_access_export", email, "--output", str(path), stdout=out)
    assert f"Wrote {path}" in out.getvalue()
    assert path.stat().st_mode & 0o077 == 0
    return zipfile.ZipFile(path)


def test_the_zip_holds_the_learners_files_byte_for_byte_and_their_record_pdfs(two_learners, tmp_path):
    world = two_learners
    archive = export(tmp_path, "Learner@Example.org")
    files = EvidenceFile.objects.filter(evidence__portfolio=world.portfolio)
    assert files.exists()
    names = archive.namelist()
    for f in files:
        [inside] = [n for n in names if n.startswith(f"files/registration-{world.portfolio.pk}/") and f"-{f.pk}-" in n]
        assert hashlib.sha256(archive.read(inside)).hexdigest() == f.sha256
    [pdf] = [n for n in names if n.startswith("records/")]
    assert hashlib.sha256(archive.read(pdf)).hexdigest() == world.render.sha256
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]


def test_the_zip_holds_the_account_without_password_registrations_notifications_and_audit_rows(two_learners, tmp_path):
    world = two_learners
    archive = export(tmp_path, "learner@example.org")
    account = json.loads(archive.read("account.json"))
    assert account["email"] == "learner@example.org" and account["full_name"] == "Lena Learner"
    assert "password" not in archive.read("account.json").decode()
    [registration] = json.loads(archive.read("portfolios.json"))
    assert registration["learner_number"] == "CG-0001"
    assert {s["signer"] for s in registration["signatures"]} >= {"Lena Learner", "Asha Assessor"}
    assert [e["title"] for e in registration["evidence"]][:2] == ["Late parcel complaint", "Queue at the busy till"]
    assert "Your unit is complete" in archive.read("notifications.csv").decode()
    audit = json.loads(archive.read("audit.json"))
    expected = set(AuditEvent.objects.filter(portfolio=world.portfolio).values_list("pk", flat=True))
    assert expected and expected <= {row["id"] for row in audit}
    assert any(row["action"] == "signature.made" and row["actor"] == "Lena Learner" for row in audit)
    audit_csv = list(csv.DictReader(io.StringIO(archive.read("audit.csv").decode())))
    assert {int(row["id"]) for row in audit_csv} == {row["id"] for row in audit}
    # Making it is audited, with counts and the ZIP's hash, and no personal data.
    made = AuditEvent.objects.get(action="subject_access.exported")
    assert made.target_id == str(world.learner.pk) and "Lena" not in made.summary
    assert made.data["sha256"] == hashlib.sha256((tmp_path / "sar.zip").read_bytes()).hexdigest()


def test_nothing_about_another_learner_is_in_the_zip(two_learners, tmp_path):
    world = two_learners
    archive = export(tmp_path, "learner@example.org")
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for trace in (b"Oscar", b"oscar@example.org", b"CG-9999", b"Otherlearner"):
        assert trace not in everything
    theirs = EvidenceFile.objects.get(evidence__portfolio=world.other_portfolio)
    assert theirs.sha256 not in {
        hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist() if n.startswith("files/")
    }
    ids = {row["id"] for row in json.loads(archive.read("audit.json"))}
    assert not ids & set(AuditEvent.objects.filter(portfolio=world.other_portfolio).values_list("pk", flat=True))


def test_an_unknown_email_or_an_existing_file_is_refused(two_learners, tmp_path):
    with pytest.raises(CommandError, match="No account has the email address nobody@example.org"):
        call_command("subject_access_export", "nobody@example.org", "--output", str(tmp_path / "x.zip"))
    (tmp_path / "taken.zip").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("subject_access_export", "learner@example.org", "--output", str(tmp_path / "taken.zip"))
    assert (tmp_path / "taken.zip").read_bytes() == b"keep me"
    assert not AuditEvent.objects.filter(action="subject_access.exported").exists()


# --- The assessor's records about the learner -----------------------------------------------------------------


def test_the_zip_holds_the_assessors_observation_questioning_and_discussion_with_its_recording(world, tmp_path):
    from assessments.evidence.services.records import note_key
    from assessments.tests.test_assessor_record_views import wav
    from tests.assessor_records import crit, discuss, observe, question, rng
    from tests.factories import PASSWORD

    notes = {note_key(crit("2.1")): "Let the customer finish.", note_key(rng("a")): "A routine delivery query."}
    seen = observe(world, criteria=("2.1",), range_items=("a",), notes=notes, learner_password=PASSWORD)
    waiting = observe(world, criteria=("2.2",), title="Observed at the till", feedback="Smile at the next one.")
    asked = question(
        world,
        pairs=(
            ("What upsets customers most?", "Being kept waiting.", ("3.1",)),
            ("Who do you tell about a complaint?", "My supervisor, the same day.", ("3.2", "3.3")),
        ),
    )
    talked = discuss(
        world,
        topics="Refunds; difficult callers",
        duration_minutes=35,
        files=[inspect_upload(SimpleUploadedFile("discussion.wav", wav()))],
    )
    archive = export(tmp_path, "learner@example.org")
    [registration] = json.loads(archive.read("portfolios.json"))
    by_ref = {e["reference"]: e for e in registration["evidence"]}
    assert set(by_ref) == {seen.reference, waiting.reference, asked.reference, talked.reference}

    observation = by_ref[seen.reference]["assessor_record"]["observation"]
    assert (observation["start_time"], observation["end_time"]) == ("09:30", "10:15")
    assert observation["notes"] == [
        {"claim": "2.1", "note": "Let the customer finish."},
        {"claim": "range a", "note": "A routine delivery query."},
    ]
    assert observation["feedback"] == "Well handled: you kept calm and agreed a next step."
    assert observation["acknowledgement"]["status"] == "on_device"
    assert observation["acknowledgement"]["by"] == "Lena Learner" and observation["acknowledgement"]["at"]
    pending = by_ref[waiting.reference]["assessor_record"]["observation"]
    assert pending["feedback"] == "Smile at the next one."
    assert pending["acknowledgement"] == {
        "status": "pending",
        "in_words": "Waiting for the learner's acknowledgement",
        "at": None,
        "by": None,
    }

    pairs = by_ref[asked.reference]["assessor_record"]["questions_and_answers"]
    assert pairs == [
        {"number": 1, "question": "What upsets customers most?", "answer": "Being kept waiting.", "criteria": ["3.1"]},
        {
            "number": 2,
            "question": "Who do you tell about a complaint?",
            "answer": "My supervisor, the same day.",
            "criteria": ["3.2", "3.3"],
        },
    ]

    discussion = by_ref[talked.reference]["assessor_record"]["discussion"]
    assert discussion["topics"] == "Refunds; difficult callers" and discussion["duration_minutes"] == 35
    [recording] = discussion["recording"]
    stored = EvidenceFile.objects.get(evidence=talked)
    assert recording.startswith(f"files/registration-{world.portfolio.pk}/") and recording.endswith("discussion.wav")
    assert hashlib.sha256(archive.read(recording)).hexdigest() == stored.sha256
    # Each record carries only its own kind of part; the learner's own items carry none.
    assert set(by_ref[asked.reference]["assessor_record"]) == {"questions_and_answers"}
    assert set(by_ref[talked.reference]["assessor_record"]) == {"discussion"}
    assert "portfolios.json" in archive.namelist() and "assessor's records" in archive.read("README.txt").decode()


def test_a_learners_own_items_carry_no_assessor_record(two_learners, tmp_path):
    archive = export(tmp_path, "learner@example.org")
    [registration] = json.loads(archive.read("portfolios.json"))
    own = [e for e in registration["evidence"] if e["author"] == "learner"]
    assert own and all(e["assessor_record"] is None for e in own)


def test_an_observation_recorded_before_times_were_kept_is_exported_with_what_it_has(world, tmp_path):
    from assessments.models import Observation
    from tests.assessor_records import observe

    older = observe(world, criteria=("2.1",))
    Observation.objects.filter(evidence=older).delete()
    archive = export(tmp_path, "learner@example.org")
    [registration] = json.loads(archive.read("portfolios.json"))
    [item] = registration["evidence"]
    assert item["reference"] == older.reference and item["author"] == "assessor"
    assert item["assessor_record"] == {} and item["description"] == older.description


def test_the_zip_holds_the_learners_qualification_registrations_with_their_progress_and_no_one_elses(
    two_learners, tmp_path
):
    import datetime

    from assessments.centre.qualifications import qualification_register
    from assessments.judgement.progress import qualifications_standing
    from units.models import Qualification, QualificationUnit

    world = two_learners
    qualification = Qualification.objects.get(slug="level-2-nvq-certificate-in-customer-service")
    listed = QualificationUnit.objects.get(group__qualification=qualification, number="220")
    start, end = datetime.date(2026, 9, 1), datetime.date(2027, 8, 31)
    for learner, number in ((world.learner, "CG-0001"), (world.other, "CG-9999")):
        qualification_register(
            actor=world.admin,
            centre=world.centre,
            learner=learner,
            learner_number=number,
            qualification=qualification,
            start_date=start,
            planned_end_date=end,
            optional_units=[listed],
        )
    mine = world.learner.qualification_registrations.get()
    shown = qualifications_standing([mine])[mine.pk]

    archive = export(tmp_path, "learner@example.org")
    exported = json.loads(archive.read("qualifications.json"))
    [registration] = exported["registrations"]
    assert registration["qualification"] == "Level 2 NVQ Certificate in Customer Service"
    assert registration["version"] == 1 and registration["awarding_body"] == "City & Guilds"
    assert registration["learner_number"] == "CG-0001"
    assert (registration["start_date"], registration["planned_end_date"]) == ("2026-09-01", "2027-08-31")
    # The signed unit joined the qualification: the same figures the dashboard shows.
    assert registration["progress"] == {"percent": shown.percent, "status": shown.label, "still_needed": []}
    assert shown.percent == 100
    assert registration["registrations_of_units"] == [world.portfolio.pk]
    [unit] = json.loads(archive.read("portfolios.json"))
    assert unit["qualification_registration"] == registration["id"]
    assert exported["progress_rule"].startswith("A unit's percentage")
    assert "qualifications.json" in archive.read("README.txt").decode()
    # Registering them is about them, though it names no unit of theirs; Oscar's registration is not.
    audit = json.loads(archive.read("audit.json"))
    assert [row["target"] for row in audit if row["action"] == "qualification.registered"] == [
        f"assessments.qualificationregistration {mine.pk}"
    ]
    assert b"CG-9999" not in b"".join(archive.read(name) for name in archive.namelist())


def test_the_audit_rows_about_a_learner_are_each_kind_of_theirs_and_nothing_else_in_id_order(world):
    import datetime

    from audit.services import audit_log
    from exports.subject_access import audit_rows_about
    from units.models import Qualification

    other = member(world.centre, Role.LEARNER)
    theirs = PortfolioFactory(centre=world.centre, learner=other, assessor=world.assessor)
    qualification = Qualification.objects.get(slug="level-2-nvq-certificate-in-customer-service")
    dates = {"start_date": datetime.date(2026, 9, 1), "planned_end_date": datetime.date(2027, 8, 31)}
    mine, oscars = (
        QualificationRegistration.objects.create(
            learner=who, centre=world.centre, qualification=qualification, learner_number=number, **dates
        )
        for who, number in ((world.learner, "CG-0001"), (other, "CG-9999"))
    )
    notice = Notification.objects.create(user=world.learner, kind="test", title="t", url="/", target_type="x")

    def row(actor, **where) -> int:
        return audit_log(actor=actor, action="test.row", summary="-", centre=world.centre, **where).pk

    about = [
        row(world.assessor, portfolio=world.portfolio),
        row(world.admin, target=world.learner),
        row(world.learner, target=notice),
        row(world.learner, target=world.learner),
        row(world.admin, target=mine),
    ]
    # Oscar's unit, account and registration, and the learner's own doing to Oscar's account or unit.
    for actor, where in (
        (world.assessor, {"portfolio": theirs}),
        (world.admin, {"target": other}),
        (world.admin, {"target": oscars}),
        (world.learner, {"target": other}),
        (world.learner, {"portfolio": theirs}),
    ):
        row(actor, **where)

    assert list(audit_rows_about(world.learner).values_list("pk", flat=True)) == about
