#!/usr/bin/env bash
# Restore drill: prove that a backup from deploy/backup.sh restores into a working site whose records still verify.
#
#   deploy/restore_drill.sh [--keep] [--checkpoint FILE] BACKUP_DIR
#
# 1. checks the archives against the backup's SHA256SUMS;
# 2. restores database.dump into a new, empty PostgreSQL database (portfolio_drill_<time>, made on the app's own
#    server with template0, so nothing is in it beforehand), or into DRILL_DATABASE_URL, which must exist and be
#    empty;
# 3. unpacks media.tar.gz into a new empty folder, used as the file store (MEDIA_ROOT, file system storage);
# 4. runs, against those two only, `manage.py migrate --check` (the dump's schema is this code's, no migration
#    missing) and `manage.py verify_records` (both hash chains whole, every signature's digest, every evidence file
#    and stored record PDF against its SHA-256; with --checkpoint, that the restored history still holds every
#    signed checkpoint in FILE; a backup whose CHECKPOINT_LOG was storage:FOLDER/, as on several machines, holds its
#    checkpoints among the files, and they are checked too);
# 5. checks that the restored database holds at least the signatures and audit rows counted when the backup was
#    made (neither is ever deleted, so fewer means a partial restore).
# It exits non-zero on the first thing that fails, and drops the drill database and folder afterwards unless
# --keep. Run it with the environment the web server has (ENV_FILE=...): the live database is only read for its
# server address and credentials; the drill database's user needs CREATEDB.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

keep=0
checkpoint=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --checkpoint) checkpoint=(--checkpoint "$2"); shift 2 ;;
    -*) echo "restore drill: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "usage: deploy/restore_drill.sh [--keep] [--checkpoint FILE] BACKUP_DIR" >&2
  exit 2
fi
backup="$(cd "$1" && pwd)"
fail() { echo "restore drill FAILED: $*" >&2; exit 1; }
for tool in pg_restore psql createdb dropdb tar sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (Debian: postgresql-client)"
done
for part in database.dump media.tar.gz backup.txt SHA256SUMS; do
  [ -f "$backup/$part" ] || fail "$backup has no $part"
done

echo "== 1. The archives match the backup's SHA256SUMS"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || fail "an archive no longer matches its SHA-256"

settings="$("$PYTHON" "$ROOT/deploy/backup_settings.py")"
eval "$settings"
unset PGDATABASE
media="$(mktemp -d "${TMPDIR:-/tmp}/portfolio-drill-media.XXXXXX")"
if [ -n "${DRILL_DATABASE_URL:-}" ]; then
  drill_url="$DRILL_DATABASE_URL"
  made_db=""
else
  made_db="portfolio_drill_$(date -u +%Y%m%d%H%M%S)_$$"
  drill_url="$("$PYTHON" "$ROOT/deploy/backup_settings.py" --url "$made_db")"
fi
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "restore drill: kept the database (${made_db:-$drill_url}) and the files ($media)" >&2
    return
  fi
  rm -rf "$media"
  if [ -n "$made_db" ]; then dropdb --if-exists "$made_db" || true; fi
}
trap cleanup EXIT

echo "== 2. Restore the database into an empty one"
if [ -n "$made_db" ]; then
  createdb --template=template0 --encoding=UTF8 "$made_db" || fail "could not create the database $made_db"
fi
tables="$(psql -X -A -t -d "$drill_url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
[ "$tables" = 0 ] || fail "the drill database is not empty ($tables tables): give an empty one"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$drill_url" \
  "$backup/database.dump" || fail "pg_restore could not restore database.dump"

echo "== 3. Unpack the files into an empty folder"
tar -C "$media" -xzf "$backup/media.tar.gz" || fail "could not unpack media.tar.gz"
echo "   $(find "$media" -type f | wc -l) files"

# Everything below sees only the restored copies: the drill database and the drill folder on the file system.
app() { env DATABASE_URL="$drill_url" MEDIA_ROOT="$media" STORAGE_BACKEND=filesystem "$PYTHON" "$ROOT/manage.py" "$@"; }

# The backup's own checkpoints, kept in the file store (CHECKPOINT_LOG=storage:FOLDER/), are in the unpacked folder.
checkpoint_log=""
# shellcheck disable=SC1091
. "$backup/backup.txt"
if [ ${#checkpoint[@]} -eq 0 ] && [ "${checkpoint_log#storage:}" != "$checkpoint_log" ] \
  && [ -d "$media/${checkpoint_log#storage:}" ]; then
  checkpoint=(--checkpoint "$checkpoint_log")
  echo "   with the backup's signed checkpoints ($checkpoint_log)"
fi

echo "== 4. No migration missing, and every record verifies"
if ! app migrate --check --noinput >/dev/null; then
  app showmigrations --plan | grep -F '[ ]' >&2 || true
  fail "the restored database lacks the migrations above: it is older than this code (restore with the code it was made with, then migrate)"
fi
app verify_records "${checkpoint[@]}" || fail "the restored records do not verify (above)"

echo "== 5. Nothing lost since the backup was counted"
read -r restored_signatures restored_audit < <(psql -X -A -t -F ' ' -d "$drill_url" -c \
  "SELECT (SELECT count(*) FROM assessments_signature), (SELECT count(*) FROM audit_auditevent)")
echo "   signatures $restored_signatures (at least $signatures), audit rows $restored_audit (at least $audit_rows)"
[ "$restored_signatures" -ge "$signatures" ] || fail "fewer signatures restored than the backup counted"
[ "$restored_audit" -ge "$audit_rows" ] || fail "fewer audit rows restored than the backup counted"

echo "Restore drill passed: $backup restores into an empty database and folder, and every record verifies."
