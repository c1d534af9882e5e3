import time
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from members import services
from members.models import Notification
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
