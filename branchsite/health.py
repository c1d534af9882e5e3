"""Checks behind /healthz. In the embedded default (no REDIS_URL) tasks run eagerly, so the
broker and workers are reported but not required."""

import secrets

from django.conf import settings
from django.db import connection


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


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
    checks = {}
    for name, fn, required in (
        ("database", _database, True),
        ("broker", _broker, not eager),
        ("workers", _workers, not eager),
    ):
        if eager and name != "database":
            checks[name] = {"ok": True, "required": False, "detail": "eager mode (no REDIS_URL)"}
            continue
        try:
            detail = fn()
            checks[name] = {"ok": True, "required": required, "detail": detail or "ok"}
        except Exception as exc:
            checks[name] = {"ok": False, "required": required, "detail": type(exc).__name__}
    return checks


def may_see_details(request):
    """Staff, or a monitor presenting the token set in BRANCHSITE_HEALTHZ_TOKEN."""
    token = settings.BRANCHSITE_HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and secrets.compare_digest(given.encode(), token.encode()):
        return True
    return request.user.is_authenticated and request.user.is_staff
