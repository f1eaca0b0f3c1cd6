"""What the backup and restore drill scripts need from the app's own settings, as shell lines to `eval`.

Read through Django's settings module, so the scripts see exactly what the web server and worker see: the same
environment, the same `ENV_FILE`, the same defaults. Nothing here connects to anything.

    backup_settings.py              PG* variables for pg_dump, psql and pg_restore, and where the files are
    backup_settings.py --url NAME   DATABASE_URL of the database NAME on the same server, as the same user
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def _settings():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    from django.conf import settings

    return settings


def _database(settings) -> dict:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):  # Django's backend, or the project's own built on it
        sys.exit(
            "The backup and restore drill scripts work on PostgreSQL (DATABASE_URL=postgres://...). This site uses "
            f"{db['ENGINE'].rsplit('.', 1)[-1]}: copy its database file with the site stopped instead."
        )
    return db


def shell_lines(settings) -> list[str]:
    db = _database(settings)
    storage = settings.STORAGES["default"]["BACKEND"]
    values = {
        "PGDATABASE": db["NAME"],
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "APP_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Evidence, thumbnails and record PDFs are either under MEDIA_ROOT or in an S3 bucket (STORAGE_BACKEND=s3).
        "APP_STORAGE": "s3" if "s3" in storage.lower() else "filesystem",
        "APP_BUCKET": settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name") or "",
        # With CHECKPOINT_LOG=storage:FOLDER/ the signed checkpoints are in the file store, so in the backup: the
        # drill checks the restored history against them.
        "APP_CHECKPOINT_LOG": getattr(settings, "CHECKPOINT_LOG", "") or "",
    }
    # An empty variable would override the tool's own default (libpq's local socket, say): leave those unset.
    return [f"export {key}={shlex.quote(value)}" for key, value in values.items() if value or key.startswith("APP_")]


def database_url(settings, name: str) -> str:
    db = _database(settings)
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or ""
    if host.startswith("/"):
        # A socket directory goes in the query, as libpq and dj-database-url both read it.
        return f"postgres://{credentials}/{quote(name, safe='')}?host={quote(host, safe='')}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"


def main(argv: list[str]) -> int:
    settings = _settings()
    if argv[:1] == ["--url"] and len(argv) == 2:
        print(database_url(settings, argv[1]))
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print("\n".join(shell_lines(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
