"""Shared fixtures: the standing cast of users every permission test uses.

Tree:
    root committee (root)
    ├── committee C1 (c1)            organizer: organization department staff here
    │   ├── branch A (branch)        member, peer, secretary, committee_member (支委)
    │   │   └── group A1 (group)
    │   └── branch B (other_branch)  other_secretary, other_member
    └── committee C2 (c2)            other_organizer: a different subtree
        └── branch Z (far_branch)    far_member
Plus `outsider` (a login with no member record) and `admin` (superuser).
"""

import os

import pytest
from django.db import connection

from tests import standing_cast

ROLES = (
    "anonymous",
    "outsider",
    "member",
    "peer",
    "secretary",
    "committee_member",
    "other_secretary",
    "organizer",
    "other_organizer",
    "admin",
)


@pytest.fixture
def cast(db):
    # SQLite's JSON support is probed once per connection (three statements, on the first
    # JSON column a page reads): probed here, so no exact query pin depends on test order.
    connection.features.supports_json_field  # noqa: B018
    return standing_cast.cast()


@pytest.fixture
def login(client, cast):
    """login("secretary") -> the test client logged in as that member of the cast."""

    def _login(role):
        client.logout()
        user = cast.users[role]
        if user is not None:
            client.force_login(user)
        return client

    return _login


# --- what runs where ---------------------------------------------------------------------
# Tests that need a real broker, PostgreSQL or Chromium are *deselected* (not skipped) when
# the service is absent, and in CI (CI=true) every such test must run and nothing may skip.


def _chromium_present():
    return os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def _check_groups_kept(config, items):
    """Under `--dist loadgroup`, a test marked xdist_group must carry its group in its node
    id (pytest-xdist's way of keeping a group on one worker). A pytest that drops it
    (pytest-xdist#1386) would silently split the group: stop instead."""
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(
                f"--dist loadgroup does not keep {item.nodeid} in its group: "
                "check the pinned pytest and pytest-xdist"
            )


@pytest.hookimpl(trylast=True)  # after pytest-xdist has tagged the grouped node ids
def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    _check_groups_kept(config, items)

    unavailable = {
        "broker": not os.environ.get("REDIS_URL"),
        "postgres": not settings.IS_POSTGRES,
        "browser": not _chromium_present(),
        # The production smoke journeys need the server .ci/deploy.sh starts; it runs them.
        "deployed": not os.environ.get("BRANCHSITE_BROWSER_BASE_URL"),
    }
    if os.environ.get("CI") == "true":
        if unavailable["browser"]:
            raise pytest.UsageError("CI: Chromium is missing at /usr/bin/chromium")
        if os.environ.get("DATABASE_URL") and unavailable["broker"]:
            # The PostgreSQL run is the one that proves tasks through the broker.
            raise pytest.UsageError("CI: DATABASE_URL is set but REDIS_URL is not")
    keep, drop = [], []
    for item in items:
        if any(unavailable[m] for m in unavailable if item.get_closest_marker(m)):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: it would hide a feature nobody checked."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) skipped; in CI nothing may skip.", red=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness protects real passwords; tests only need a hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_local_cache():
    # The in-memory cache outlives a test's database, and SQLite reuses ids after a rollback.
    # (Redis, with PostgreSQL, never sees an id twice; emptying it would drop the broker's
    # queues.)
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker, in a thread of this process, consuming from the Redis broker.

    Only for tests marked `broker` (REDIS_URL set): tasks sent with .delay() travel through
    Redis to this worker, which uses the test database (data must be committed, hence
    transactional_db).
    """
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from branchsite.celery import app

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "broker tests need REDIS_URL"
    app.control.purge()  # messages left by earlier runs must not run against this database
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"
    ) as worker:
        yield worker
