"""Changes to a completed unit made behind the application's back (raw SQL with the triggers off, files rewritten
in storage) are found by `manage.py verify_records`, which names what changed and exits non-zero."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.centre.services import portfolio_assign
from assessments.models import EvidenceFile, RecordCode, Signature, SignatureKind
from assessments.records import integrity
from assessments.records.document import digest_of
from assessments.records.integrity import unit_problems
from assessments.records.services.renders import record_render_store
from assessments.signoff.services import signature_withdraw, unit_sign
from assessments.tasks import verify_records_regularly
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.chain import link_hash
from audit.models import AuditEvent
from notifications.models import Notification
from people.models import Role
from tests.factories import PASSWORD, PortfolioFactory, UserFactory, member
from tests.tamper import raw_sql, rewrite_file, status_guard_on

K = SignatureKind


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_records", *args, stdout=out)
    except SystemExit as stop:
        return int(stop.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def stored(complete):  # noqa: F811 (the fixture imported above)
    world = complete
    world.render = record_render_store(portfolio=world.portfolio)
    world.file = EvidenceFile.objects.filter(evidence__portfolio=world.portfolio).get()
    return world


def test_an_untouched_completed_unit_verifies(stored):
    code, out = verify()
    assert code == 0, out
    assert out.startswith("All records verified")


def test_reassigning_a_completed_unit_through_the_app_is_no_break(stored):
    other_iv = member(stored.centre, Role.IV, user__full_name="Ina Other")
    portfolio_assign(actor=stored.admin, portfolio=stored.portfolio, assessor=stored.assessor, iv=other_iv)
    code, out = verify()
    assert code == 0, out


def test_an_evidence_file_changed_on_disk_is_named(stored):
    rewrite_file(stored.file.file, b"not the photo that was uploaded")
    code, out = verify()
    assert code == 1
    assert f"Evidence file {stored.file.pk} (till.png" in out
    assert "has been changed on disk" in out
    assert f"registration {stored.portfolio.pk}" in out


def test_a_stored_record_pdf_changed_on_disk_is_named(stored):
    rewrite_file(stored.render.file, b"%PDF-1.7 forged")
    code, out = verify()
    assert code == 1
    assert f"Stored record PDF {stored.render.pk} (record code {stored.render.record_code.display})" in out


def test_a_missing_evidence_file_is_named(stored):
    stored.file.file.storage.delete(stored.file.file.name)
    code, out = verify()
    assert code == 1 and "is missing from storage" in out


def test_a_deleted_signature_breaks_the_chain_and_is_named_from_the_audit_trail(stored):
    iv = Signature.objects.get(portfolio=stored.portfolio, kind=K.IV)
    raw_sql("DELETE FROM assessments_signature WHERE id = %s", [iv.pk], "assessments_signature")
    code, out = verify()
    assert code == 1
    ev = Signature.objects.get(portfolio=stored.portfolio, kind=K.EV)
    assert f"broken at signature {ev.pk}, which does not follow the row before it" in out
    assert f"Signature {iv.pk} on registration {stored.portfolio.pk}" in out and "has been deleted" in out


def test_the_last_signature_deleted_is_still_named_from_the_audit_trail(stored):
    ev = Signature.objects.get(portfolio=stored.portfolio, kind=K.EV)
    raw_sql("DELETE FROM assessments_recordrender WHERE signature_id = %s", [ev.pk], "assessments_recordrender")
    raw_sql("DELETE FROM assessments_signature WHERE id = %s", [ev.pk], "assessments_signature")
    code, out = verify()
    assert code == 1
    assert f"Signature {ev.pk} on registration {stored.portfolio.pk}" in out


def test_a_rewritten_signature_breaks_the_chain(stored):
    assessor = Signature.objects.get(portfolio=stored.portfolio, kind=K.ASSESSOR)
    raw_sql(
        "UPDATE assessments_signature SET signer_name = 'Someone Else' WHERE id = %s",
        [assessor.pk],
        "assessments_signature",
    )
    code, out = verify()
    assert code == 1
    assert f"broken at signature {assessor.pk}, which has been changed since it was written" in out


def test_evidence_changed_in_the_database_no_longer_matches_the_signatures(stored):
    raw_sql(
        "UPDATE assessments_evidence SET title = 'Something I never did' WHERE portfolio_id = %s",
        [stored.portfolio.pk],
        "assessments_evidence",
    )
    code, out = verify()
    assert code == 1
    assert "assessor signature" in out and "no longer matches the record" in out


def test_a_withdrawn_signature_made_to_look_standing_again_is_named(world, covered):  # noqa: F811
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)
    assessor = unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    signature_withdraw(actor=world.assessor, signature=assessor, reason="Signed too soon")
    assert verify()[0] == 0
    raw_sql(
        "UPDATE assessments_signature SET withdrawn_at = NULL, withdrawn_by_id = NULL, withdrawal_reason = '' "
        "WHERE id = %s",
        [assessor.pk],
        "assessments_signature",
    )
    code, out = verify()
    assert code == 1
    assert f"The assessor signature {assessor.pk} on registration {world.portfolio.pk}" in out
    assert "the audit trail records its withdrawal" in out


def test_a_status_moved_behind_the_services_back_is_named(stored):
    raw_sql(
        "UPDATE assessments_portfolio SET status = 'in_progress' WHERE id = %s",
        [stored.portfolio.pk],
        "assessments_portfolio",
    )
    code, out = verify()
    assert code == 1
    assert "has status 'in_progress', but the last move the audit trail records left it 'complete'" in out


def test_a_deleted_audit_row_breaks_the_audit_chain(stored):
    rows = list(AuditEvent.objects.filter(centre=stored.centre).order_by("pk").values_list("pk", flat=True))
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [rows[3]], "audit_auditevent")
    code, out = verify()
    assert code == 1
    assert f"audit chain of centre {stored.centre.pk} is broken at audit row {rows[4]}" in out


# --- The status moves only through the services ------------------------------------------------------------


@pytest.fixture
def guarded(db):
    status_guard_on()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the status trigger is PostgreSQL's")
def test_postgresql_refuses_moving_a_status_behind_the_services_back(guarded, stored):
    # `stored` was signed through to complete with the trigger on: the services' own moves go through.
    refused = pytest.raises(DatabaseError, match="moves only through the sign-off services")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE assessments_portfolio SET status = 'in_progress' WHERE id = %s", [stored.portfolio.pk])
    stored.portfolio.refresh_from_db()
    assert stored.portfolio.status == "complete"
    # Saving the row for anything else (the same status written back) still works.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE assessments_portfolio SET status = status WHERE id = %s", [stored.portfolio.pk])


def test_the_admin_site_shows_the_status_read_only(client, stored):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:assessments_portfolio_change", args=[stored.portfolio.pk])
    page = client.get(url).content.decode()
    assert 'name="status"' not in page
    assert "Complete" in page


# --- The worker checks on a schedule -------------------------------------------------------------------------


def test_scheduling_the_check_enqueues_it_once_for_later(stored, settings):
    settings.RECORDS_VERIFY_HOURS = 6
    before = timezone.now()
    assert verify("--schedule")[0] == 0
    assert verify("--schedule")[0] == 0
    [waiting] = DBTaskResult.objects.filter(task_path=verify_records_regularly.module_path, status="READY")
    assert before + datetime.timedelta(hours=6) <= waiting.run_after <= timezone.now() + datetime.timedelta(hours=6)


def test_the_scheduled_check_tells_the_centre_admin_of_a_break_and_comes_back(stored):
    rewrite_file(stored.file.file, b"not the photo")
    verify_records_regularly.call()
    [note] = Notification.objects.filter(kind="records.broken")
    assert note.user == stored.admin and note.done_at is None
    assert "have been changed outside the application" in note.title
    assert f"Evidence file {stored.file.pk} (till.png" in note.body
    assert AuditEvent.objects.filter(action="records.broken", centre=stored.centre).count() == 1
    assert DBTaskResult.objects.filter(task_path=verify_records_regularly.module_path, status="READY").count() == 1


def test_the_scheduled_check_of_sound_records_tells_no_one(stored):
    verify_records_regularly.call()
    assert not Notification.objects.filter(kind="records.broken").exists()
    assert not AuditEvent.objects.filter(action="records.broken").exists()


# --- What the pages check: bounded by the unit, not the centre -----------------------------------------------


def page_problems(portfolio) -> list[str]:
    return [p.what for p in unit_problems(portfolio)]


def test_the_page_finds_a_rewritten_signature_and_a_deleted_one_before_it(stored):
    assessor = Signature.objects.get(portfolio=stored.portfolio, kind=K.ASSESSOR)
    raw_sql(
        "UPDATE assessments_signature SET signer_name = 'Someone Else' WHERE id = %s",
        [assessor.pk],
        "assessments_signature",
    )
    assert f"broken at signature {assessor.pk}, which has been changed since it was written" in " ".join(
        page_problems(stored.portfolio)
    )


def test_the_page_finds_a_signature_of_another_unit_deleted_just_before_one_of_this_unit(stored):
    other = PortfolioFactory(centre=stored.centre, assessor=stored.assessor, iv=stored.iv)
    theirs = Signature.objects.create(**signature_like(other))
    ours = Signature.objects.create(**signature_like(stored.portfolio))
    raw_sql("DELETE FROM assessments_signature WHERE id = %s", [theirs.pk], "assessments_signature")
    assert f"broken at signature {ours.pk}, which does not follow the row before it" in " ".join(
        page_problems(stored.portfolio)
    )


def test_the_page_finds_a_signature_rewritten_with_its_hash_made_to_fit(stored):
    # Rewriting a row and its own hash leaves the next row pointing at the old hash.
    assessor = Signature.objects.get(portfolio=stored.portfolio, kind=K.ASSESSOR)
    assessor.signer_name = "Someone Else"
    fitted = link_hash(assessor.chain_prev, assessor.chain_fields())
    raw_sql(
        "UPDATE assessments_signature SET signer_name = 'Someone Else', chain_hash = %s WHERE id = %s",
        [fitted, assessor.pk],
        "assessments_signature",
    )
    after = Signature.objects.filter(portfolio__centre=stored.centre, pk__gt=assessor.pk).order_by("pk").first()
    assert f"broken at signature {after.pk}, which does not follow the row before it" in " ".join(
        page_problems(stored.portfolio)
    )


def test_the_page_reads_a_file_again_only_when_storage_says_it_changed_and_then_finds_the_change(stored, monkeypatch):
    cache.clear()
    reads = []
    real = integrity.stored_sha256
    monkeypatch.setattr(integrity, "stored_sha256", lambda field: reads.append(field.name) or real(field))
    assert page_problems(stored.portfolio) == []
    first = len(reads)
    assert first == 2  # the evidence photo and the stored PDF
    assert page_problems(stored.portfolio) == [] and len(reads) == first  # unchanged: not read again

    rewrite_file(stored.file.file, b"not the photo that was uploaded")
    problems = page_problems(stored.portfolio)
    assert len(reads) == first + 1
    assert any(f"evidence file {stored.file.pk} (till.png" in p and "has been changed on disk" in p for p in problems)


def test_the_page_reads_no_more_rows_however_many_signatures_the_centre_holds(client, stored, monkeypatch):
    cache.clear()

    def whole_chain(*args, **kwargs):
        raise AssertionError("a page walked a whole chain: that is manage.py verify_records's work")

    monkeypatch.setattr(integrity, "chain_breaks", whole_chain)
    client.force_login(stored.iv)
    urls = [
        reverse("signoff", args=[stored.portfolio.pk]),
        reverse("record_verify_code", args=[RecordCode.objects.get(portfolio=stored.portfolio).code]),
    ]

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    def more_signatures(n: int) -> None:
        for _ in range(n):
            other = PortfolioFactory(centre=stored.centre, assessor=stored.assessor, iv=stored.iv)
            Signature.objects.create(**signature_like(other))

    queries()  # settle the session
    more_signatures(2)
    few = queries()
    more_signatures(25)
    assert queries() == few
    assert Signature.objects.filter(portfolio__centre=stored.centre).count() >= 30


def signature_like(portfolio) -> dict:
    return {
        "portfolio": portfolio,
        "kind": K.LEARNER if not Signature.objects.filter(portfolio=portfolio).exists() else K.ASSESSOR_COUNTERSIGN,
        "round": 1,
        "signer": portfolio.learner,
        "signer_name": portfolio.learner.full_name,
        "role": Role.LEARNER,
        "statement": "I declare this is my own work.",
        "signed_at": timezone.now(),
        "record": {},
        "digest": digest_of({}),
    }
