"""deploy/backup.sh and deploy/restore_drill.sh end to end: a completed, signed unit with its evidence file and stored
record PDF is backed up, restored into a new empty database and folder, and verified there; a backup whose files no
longer match the records fails the drill. Needs PostgreSQL and its client tools: skipped without them, except in CI."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from assessments.models import EvidenceFile
from assessments.records.services.renders import record_render_store
from assessments.tests.test_record_pdf import complete, covered  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _postgres_or_skip() -> None:
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql", "createdb") if shutil.which(tool) is None]
    reason = f"{', '.join(missing)} not installed" if missing else ""
    if connection.vendor != "postgresql":
        reason = "the tests run on SQLite"
    if reason:
        # CI runs the tests on PostgreSQL with the client tools installed: there a skip would hide a broken drill.
        if os.environ.get("CI"):
            pytest.fail(f"the backup and restore drill cannot run: {reason}")
        pytest.skip(f"the backup and restore drill needs PostgreSQL: {reason}")


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def _drill_databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'portfolio_drill_%%'")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def media(settings, tmp_path) -> Path:
    _postgres_or_skip()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def signed(media, complete):  # noqa: F811 (the fixture imported above)
    """A completed unit, committed (the scripts read the database from other processes), with its stored PDF."""
    world = complete
    world.render = record_render_store(portfolio=world.portfolio)
    world.file = EvidenceFile.objects.filter(evidence__portfolio=world.portfolio).get()
    world.media = media
    return world


def run(script: str, *args: str, media: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _database_url(), "MEDIA_ROOT": str(media), "STORAGE_BACKEND": "filesystem"}
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / script), *args], env=env, capture_output=True, text=True, timeout=300
    )


def backup(world, tmp_path) -> Path:
    made = run("backup.sh", str(tmp_path / "backups"), media=world.media)
    assert made.returncode == 0, made.stderr
    return Path(made.stdout.strip().splitlines()[-1])


def test_a_backup_restores_into_an_empty_database_and_every_record_verifies(signed, tmp_path):
    folder = backup(signed, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["SHA256SUMS", "backup.txt", "database.dump", "media.tar.gz"]
    with tarfile.open(folder / "media.tar.gz") as archive:
        names = {Path(n).as_posix().removeprefix("./") for n in archive.getnames()}
    assert signed.file.file.name in names and signed.render.file.name in names
    assert "signatures=4\n" in (folder / "backup.txt").read_text()
    before = _drill_databases()

    drill = run("restore_drill.sh", str(folder), media=signed.media)

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "All records verified" in drill.stdout
    assert "signatures 4 (at least 4)" in drill.stdout
    assert drill.stdout.rstrip().endswith("and every record verifies.")
    # The drill database is dropped and the live files were never touched.
    assert _drill_databases() == before
    assert hashlib.sha256(signed.file.file.storage.open(signed.file.file.name).read()).hexdigest() == signed.file.sha256


def test_a_backup_whose_evidence_file_was_changed_fails_the_drill_naming_the_file(signed, tmp_path):
    folder = backup(signed, tmp_path)
    # Someone rewrites the evidence file inside the archive and recomputes SHA256SUMS to match: only the records'
    # own hashes can tell, which is what the drill checks against the restored copy.
    repacked = io.BytesIO()
    with tarfile.open(folder / "media.tar.gz") as old, tarfile.open(fileobj=repacked, mode="w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if member.isfile() and Path(member.name).as_posix().removeprefix("./") == signed.file.file.name:
                data = b"not the photo that was uploaded"
                member.size = len(data)
            new.addfile(member, io.BytesIO(data) if data is not None else None)
    (folder / "media.tar.gz").write_bytes(repacked.getvalue())
    sums = subprocess.run(["sha256sum", "database.dump", "media.tar.gz"], cwd=folder, capture_output=True, text=True)
    (folder / "SHA256SUMS").write_text(sums.stdout)

    drill = run("restore_drill.sh", str(folder), media=signed.media)

    assert drill.returncode == 1
    assert f"Evidence file {signed.file.pk} (till.png" in drill.stdout and "has been changed on disk" in drill.stdout
    assert "restore drill FAILED: the restored records do not verify" in drill.stderr


def test_an_archive_that_no_longer_matches_its_sha256_is_refused_before_restoring(signed, tmp_path):
    folder = backup(signed, tmp_path)
    with (folder / "database.dump").open("ab") as dump:
        dump.write(b"\0")
    before = _drill_databases()

    drill = run("restore_drill.sh", str(folder), media=signed.media)

    assert drill.returncode == 1
    assert "an archive no longer matches its SHA-256" in drill.stderr
    assert "== 2." not in drill.stdout and _drill_databases() == before
