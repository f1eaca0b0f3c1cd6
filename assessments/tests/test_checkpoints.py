"""Signed checkpoints: `manage.py records_checkpoint` signs the chain heads with a key the database does not hold
and sends them out; `verify_records --checkpoint` proves a later history still holds them, so even a history
rewritten consistently (evidence, every stored record, digest and chain hash) is caught."""

from __future__ import annotations

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Signature, SignatureKind
from assessments.records.checkpoints import checkpoint_covering, new_key_text, read_checkpoints
from assessments.records.document import build_record, digest_of
from assessments.records.pdf.content import record_content
from assessments.records.pdf.render import record_html
from assessments.tests.test_integrity import verify
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from audit.chain import GENESIS, link_hash
from tests.tamper import raw_sql

K = SignatureKind


@pytest.fixture
def done(complete):  # noqa: F811 (the fixture imported above)
    """A completed unit: every signature made through the services."""
    return complete


@pytest.fixture
def keyed(settings, tmp_path):
    settings.RECORDS_SIGNING_KEY = new_key_text()
    settings.RECORDS_PUBLIC_KEY = ""
    settings.CHECKPOINT_LOG = str(tmp_path / "checkpoints.log")
    return settings


def checkpoint(*args: str) -> str:
    out = io.StringIO()
    call_command("records_checkpoint", *args, stdout=out)
    return out.getvalue()


def rewrite_consistently(world) -> None:
    """What a database administrator with time could do: change the evidence, then make every stored record,
    digest and chain hash agree with it again, so every check inside the database passes."""
    raw_sql(
        "UPDATE assessments_evidence SET title = 'A complaint that never happened' WHERE portfolio_id = %s",
        [world.portfolio.pk],
        "assessments_evidence",
    )
    raw_sql("DELETE FROM assessments_recordrender", [], "assessments_recordrender")
    prev = GENESIS
    for s in Signature.objects.filter(portfolio__centre=world.centre).order_by("pk"):
        s.record = build_record(world.portfolio, judgements=s.kind != K.LEARNER)
        s.digest = digest_of(s.record)
        s.chain_prev, s.chain_hash = prev, link_hash(prev, s.chain_fields())
        prev = s.chain_hash
        raw_sql(
            "UPDATE assessments_signature SET record = %s, digest = %s, chain_prev = %s, chain_hash = %s WHERE id = %s",
            [json.dumps(s.record), s.digest, s.chain_prev, s.chain_hash, s.pk],
            "assessments_signature",
        )


def test_a_checkpoint_is_signed_logged_and_emailed_to_each_admin_and_allocated_ev(keyed, done):
    out = checkpoint()
    # Every centre's admins (the other centre's too: the checkpoint covers every chain) and the allocated EV.
    assert "signed, appended to" in out and "emailed to 3 people" in out
    [point] = read_checkpoints(keyed.CHECKPOINT_LOG)
    heads = {(h["chain"], h["key"]): h for h in point["payload"]["heads"]}
    last = Signature.objects.filter(portfolio__centre=done.centre).latest("pk")
    assert heads[("signatures", done.centre.pk)] == {
        "chain": "signatures",
        "key": done.centre.pk,
        "row": last.pk,
        "hash": last.chain_hash,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted([done.admin.email, done.ev.email, done.outsider.email])
    assert json.dumps(point, sort_keys=True, separators=(",", ":")) in mail.outbox[0].body
    assert keyed.RECORDS_SIGNING_KEY not in mail.outbox[0].body


def test_without_a_key_the_command_says_how_to_set_one(settings, done):
    settings.RECORDS_SIGNING_KEY = settings.RECORDS_SIGNING_KEY_FILE = ""
    with pytest.raises(CommandError, match="RECORDS_SIGNING_KEY"):
        checkpoint()


def test_the_key_may_come_from_a_file(keyed, done, tmp_path):
    key_file = tmp_path / "records.key"
    key_file.write_text(keyed.RECORDS_SIGNING_KEY)
    keyed.RECORDS_SIGNING_KEY, keyed.RECORDS_SIGNING_KEY_FILE = "", str(key_file)
    checkpoint("--no-email")
    assert verify("--checkpoint", keyed.CHECKPOINT_LOG)[0] == 0


def test_an_untouched_history_holds_its_checkpoint(keyed, done):
    checkpoint("--no-email")
    code, out = verify("--checkpoint", keyed.CHECKPOINT_LOG)
    assert code == 0, out
    assert "still holds 1 signed checkpoint(s)" in out


def test_a_consistent_rewrite_passes_every_check_inside_the_database_but_not_the_checkpoint(keyed, done):
    checkpoint("--no-email")
    rewrite_consistently(done)
    code, out = verify()
    assert code == 0, out  # nothing inside the database gives it away
    code, out = verify("--checkpoint", keyed.CHECKPOINT_LOG)
    assert code == 1
    last = Signature.objects.filter(portfolio__centre=done.centre).latest("pk")
    assert f"row {last.pk} of signatures chain {done.centre.pk} no longer has the hash the checkpoint signed" in out


def test_a_checkpoint_signed_with_another_key_or_edited_is_not_trusted(keyed, done, tmp_path):
    checkpoint("--no-email")
    [point] = read_checkpoints(keyed.CHECKPOINT_LOG)
    service_key = point["public_key"]
    edited = tmp_path / "edited.log"
    point["payload"]["heads"][0]["hash"] = "f" * 64
    edited.write_text(json.dumps(point))
    code, out = verify("--checkpoint", str(edited))
    assert code == 1 and "does not verify" in out
    other = tmp_path / "other.log"
    keyed.RECORDS_SIGNING_KEY, keyed.CHECKPOINT_LOG = new_key_text(), str(other)
    checkpoint("--no-email")
    keyed.RECORDS_PUBLIC_KEY = service_key  # what verifiers trust: the service's own public key
    code, out = verify("--checkpoint", str(other))
    assert code == 1 and "not signed with this service's checkpoint key" in out


def test_the_record_pdf_prints_the_checkpoint_it_falls_under(keyed, done):
    last = Signature.objects.filter(portfolio=done.portfolio).latest("pk")
    assert checkpoint_covering(last, done.centre.pk) is None
    checkpoint("--no-email")
    covering = checkpoint_covering(last, done.centre.pk)
    assert covering is not None
    html = record_html(record_content(done.portfolio))
    assert "Signed checkpoint" in html and covering.fingerprint in html
