#!/usr/bin/env bash
# Back up the database and the file store together: deploy/backup.sh DEST_DIR
#
# Makes DEST_DIR/portfolio-YYYYMMDDTHHMMSSZ/ holding
#   database.dump   pg_dump in its custom format (pg_restore reads it; compressed)
#   media.tar.gz    every stored file: evidence, thumbnails, record PDFs, exports
#   backup.txt      when, from which code, and how many signatures, audit rows and files there were
#   SHA256SUMS      the hashes of the two archives, checked by deploy/restore_drill.sh before it restores
# and prints that folder's path as its last line.
#
# Settings come from the app itself (deploy/backup_settings.py), so run it with the environment the web server has
# (ENV_FILE=/etc/portfolio/portfolio.env, or inside the compose web service). The database is dumped first and the
# files archived after it: a file is stored before the row that names it is committed and is never changed after,
# so every file the dump names is in the archive. With STORAGE_BACKEND=s3 the bucket's objects are copied by
# deploy/bucket_copy.py, with the app's own bucket settings and credentials (no AWS CLI needed), and archived the
# same way; that includes the signed checkpoints when CHECKPOINT_LOG=storage:FOLDER/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

if [ $# -ne 1 ]; then
  echo "usage: deploy/backup.sh DEST_DIR" >&2
  exit 2
fi
for tool in pg_dump tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "backup: $tool is not installed (Debian: postgresql-client)" >&2; exit 1; }
done

settings="$("$PYTHON" "$ROOT/deploy/backup_settings.py")"
eval "$settings"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dest="$1/portfolio-$stamp"
mkdir -p "$dest"
# Backups hold every learner's evidence: readable by their owner only.
chmod 700 "$dest"
umask 077

# Counted before the dump: signatures and audit rows are never deleted, so the restored database must hold at
# least these many (the drill checks).
counts="$(psql -X -A -t -F ' ' -c "SELECT (SELECT count(*) FROM assessments_signature),
  (SELECT count(*) FROM audit_auditevent), (SELECT count(*) FROM assessments_evidencefile),
  (SELECT count(*) FROM assessments_recordrender)")"
read -r signatures audit_rows evidence_files record_pdfs <<<"$counts"

echo "backup: database $PGDATABASE" >&2
pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump"

if [ "$APP_STORAGE" = s3 ]; then
  echo "backup: bucket $APP_BUCKET" >&2
  # Copied with the app's own storage settings and credentials (deploy/bucket_copy.py), then archived as the file
  # system's files are: the restore drill reads both the same way.
  copy="$(mktemp -d)"
  trap 'rm -rf "$copy"' EXIT
  "$PYTHON" "$ROOT/deploy/bucket_copy.py" download "$copy"
  tar -C "$copy" -czf "$dest/media.tar.gz" .
else
  echo "backup: files in $APP_MEDIA_ROOT" >&2
  mkdir -p "$APP_MEDIA_ROOT"
  tar -C "$APP_MEDIA_ROOT" -czf "$dest/media.tar.gz" .
fi

commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
cat >"$dest/backup.txt" <<EOF
made_at=$stamp
database=$PGDATABASE
storage=$APP_STORAGE
checkpoint_log=$(printf %q "$APP_CHECKPOINT_LOG")
code_commit=$commit
signatures=$signatures
audit_rows=$audit_rows
evidence_files=$evidence_files
record_pdfs=$record_pdfs
EOF
(cd "$dest" && sha256sum database.dump media.tar.gz >SHA256SUMS)

echo "backup: $signatures signatures, $audit_rows audit rows, $evidence_files evidence files, $record_pdfs record PDFs" >&2
echo "$dest"
