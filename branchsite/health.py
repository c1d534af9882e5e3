"""Checks behind /healthz. In the embedded default (no REDIS_URL) tasks run eagerly, so the
broker and workers are reported but not required."""

import secrets

from django.conf import settings
from django.db import connection, connections


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


REPLICA_LAG_LIMIT = 30  # seconds: past this the replica is reported not ok


def _replica():
    """How far the read replica is behind (seconds since the last replayed transaction,
    0 when it has replayed everything it received)."""
    from members.dbrouting import REPLICA

    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
        )
        lag = float(cursor.fetchone()[0])
    if lag > REPLICA_LAG_LIMIT:
        raise RuntimeError(f"replica {lag:.0f} s behind")
    return f"lag {lag:.1f} s"


def _broker():
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _workers():
    from .celery import app

    replies = app.control.ping(timeout=1.0) or []
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return len(replies)


def run_checks():
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    from members.dbrouting import replica_configured

    checks = {}
    probes = [
        ("database", _database, True),
        ("broker", _broker, not eager),
        ("workers", _workers, not eager),
    ]
    if replica_configured():
        # Reported, not required: the primary serves every page but those marked for the
        # replica (organizer pages, rollups, exports), which fail while it is down; point
        # DATABASE_REPLICA_URL at the primary until it is back.
        probes.append(("replica", _replica, False))
    for name, fn, required in probes:
        if eager and name != "database":
            checks[name] = {"ok": True, "required": False, "detail": "eager mode (no REDIS_URL)"}
            continue
        try:
            detail = fn()
            checks[name] = {"ok": True, "required": required, "detail": detail or "ok"}
        except Exception as exc:
            detail = str(exc) if name == "replica" else type(exc).__name__
            checks[name] = {"ok": False, "required": required, "detail": detail}
    return checks


def may_see_details(request):
    """Staff, or a monitor presenting the token set in BRANCHSITE_HEALTHZ_TOKEN."""
    token = settings.BRANCHSITE_HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and secrets.compare_digest(given.encode(), token.encode()):
        return True
    return request.user.is_authenticated and request.user.is_staff
