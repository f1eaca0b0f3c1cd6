"""deploy/backup.sh and deploy/restore_drill.sh with the files in an S3 bucket (STORAGE_BACKEND=s3, here a private
bucket on the local S3 server, tests/s3.py): the bucket is copied with the database by the app's own storage client
(deploy/bucket_copy.py, no AWS CLI), with the signed checkpoints kept in it (CHECKPOINT_LOG=storage:checkpoints/), and
the drill restores both into an empty database and folder and verifies every record and checkpoint there. Needs
PostgreSQL and its client tools: skipped without them, except in CI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command

from assessments.models import EvidenceFile
from assessments.records.checkpoints import new_key_text
from assessments.records.services.renders import record_render_store
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)
from tests.test_backup_restore import _database_url, _drill_databases, _postgres_or_skip

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_bucket(settings, s3_server, s3_bucket, complete):  # noqa: F811 (the fixture imported above)
    """A completed unit with its evidence file, stored record PDF and a signed checkpoint, all in the bucket."""
    _postgres_or_skip()
    settings.RECORDS_SIGNING_KEY = new_key_text()
    settings.RECORDS_PUBLIC_KEY = ""
    settings.CHECKPOINT_LOG = "storage:checkpoints/"
    world = complete
    world.render = record_render_store(portfolio=world.portfolio)
    world.file = EvidenceFile.objects.filter(evidence__portfolio=world.portfolio).get()
    call_command("records_checkpoint", "--no-email", stdout=io.StringIO())
    options = settings.STORAGES["default"]["OPTIONS"]
    world.env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": s3_bucket,
        "AWS_S3_ENDPOINT_URL": options["endpoint_url"],
        "AWS_S3_REGION_NAME": options["region_name"],
        "AWS_ACCESS_KEY_ID": options["access_key"],
        "AWS_SECRET_ACCESS_KEY": options["secret_key"],
        "CHECKPOINT_LOG": "storage:checkpoints/",
        # The web servers' environment holds the public key only.
        "RECORDS_SIGNING_KEY": "",
        "RECORDS_PUBLIC_KEY": "",
    }
    world.bucket, world.s3 = s3_bucket, s3_server.shared_client()
    return world


def run(world, script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / script), *args], env=world.env, capture_output=True, text=True, timeout=300
    )


def _keys(world) -> list[str]:
    return sorted(item["Key"] for item in world.s3.list_objects_v2(Bucket=world.bucket).get("Contents", []))


def test_the_bucket_is_backed_up_with_the_database_and_restores_into_a_drill_that_verifies_it(in_bucket, tmp_path):
    keys = _keys(in_bucket)
    assert in_bucket.file.file.name in keys and any(key.startswith("checkpoints/") for key in keys)

    made = run(in_bucket, "backup.sh", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    assert f"backup: bucket {in_bucket.bucket}" in made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    with tarfile.open(folder / "media.tar.gz") as archive:
        names = sorted(
            Path(n).as_posix().removeprefix("./") for n in archive.getnames() if archive.getmember(n).isfile()
        )
    # Every object, by its key: the evidence file, its thumbnail if any, the record PDF and the checkpoint.
    assert names == keys
    backup_txt = (folder / "backup.txt").read_text()
    assert "storage=s3\n" in backup_txt and "checkpoint_log=storage:checkpoints/\n" in backup_txt
    before = _drill_databases()

    drill = run(in_bucket, "restore_drill.sh", str(folder))

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert f"{len(keys)} files" in drill.stdout
    assert "with the backup's signed checkpoints (storage:checkpoints/)" in drill.stdout
    assert "the history still holds 1 signed checkpoint(s)" in drill.stdout
    assert drill.stdout.rstrip().endswith("and every record verifies.")
    assert _drill_databases() == before
    # The live bucket was only read.
    assert _keys(in_bucket) == keys


def test_an_evidence_object_changed_in_the_bucket_is_caught_by_the_drill_of_its_backup(in_bucket, tmp_path):
    in_bucket.s3.put_object(Bucket=in_bucket.bucket, Key=in_bucket.file.file.name, Body=b"not the photo uploaded")
    made = run(in_bucket, "backup.sh", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr

    drill = run(in_bucket, "restore_drill.sh", made.stdout.strip().splitlines()[-1])

    assert drill.returncode == 1
    assert f"Evidence file {in_bucket.file.pk} (" in drill.stdout
    assert "restore drill FAILED: the restored records do not verify" in drill.stderr


def test_a_copy_of_the_bucket_uploads_into_an_empty_bucket_only(in_bucket, tmp_path):
    copy = tmp_path / "copy"
    env = in_bucket.env
    down = subprocess.run(
        [sys.executable, "deploy/bucket_copy.py", "download", str(copy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert down.returncode == 0, down.stderr
    refused = subprocess.run(
        [sys.executable, "deploy/bucket_copy.py", "upload", str(copy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "is not empty" in refused.stderr

    in_bucket.s3.create_bucket(
        Bucket=f"{in_bucket.bucket}-new", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    restored = {**env, "AWS_STORAGE_BUCKET_NAME": f"{in_bucket.bucket}-new"}
    up = subprocess.run(
        [sys.executable, "deploy/bucket_copy.py", "upload", str(copy)],
        cwd=ROOT,
        env=restored,
        capture_output=True,
        text=True,
    )
    assert up.returncode == 0, up.stderr
    new = in_bucket.s3.list_objects_v2(Bucket=f"{in_bucket.bucket}-new").get("Contents", [])
    assert sorted(item["Key"] for item in new) == _keys(in_bucket)
    original = in_bucket.s3.get_object(Bucket=in_bucket.bucket, Key=in_bucket.file.file.name)["Body"].read()
    copied = in_bucket.s3.get_object(Bucket=f"{in_bucket.bucket}-new", Key=in_bucket.file.file.name)["Body"].read()
    assert copied == original
    in_bucket.s3.delete_objects(
        Bucket=f"{in_bucket.bucket}-new", Delete={"Objects": [{"Key": item["Key"]} for item in new]}
    )
    in_bucket.s3.delete_bucket(Bucket=f"{in_bucket.bucket}-new")
