"""Reads that tolerate lag go to a PostgreSQL streaming replica; everything else to the primary.

With `DATABASE_REPLICA_URL` set, settings define a second database alias, "replica" (a hot
standby of the primary). Nothing reads from it unless a view or selector says its reads may
lag a few seconds:

    @reads_from_replica            # a view: organizer pages, rollups, exports
    def hours_rollup(request): ...

    with reads_from_replica():     # a block inside a view
        figures = selectors.tree_figures(...)

Inside that, `ReplicaRouter` sends reads to the replica, except:

- a user who wrote in the last REPLICA_PIN_SECONDS (10 s): `PrimaryAfterWriteMiddleware` sets
  a signed cookie when a request with an unsafe method (POST, PUT, PATCH, DELETE) wrote to
  the primary and did not fail, and pins that browser's requests to the primary while it
  lasts, so a writer always sees their own write;
- reads inside a transaction on the primary (a service's own reads);
- the tables that must never lag: sessions, accounts and permissions, login throttling.

Writes always go to the primary. Without a replica alias everything is a no-op: one database.
Safe and unsafe requests alike keep their exact query counts (the marker adds no query).
"""

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "primary_until"
PIN_SALT = "members.dbrouting.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Never read from a replica: a login, a session, a permission or a lockout must be current.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "axes", "admin", "contenttypes"})

_replica_ok = contextvars.ContextVar("replica_ok", default=False)
_pinned = contextvars.ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def pin_seconds() -> int:
    return getattr(settings, "REPLICA_PIN_SECONDS", 10)


@contextmanager
def _replica_block():
    token = _replica_ok.set(True)
    try:
        yield
    finally:
        _replica_ok.reset(token)


def reads_from_replica(func=None):
    """Mark reads that may come from the replica: `@reads_from_replica` on a view or
    selector, or `with reads_from_replica():` around a block."""
    if func is None:
        return _replica_block()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _replica_block():
            return func(*args, **kwargs)

    return wrapper


def reading_from_replica() -> bool:
    """Whether a read made now, outside a transaction, would go to the replica."""
    return (
        _replica_ok.get()
        and not _pinned.get()
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


def read_alias() -> str:
    """The alias a read made now goes to (for raw SQL, which bypasses the router)."""
    return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS


def read_connection():
    """The connection for a raw-SQL read made now: the replica inside reads_from_replica
    (unless pinned or in a transaction), else the primary."""
    return connections[read_alias()]


def cache_suffix() -> str:
    """Appended to the key of a value computed from the reads made now: a figure read from
    the (lagging) replica is never served to a reader of the primary, e.g. a writer."""
    return ":replica" if reading_from_replica() else ""


class ReplicaRouter:
    """DATABASE_ROUTERS entry: the replica for marked reads, the primary for the rest."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS or not reading_from_replica():
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        # Explicitly the primary: an object read from the replica is saved to the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None if db != REPLICA else False


WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "MERGE")


class PrimaryAfterWriteMiddleware:
    """A user's own reads stay on the primary for REPLICA_PIN_SECONDS after they write.

    Reads the signed cookie set by an earlier write and pins this request to the primary;
    sets it when a request with an unsafe method (POST, PUT, PATCH, DELETE) wrote to the
    primary and answered below 400 (its writes committed: services are atomic, and a failed
    one answers 4xx or 5xx). Does nothing without a replica.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        pin = request.get_signed_cookie(
            PIN_COOKIE, default=None, salt=PIN_SALT, max_age=pin_seconds()
        )
        token = _pinned.set(pin is not None)
        wrote = False

        def notice_writes(execute, sql, params, many, context):
            nonlocal wrote
            if not wrote and sql.lstrip()[:6].upper().startswith(WRITE_PREFIXES):
                wrote = True
            return execute(sql, params, many, context)

        try:
            if request.method in SAFE_METHODS:
                response = self.get_response(request)
            else:
                with connections[DEFAULT_DB_ALIAS].execute_wrapper(notice_writes):
                    response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if wrote and response.status_code < 400:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=pin_seconds(),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
