"""Per-address and per-account limits on logging in and asking for a password reset.

django-axes locks a username *from one address* after a few failures; these limits add what it
does not cover: one address trying many accounts (or flooding reset mails), and one account
tried from many addresses. Counts live in the database (`ThrottleCount`), in fixed windows, so
a limit holds with the cache down, across every gunicorn worker and server.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import ThrottleCount


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def limit(name: str) -> Limit:
    count, seconds = settings.BRANCHSITE_THROTTLES[name]
    return Limit(name, count, seconds)


def client_ip(request) -> str:
    """The caller's address: REMOTE_ADDR, or behind DJANGO_TRUSTED_PROXIES proxies the entry
    they appended to X-Forwarded-For (a caller can forge entries to the left, never these)."""
    proxies = settings.BRANCHSITE_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _key(value: str) -> str:
    # Hashed with the secret key: the table is a rate counter, not a log of who tried what.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()


def _window(seconds: int, now: datetime) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def count(lim: Limit, value: str, *, now: datetime | None = None) -> int:
    """Hits so far in the current window (read only)."""
    start = _window(lim.seconds, now or timezone.now())
    row = ThrottleCount.objects.filter(scope=lim.scope, key=_key(value), window_start=start)
    return row.values_list("hits", flat=True).first() or 0


def exceeded(lim: Limit, value: str, *, now: datetime | None = None) -> bool:
    return count(lim, value, now=now) >= lim.count


def hit(lim: Limit, value: str, *, now: datetime | None = None) -> int:
    """Count one attempt; returns the hits in the window including this one. One atomic
    INSERT ... ON CONFLICT DO UPDATE, so concurrent attempts are all counted."""
    now = now or timezone.now()
    start = _window(lim.seconds, now)
    table = ThrottleCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, key, window_start, hits) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (scope, key, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [lim.scope, _key(value), connection.ops.adapt_datetimefield_value(start)],
        )
        hits = cursor.fetchone()[0]
        if hits == 1:
            # A new window began: forget windows that ended more than a day ago.
            ThrottleCount.objects.filter(window_start__lt=now - timedelta(days=1)).delete()
    return hits


def login_blocked(request) -> bool:
    """Too many failed logins from this address, or against the account being tried."""
    username = request.POST.get("username", "")
    return exceeded(limit("login_ip"), client_ip(request)) or (
        bool(username) and exceeded(limit("login_account"), username.casefold())
    )


@receiver(user_login_failed, dispatch_uid="branchsite.throttle.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    """Count a failed login, from the login page or the admin's (user_login_failed)."""
    if request is None:
        return
    hit(limit("login_ip"), client_ip(request))
    username = credentials.get("username") or ""
    if username:
        hit(limit("login_account"), username.casefold())
