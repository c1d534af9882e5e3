#!/usr/bin/env bash
# Backup and restore round trip, as README.md "Backup and restore" says: seed a database with
# uploads, back up the database (pg_dump -Fc) and the uploads folder (tar), restore both into
# a fresh database and a fresh folder, and compare every table's row count and every upload's
# sha256 (manage.py backup_inventory), and check that every file a record names is there.
#
# Needs PostgreSQL on 127.0.0.1:5432. BACKUP_DB (branchsite_backup) keeps trials apart.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$PWD/.venv/bin/python}
DB=${BACKUP_DB:-branchsite_backup}
RESTORED="${DB}_restored"
work=$(mktemp -d /tmp/branchsite-backup.XXXXXX)
cleanup() {
  dropdb --if-exists -h 127.0.0.1 -U postgres "$DB" >/dev/null 2>&1 || true
  dropdb --if-exists -h 127.0.0.1 -U postgres "$RESTORED" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

export DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
unset REDIS_URL  # tasks run in-process: no worker is needed to seed
src_url="postgres://postgres@127.0.0.1:5432/$DB"
dst_url="postgres://postgres@127.0.0.1:5432/$RESTORED"
mkdir -p "$work/media" "$work/restored-media" "$work/backup"

# --- a site with records and uploads ------------------------------------------------------------
for db in "$DB" "$RESTORED"; do
  dropdb --if-exists -h 127.0.0.1 -U postgres "$db"
done
createdb -h 127.0.0.1 -U postgres "$DB"
export DATABASE_URL="$src_url" BRANCHSITE_MEDIA_ROOT="$work/media"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo --force >/dev/null
"$PY" manage.py backup_inventory >"$work/before.json"

# --- back up (README) ----------------------------------------------------------------------------
pg_dump -Fc --no-owner -d "$DATABASE_URL" -f "$work/backup/branchsite.dump"
tar -C "$BRANCHSITE_MEDIA_ROOT" -czf "$work/backup/branchsite-media.tar.gz" .

# --- restore into a fresh database and folder (README) --------------------------------------
createdb -h 127.0.0.1 -U postgres "$RESTORED"
pg_restore --no-owner --exit-on-error -d "$dst_url" "$work/backup/branchsite.dump"
tar -C "$work/restored-media" -xzf "$work/backup/branchsite-media.tar.gz"
export DATABASE_URL="$dst_url" BRANCHSITE_MEDIA_ROOT="$work/restored-media"
"$PY" manage.py migrate --check >/dev/null
"$PY" manage.py backup_inventory >"$work/after.json"

# --- compare ---------------------------------------------------------------------------------------
"$PY" - "$work/before.json" "$work/after.json" <<'PYEOF'
import json, sys
before, after = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
problems = []
if before["tables"] != after["tables"]:
    for t in sorted(set(before["tables"]) | set(after["tables"])):
        if before["tables"].get(t) != after["tables"].get(t):
            problems.append(f"table {t}: {before['tables'].get(t)} rows -> {after['tables'].get(t)}")
if before["uploads"] != after["uploads"]:
    for f in sorted(set(before["uploads"]) | set(after["uploads"])):
        if before["uploads"].get(f) != after["uploads"].get(f):
            problems.append(f"upload {f}: sha256 differs or missing")
for name in after["missing_uploads"]:
    problems.append(f"a record names {name}, which is not in the restored folder")
rows = sum(before["tables"].values())
if rows == 0 or not before["uploads"] or not before["referenced_uploads"]:
    problems.append("the seeded site has no rows or no uploads: nothing was proven")
if problems:
    print("backup round trip FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"backup round trip: {len(before['tables'])} tables, {rows} rows and "
      f"{len(before['uploads'])} uploads (sha256) identical after restore")
PYEOF
