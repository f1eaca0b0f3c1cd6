"""Copy the file store's S3 bucket (STORAGE_BACKEND=s3) to a folder and back, for deploy/backup.sh and a restore.

    bucket_copy.py download DIR   every object in the bucket into DIR (made if missing), by its key
    bucket_copy.py upload DIR     every file under DIR into the bucket, which must be empty (a restore)

The bucket, endpoint and credentials are the app's own (its settings, read as the web server and worker read them,
with ENV_FILE), reached through the same storage backend and client, so an instance role, MinIO's path-style
addresses and the like work as they do for the app; no AWS CLI is needed. Prints how many objects and bytes it
copied, on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent


def _storage():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    import django

    django.setup()
    from django.core.files.storage import default_storage
    from storages.backends.s3 import S3Storage

    if not isinstance(default_storage, S3Storage):
        sys.exit("bucket_copy: the files are not in an S3 bucket (STORAGE_BACKEND is not s3): nothing to copy.")
    return default_storage


def _safe_path(folder: Path, key: str) -> Path:
    # A key is a name, not a path to follow: no absolute keys, no way out of the folder.
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or ".." in parts:
        sys.exit(f"bucket_copy: refusing the object key {key!r}: it is not a plain relative name")
    return folder.joinpath(*parts)


def download(storage, folder: Path) -> tuple[int, int]:
    folder.mkdir(parents=True, exist_ok=True)
    count = size = 0
    for summary in storage.bucket.objects.all():
        if summary.key.endswith("/"):  # a "folder" placeholder some tools make: nothing to keep
            continue
        target = _safe_path(folder, summary.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        storage.bucket.download_file(summary.key, str(target))
        count += 1
        size += summary.size
    return count, size


def upload(storage, folder: Path) -> tuple[int, int]:
    if next(iter(storage.bucket.objects.limit(1)), None) is not None:
        sys.exit(
            f"bucket_copy: the bucket {storage.bucket_name} is not empty: restore into a new, empty bucket, and point "
            "AWS_STORAGE_BUCKET_NAME at it."
        )
    count = size = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = path.relative_to(folder).as_posix()
        # With the ACL the app gives what it stores (private), where the bucket still takes ACLs.
        extra = {"ACL": storage.default_acl} if storage.default_acl else {}
        storage.bucket.upload_file(str(path), key, ExtraArgs=extra)
        count += 1
        size += path.stat().st_size
    return count, size


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"download", "upload"}:
        print(__doc__, file=sys.stderr)
        return 2
    storage = _storage()
    folder = Path(argv[1])
    count, size = (download if argv[0] == "download" else upload)(storage, folder)
    direction = "from" if argv[0] == "download" else "into"
    print(f"bucket_copy: {count} objects, {size} bytes, {direction} the bucket {storage.bucket_name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
