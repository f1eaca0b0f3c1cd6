"""CHECKPOINT_LOG=storage:checkpoints/ on several machines: each signed checkpoint is an object of its own in the file
storage (here a private bucket on the local S3 server, tests/s3.py), so the record PDF a worker on another machine
renders prints the checkpoint it falls under, and `verify_records --checkpoint storage:checkpoints/` checks every one,
reading the bucket itself rather than the cache."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from assessments.models import Signature
from assessments.records.checkpoints import checkpoint_covering, new_key_text, read_checkpoints
from assessments.records.pdf.content import record_content
from assessments.records.pdf.render import record_html
from assessments.tests.test_integrity import verify
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)

LOG = "storage:checkpoints/"


@pytest.fixture
def shared_log(settings, s3_bucket):
    settings.RECORDS_SIGNING_KEY = new_key_text()
    settings.RECORDS_PUBLIC_KEY = ""
    settings.CHECKPOINT_LOG = LOG
    return s3_bucket


def checkpoint() -> str:
    out = io.StringIO()
    call_command("records_checkpoint", "--no-email", stdout=out)
    return out.getvalue()


def _objects(bucket: str, s3_server) -> list[str]:
    listed = s3_server.shared_client().list_objects_v2(Bucket=bucket, Prefix="checkpoints/").get("Contents", [])
    return sorted(item["Key"] for item in listed)


def test_each_checkpoint_is_an_object_of_its_own_in_the_bucket_and_all_verify(shared_log, s3_server, complete):  # noqa: F811
    assert read_checkpoints(LOG) == []
    first = checkpoint()
    second = checkpoint()
    names = _objects(shared_log, s3_server)
    assert len(names) == 2 and all(name.endswith(".json") for name in names)
    assert f"appended to storage:{names[0]}" in first and f"appended to storage:{names[1]}" in second
    points = read_checkpoints(LOG)
    assert [p["payload"]["at"] for p in points] == sorted(p["payload"]["at"] for p in points)
    assert [json.dumps(p, sort_keys=True, separators=(",", ":")) for p in points] == [
        first.strip().splitlines()[-1],
        second.strip().splitlines()[-1],
    ]
    code, out = verify("--checkpoint", LOG)
    assert code == 0, out
    assert "the history still holds 2 signed checkpoint(s)" in out


def test_the_record_pdf_rendered_elsewhere_prints_the_checkpoint_from_the_bucket(shared_log, complete):  # noqa: F811
    last = Signature.objects.filter(portfolio=complete.portfolio).latest("pk")
    assert checkpoint_covering(last, complete.centre.pk) is None
    checkpoint()
    # Another machine: nothing in its cache, only the bucket.
    cache.clear()
    covering = checkpoint_covering(last, complete.centre.pk)
    assert covering is not None
    html = record_html(record_content(complete.portfolio))
    assert "Signed checkpoint" in html and covering.fingerprint in html


def test_a_checkpoint_object_changed_in_the_bucket_fails_verification_whatever_the_cache_says(shared_log, complete):  # noqa: F811
    checkpoint()
    last = Signature.objects.filter(portfolio=complete.portfolio).latest("pk")
    # The render has read (and cached) the genuine checkpoint.
    assert checkpoint_covering(last, complete.centre.pk) is not None
    [name] = default_storage.listdir("checkpoints/")[1]
    point = json.loads(default_storage.open(f"checkpoints/{name}").read())
    point["payload"]["heads"][0]["hash"] = "f" * 64
    default_storage.delete(f"checkpoints/{name}")
    default_storage.save(f"checkpoints/{name}", ContentFile(json.dumps(point).encode()))
    code, out = verify("--checkpoint", LOG)
    assert code == 1 and "does not verify" in out
