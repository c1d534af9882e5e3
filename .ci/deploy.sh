#!/usr/bin/env bash
# Deploy branchsite exactly as README.md "Running in production" says, then test what was
# deployed: `check --deploy`, then in Chromium over HTTPS the production smoke checks
# (tests/browser/test_deployed.py) and the users' journeys (test_deployed_journeys.py: a
# secretary logs a session, a member checks in by the code, an organizer runs an appraisal to
# its records and export, a case handler records a clarification, a commendation is decided
# and the deployed worker e-mails the member, beat's schedule reaches the worker), both marked
# `deployed`; then one worker and exactly one beat still alive.
#
# CI stands in for what the README leaves to the operator: it creates an empty PostgreSQL
# database, gives gunicorn a self-signed certificate where a TLS proxy would sit, sends mail
# to files (EMAIL_URL=filemail://...) instead of an SMTP server, and loads the demo data so
# the journeys have logins. Everything it starts is stopped on exit.
#
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (.ci/run starts them).
# DEPLOY_DB (branchsite_deploy), DEPLOY_REDIS_DB (1) and DEPLOY_PORT (8300) keep trials apart;
# screenshots at 375 px go to BROWSER_SCREENSHOT_DIR (test-results/deployed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$PWD/.venv/bin/python}
BIN=$(dirname "$PY")
DB=${DEPLOY_DB:-branchsite_deploy}
REDIS_DB=${DEPLOY_REDIS_DB:-1}
PORT=${DEPLOY_PORT:-8300}
SCREENSHOTS=${BROWSER_SCREENSHOT_DIR:-$PWD/test-results/deployed}
work=$(mktemp -d /tmp/branchsite-deploy.XXXXXX)
pids=()
started=$(date +%s)
mark=$started
phase() {  # how long the step before took, and the whole so far
  local now
  now=$(date +%s)
  printf '=== deploy: %s (%ss, %ss in all)\n' "$1" "$((now - mark))" "$((now - started))"
  mark=$now
}

stop() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*.log; do echo "--- $log (last lines)"; tail -n 40 "$log"; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT

# --- what the operator provides -----------------------------------------------------------
dropdb --if-exists -h 127.0.0.1 -U postgres "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
mkdir -p "$work/mail" "$work/media" "$work/state"

# --- README.md, "Running in production", step by step ----------------------------------------
export DJANGO_DEBUG=0  # also overrides a development checkout's .env (manage.py reads it)
export DJANGO_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
export EMAIL_URL="filemail:///$work/mail"
export BRANCHSITE_MEDIA_ROOT="$work/media"
export BRANCHSITE_HEALTHZ_TOKEN="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
unset DJANGO_STATIC_MANIFEST DJANGO_SECURE_SSL_REDIRECT DJANGO_SECURE_COOKIES \
  DJANGO_HSTS_SECONDS BRANCHSITE_2FA_REQUIRED_FOR

phase "database, Redis and certificate ready"
"$PY" manage.py check --deploy --fail-level WARNING
phase "check --deploy"
"$PY" manage.py migrate --noinput
phase "migrate"
"$PY" manage.py collectstatic --noinput
phase "collectstatic"
# CI only: demo logins and records for the journeys (never on a real server).
"$PY" manage.py seed_demo --force
phase "seed_demo"

"$BIN/gunicorn" branchsite.wsgi --workers 4 --bind "127.0.0.1:$PORT" \
  --certfile "$work/tls.crt" --keyfile "$work/tls.key" \
  --access-logfile - >"$work/gunicorn.log" 2>&1 &
pids+=($!)
"$BIN/celery" -A branchsite worker --loglevel INFO >"$work/worker.log" 2>&1 &
pids+=($!)
"$BIN/celery" -A branchsite beat --loglevel INFO --schedule "$work/state/beat-schedule" \
  >"$work/beat.log" 2>&1 &
beat=$!
pids+=("$beat")

# --- is it up? ----------------------------------------------------------------------------------
base="https://127.0.0.1:$PORT"
for i in $(seq 90); do
  body=$(curl -ksf -H "Authorization: Bearer $BRANCHSITE_HEALTHZ_TOKEN" "$base/healthz" || true)
  if [ -n "$body" ] && "$PY" -c 'import json,sys; b=json.loads(sys.argv[1]); sys.exit(b["status"] != "ok")' "$body"; then
    echo "deployed: $base healthy after ${i}s: $body"
    break
  fi
  [ "$i" -eq 90 ] && { echo "deployed server not healthy: $body"; exit 1; }
  sleep 1
done

phase "gunicorn, worker and beat up"

# --- the production smoke checks and the users' journeys ----------------------------------
BRANCHSITE_BROWSER_BASE_URL="$base" BRANCHSITE_DEPLOY_MAIL_DIR="$work/mail" \
  BRANCHSITE_DEPLOY_LOG_DIR="$work" BROWSER_SCREENSHOT_DIR="$SCREENSHOTS" \
  "$PY" -m pytest tests/browser/test_deployed.py tests/browser/test_deployed_journeys.py \
  -m deployed -q -p no:cacheprovider --durations=5
phase "smoke checks and journeys in Chromium"

# --- one worker, exactly one beat, still running; beat did start its scheduler ---------------
for pid in "${pids[@]}"; do kill -0 "$pid" || { echo "process $pid died"; exit 1; }; done
grep -q "beat: Starting" "$work/beat.log" || { echo "beat did not start"; exit 1; }
beats=$(pgrep -P $$ -f "celery -A branchsite beat" | wc -l)
[ "$beats" -eq 1 ] || { echo "expected exactly one beat, found $beats"; exit 1; }
phase "passed (gunicorn, worker and one beat ran the journeys; stopping them)"
