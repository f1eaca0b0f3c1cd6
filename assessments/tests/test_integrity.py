"""Changes to a completed unit made behind the application's back (raw SQL with the triggers off, files rewritten
in storage) are found by `manage.py verify_records`, which names what changed and exits non-zero."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from assessments.models import EvidenceFile, Signature, SignatureKind
from assessments.services.records import record_render_store
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.models import AuditEvent
from tests.tamper import raw_sql, rewrite_file

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
