import threading
import time
from datetime import date

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import services
from members.models import Member, Notification
from members.tasks import send_pending_emails
from tests.factories import make_members

DUE = date(2026, 12, 1)


def _notify(cast, recipient=None, **overrides):
    kwargs = {
        "kind": "test.reminder",
        "subject": cast.branch,
        "recipient": recipient or cast.member,
        "due_date": DUE,
        "title": "学习提醒",
        "body": "请按时参加。",
    }
    kwargs.update(overrides)
    return services.notify(**kwargs)


def test_notify_records_once_and_refuses_a_duplicate(cast):
    first = _notify(cast)
    second = _notify(cast)
    assert first is not None
    assert second is None
    assert Notification.objects.filter(recipient=cast.member).count() == 1


def test_a_different_due_date_or_recipient_is_a_new_notification(cast):
    _notify(cast)
    assert _notify(cast, due_date=date(2027, 1, 1)) is not None
    assert _notify(cast, recipient=cast.peer) is not None
    assert Notification.objects.count() == 3


def test_notify_many_is_idempotent_and_fills_in_what_a_crash_missed(cast):
    members = make_members(cast.branch, 25)
    ids = [m.pk for m in members]
    # A first run that "died" after the first 10 recipients...
    assert (
        services.notify_many(
            kind="k",
            subject=cast.branch,
            recipient_ids=ids[:10],
            due_date=DUE,
            title="t",
            chunk_size=4,
        )
        == 10
    )
    # ...then the retried full run only adds the rest, and a third run adds nothing.
    assert (
        services.notify_many(
            kind="k",
            subject=cast.branch,
            recipient_ids=iter(ids),
            due_date=DUE,
            title="t",
            chunk_size=4,
        )
        == 15
    )
    assert (
        services.notify_many(
            kind="k", subject=cast.branch, recipient_ids=ids, due_date=DUE, title="t"
        )
        == 0
    )
    assert Notification.objects.filter(kind="k").count() == 25


def test_emails_are_sent_once_even_when_the_sender_runs_twice(cast):
    _notify(cast)
    _notify(cast, recipient=cast.peer)
    assert services.pending_emails_send() == 2
    assert services.pending_emails_send() == 0
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {cast.member.email, cast.peer.email}
    assert "学习提醒" in mail.outbox[0].subject
    assert Notification.objects.filter(email_state=Notification.EmailState.SENT).count() == 2


def test_member_without_email_gets_inbox_only(cast):
    cast.member.email = ""
    cast.member.save()
    n = _notify(cast)
    assert n.email_state == Notification.EmailState.NONE
    assert services.pending_emails_send() == 0
    assert mail.outbox == []


def test_inbox_shows_own_notifications_and_unread_count(login, cast):
    _notify(cast, title="只给张伟")
    _notify(cast, recipient=cast.peer, title="只给王芳")
    client = login("member")
    page = client.get(reverse("members:inbox")).content.decode()
    assert "只给张伟" in page
    assert "只给王芳" not in page
    assert 'data-testid="unread-count">1<' in page
    client.post(reverse("members:inbox_mark_read"))
    page = client.get(reverse("members:inbox")).content.decode()
    assert 'data-testid="unread-count"' not in page


def _badge(client):
    """The header's unread count, or None when there is none."""
    page = client.get(reverse("my_record")).content.decode()
    marker = 'data-testid="unread-count">'
    return int(page.split(marker, 1)[1].split("<", 1)[0]) if marker in page else None


def test_the_unread_count_follows_fan_outs_and_deletes_at_once(
    login, cast, django_capture_on_commit_callbacks
):
    client = login("member")
    assert _badge(client) is None
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_many(  # a fan-out: bulk insert, no signals
            kind="test.fanout",
            subject=cast.branch,
            recipient_ids=[cast.member.pk, cast.peer.pk],
            due_date=DUE,
            title="群发提醒",
        )
    assert _badge(client) == 1
    Notification.objects.filter(recipient=cast.member).delete()  # e.g. from the admin
    assert _badge(client) is None


def test_marking_read_cannot_touch_someone_elses_notification(login, cast):
    other = _notify(cast, recipient=cast.peer)
    login("member").post(reverse("members:inbox_mark_read"), {"notification": other.pk})
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_email_task_travels_through_the_real_broker(celery_worker_thread, cast):
    """The PostgreSQL/Redis run: .delay() goes through Redis to a real worker."""
    from django.conf import settings

    assert not settings.CELERY_TASK_ALWAYS_EAGER
    _notify(cast)
    result = send_pending_emails.delay()
    assert result.id
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Notification.objects.filter(email_state=Notification.EmailState.SENT).exists():
            break
        time.sleep(0.2)
    assert Notification.objects.get().email_state == Notification.EmailState.SENT
    # Running the task again through the broker sends nothing new.
    send_pending_emails.delay()
    time.sleep(1.5)
    assert len(mail.outbox) == 1


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_fan_out_is_mailed_once_through_the_real_broker(celery_worker_thread, cast):
    """notify_many's commit queues a few sender tasks through Redis; each mail goes once."""
    members = make_members(cast.branch, 600)
    with_email = Member.objects.filter(pk__in=[m.pk for m in members]).exclude(email="").count()
    created = services.notify_many(
        kind="broker.fanout",
        subject=cast.branch,
        recipient_ids=[m.pk for m in members],
        due_date=DUE,
        title="月度学习提醒",
    )
    assert created == len(members)
    pending = Notification.objects.filter(
        email_state__in=(Notification.EmailState.PENDING, Notification.EmailState.SENDING)
    )
    deadline = time.monotonic() + 60
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pending.exists()
    send_pending_emails.delay()  # a late extra sender finds nothing to do
    time.sleep(1.5)
    assert len(mail.outbox) == with_email
    assert len({m.to[0] for m in mail.outbox}) == with_email


# --- batched sending ---------------------------------------------------------------------


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting connections opened and refusing one address."""

    opened = 0
    refuse = ""

    def open(self):
        type(self).opened += 1
        return super().open()

    def send_messages(self, messages):
        if any(self.refuse and self.refuse in m.to for m in messages):
            raise OSError("the SMTP server refused the recipient")
        return super().send_messages(messages)


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    CountingBackend.refuse = ""
    yield CountingBackend
    CountingBackend.refuse = ""


def _fan_out(cast, n):
    members = make_members(cast.branch, n)
    services.notify_many(
        kind="batch",
        subject=cast.branch,
        recipient_ids=[m.pk for m in members],
        due_date=DUE,
        title="学习提醒",
    )
    return members


def test_a_batch_goes_over_one_connection_and_each_message_is_marked_when_accepted(
    cast, counting_backend
):
    _fan_out(cast, 30)
    with CaptureQueriesContext(connection) as queries:
        assert services.pending_emails_send(batch_size=20) == 30
    assert counting_backend.opened == 2  # two batches, one connection each
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # Once per run: the release of claims left by dead senders (failed, then pending); per
    # batch: the claim; per message: its "sent" mark as soon as the server accepted it (a
    # sender killed mid-batch leaves unsent only what it had not sent).
    assert len(updates) == 2 + 2 + 30
    assert len(mail.outbox) == 30
    assert len({m.to[0] for m in mail.outbox}) == 30
    sent = Notification.objects.filter(email_state=Notification.EmailState.SENT)
    assert sent.count() == 30
    assert not sent.filter(emailed_at__isnull=True).exists()


def test_a_failed_message_goes_back_alone_and_fails_after_the_last_attempt(cast, counting_backend):
    members = _fan_out(cast, 5)
    refused = members[2]
    counting_backend.refuse = refused.email
    assert services.pending_emails_send(max_attempts=2) == 4
    state = dict(Notification.objects.values_list("recipient_id", "email_state"))
    assert state.pop(refused.pk) == Notification.EmailState.PENDING
    assert set(state.values()) == {Notification.EmailState.SENT}
    # The second (last) attempt fails too: failed, and never tried again.
    assert services.pending_emails_send(max_attempts=2) == 0
    failed = Notification.objects.get(recipient=refused)
    assert failed.email_state == Notification.EmailState.FAILED
    assert failed.email_attempts == 2
    assert services.pending_emails_send(max_attempts=2) == 0
    assert len(mail.outbox) == 4


def test_a_claimed_batch_is_not_claimed_again(cast, counting_backend):
    """A second sender finds nothing in a batch the first one holds ("sending")."""
    _fan_out(cast, 6)
    claimed = services.email._claim_email_batch(4)
    assert len(claimed) == 4
    # Another sender only gets what is left, and a crash after the claim sends nothing twice.
    assert services.pending_emails_send() == 2
    assert {m.to[0] for m in mail.outbox}.isdisjoint({n.recipient.email for n in claimed})
    assert Notification.objects.filter(email_state=Notification.EmailState.SENDING).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_senders_send_each_message_once(cast, counting_backend):
    """Four senders at once on PostgreSQL (skip-locked claims): every message exactly once."""
    _fan_out(cast, 120)
    barrier = threading.Barrier(4)
    totals = []

    def sender():
        barrier.wait()
        try:
            totals.append(services.pending_emails_send(batch_size=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = Notification.objects.exclude(email_state=Notification.EmailState.NONE).count()
    assert sum(totals) == expected == len(mail.outbox)
    assert len({m.to[0] for m in mail.outbox}) == expected
    assert not Notification.objects.exclude(
        email_state__in=(Notification.EmailState.SENT, Notification.EmailState.NONE)
    ).exists()


def test_a_claim_left_by_a_dead_sender_is_released_and_sent_once(cast, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.BRANCHSITE_EMAIL_CLAIM_TIMEOUT = 900
    n = _notify(cast)
    # A sender claimed it 16 minutes ago and died before sending it.
    Notification.objects.filter(pk=n.pk).update(
        email_state=Notification.EmailState.SENDING,
        email_attempts=1,
        email_claimed_at=timezone.now() - timedelta(minutes=16),
    )
    fresh = _notify(cast, recipient=cast.peer)
    Notification.objects.filter(pk=fresh.pk).update(
        email_state=Notification.EmailState.SENDING, email_claimed_at=timezone.now()
    )
    assert services.pending_emails_send() == 1
    n.refresh_from_db()
    fresh.refresh_from_db()
    assert n.email_state == Notification.EmailState.SENT
    assert n.email_attempts == 2
    assert fresh.email_state == Notification.EmailState.SENDING  # still its live sender's
    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    assert services.pending_emails_send() == 0
    assert len(mail.outbox) == 1


def test_a_message_that_kept_killing_its_senders_is_failed_not_claimed_again(cast, settings):
    from datetime import timedelta

    from django.utils import timezone

    n = _notify(cast)
    Notification.objects.filter(pk=n.pk).update(
        email_state=Notification.EmailState.SENDING,
        email_attempts=3,
        email_claimed_at=timezone.now()
        - timedelta(seconds=settings.BRANCHSITE_EMAIL_CLAIM_TIMEOUT + 60),
    )
    assert services.pending_emails_send(max_attempts=3) == 0
    n.refresh_from_db()
    assert n.email_state == Notification.EmailState.FAILED
    assert mail.outbox == []
