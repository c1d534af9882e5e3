"""Faults of the services around the app, with the real services: Redis stopped while a
request works, a worker killed while it is sending mail. Nothing committed is lost, no
request answers 500, no e-mail goes out twice."""

import time
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from branchsite.celery import app
from education.models import Session, SessionState
from education.reminders import KIND_SESSION
from members.models import Notification
from tests.education.helpers import plan
from tests.factories import make_members
from tests.form_data import client_for
from tests.real_services import (
    RedisServer,
    SMTPStub,
    WorkerProcess,
    celery_broker,
    child_env,
    wait_for,
)

SENT, PENDING = Notification.EmailState.SENT, Notification.EmailState.PENDING


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _reminded(session, members):
    """Members already reminded of the session (their reminder e-mails went out)."""
    Notification.objects.bulk_create(
        Notification(
            recipient=m,
            kind=KIND_SESSION,
            subject_type=ContentType.objects.get_for_model(Session),
            subject_id=str(session.pk),
            due_date=timezone.localdate(),
            title="提醒",
            email_state=SENT,
        )
        for m in members
    )


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_cancelling_with_redis_down_answers_normally_and_the_sweep_sends_later(cast):
    from celery.contrib.testing.worker import start_worker

    redis = RedisServer(6391).start()
    try:
        with celery_broker(redis.url):
            session = plan(cast.branch, title="网络素养学习")
            members = make_members(cast.branch, 12)
            _reminded(session, members)
            redis.stop()  # the broker goes away

            started = time.monotonic()
            response = client_for(cast.users["secretary"]).post(
                reverse("education:session_cancel", args=[session.pk]), {"confirm": "yes"}
            )
            elapsed = time.monotonic() - started

            assert response.status_code == 302  # not 500: the cancellation is committed
            assert [str(m) for m in get_messages(response.wsgi_request)] == [
                "The session is cancelled."
            ]
            assert elapsed < 5, elapsed  # short timeouts: no long wait on a dead broker
            assert Session.objects.get(pk=session.pk).state == SessionState.CANCELLED
            waiting = Notification.objects.exclude(kind=KIND_SESSION)
            assert waiting.count() == 12
            assert set(waiting.values_list("email_state", flat=True)) == {PENDING}

            redis.start()  # the broker is back: beat's sweep sends what was not queued
            sweep = app.conf.beat_schedule["members.send_pending_emails"]
            with start_worker(
                app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"
            ):
                app.send_task(sweep["task"], **sweep.get("options", {}))
                assert wait_for(
                    lambda: not waiting.filter(email_state=PENDING).exists(), timeout=30
                )
            assert set(waiting.values_list("email_state", flat=True)) == {SENT}
            assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    finally:
        redis.stop()


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_no_email_and_sends_none_twice(cast, tmp_path):
    """A real worker process sends through a real (local) SMTP server that stalls on the 5th
    message; the worker is SIGKILLed there. A new worker releases the dead claim once it is
    stale and sends the rest: every message delivered exactly once."""
    members = make_members(cast.branch, 12)
    Notification.objects.bulk_create(
        Notification(
            recipient=m,
            kind="test.kill",
            subject_type=ContentType.objects.get_for_model(Session),
            subject_id="1",
            due_date=timezone.localdate(),
            title="通知",
        )
        for m in members
    )
    redis = RedisServer(6392).start()
    db = connection.settings_dict
    try:
        with SMTPStub(stall_after=4) as smtp, celery_broker(redis.url):
            env = {
                "DATABASE_URL": (
                    f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
                    f"{db['PORT'] or 5432}/{db['NAME']}"
                ),
                "REDIS_URL": redis.url,
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
                "DJANGO_DEBUG": "0",
                # Short limits so that the test waits seconds, not minutes; same rules as in
                # production: claim timeout and visibility timeout above the hard limit.
                "CELERY_TASK_TIME_LIMIT": "4",
                "BRANCHSITE_EMAIL_CLAIM_TIMEOUT": "6",
                "CELERY_VISIBILITY_TIMEOUT": "8",
            }
            first = WorkerProcess(env, tmp_path / "worker1.log").start()
            try:
                app.send_task("members.tasks.send_pending_emails")
                assert smtp.stalled.wait(60), (tmp_path / "worker1.log").read_text()
                assert len(smtp.delivered) == 4
                first.kill()
            finally:
                first.stop()
            states = Counter(Notification.objects.values_list("email_state", flat=True))
            assert states == {SENT: 4, Notification.EmailState.SENDING: 8}

            smtp.stall_after = None
            second = WorkerProcess(env, tmp_path / "worker2.log").start()
            try:
                done = wait_for(
                    lambda: Notification.objects.filter(email_state=SENT).count() == 12,
                    timeout=60,
                    # what beat does every minute, here every second
                    every=lambda: app.send_task("members.tasks.send_pending_emails"),
                )
                assert done, (tmp_path / "worker2.log").read_text()
            finally:
                second.stop()
        assert Counter(smtp.delivered) == Counter(m.email.lower() for m in members)
        assert max(Counter(smtp.delivered).values()) == 1
    finally:
        redis.stop()


HUNG_REDIS_PROBE = """
import json, time
import django
import redis  # imported before the clock starts: only the wait on Redis is timed
django.setup()
from django.core.cache import cache
from members.tasks import send_pending_emails
from members.tasks_queue import enqueue

started = time.monotonic()
try:
    cache.get("probe")
    cache_failed = False
except Exception:
    cache_failed = True
cache_seconds = time.monotonic() - started
started = time.monotonic()
queued = enqueue(send_pending_emails)
print(json.dumps({"cache_failed": cache_failed, "cache_seconds": cache_seconds,
                  "queued": queued is not None, "queue_seconds": time.monotonic() - started}))
"""


def test_a_hung_redis_fails_the_cache_and_the_queue_fast(tmp_path):
    """Redis accepts connections but never answers (hung, or a half-open network path): the
    production settings give up on the cache in well under a second, and queueing a task
    gives up after a few short tries without raising."""
    import json
    import socket
    import subprocess
    import sys
    import threading

    from tests.real_services import REPO

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []

    def accept_and_say_nothing():
        while True:
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    env = child_env(
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        DJANGO_SECRET_KEY="test-only-secret-key-for-the-hung-redis-probe-0123456789",
        DJANGO_DEBUG="0",
    )
    env.pop("DATABASE_URL", None)
    try:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", HUNG_REDIS_PROBE],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["cache_failed"] and probe["cache_seconds"] < 1, probe
    assert not probe["queued"] and probe["queue_seconds"] < 6, probe


def test_time_limits_and_timeouts_agree(settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    # A task still running is never delivered to a second worker; a dead sender's e-mail
    # claim is never released while the sender may still be alive.
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert settings.BRANCHSITE_EMAIL_CLAIM_TIMEOUT > settings.CELERY_TASK_TIME_LIMIT
    assert options["visibility_timeout"] <= 3600 / 2  # a crash is recovered in minutes
    for value in (
        options["socket_timeout"],
        options["socket_connect_timeout"],
        settings.CELERY_REDIS_SOCKET_TIMEOUT,
        settings.CELERY_REDIS_SOCKET_CONNECT_TIMEOUT,
        settings.CELERY_BROKER_CONNECTION_TIMEOUT,
    ):
        assert 0 < value < 1
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] == options["visibility_timeout"]
