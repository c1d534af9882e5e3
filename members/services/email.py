"""E-mail of notifications: claimed in batches, each message marked sent once accepted.

Any number of senders may run at once; a claim left by a dead sender is released after
BRANCHSITE_EMAIL_CLAIM_TIMEOUT and sent again (at least once, twice only if a sender dies
between the server's acceptance and the mark).
"""

import functools
import logging
from datetime import timedelta

import psycopg
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import conditional_escape

from ..channels import services as channels
from ..models import Notification

logger = logging.getLogger(__name__)


# How many sender tasks one fan-out queues: each claims its own batches (skip-locked), so
# they share the work across the worker's processes without ever sending a mail twice.
EMAIL_SENDER_TASKS = 2
EMAIL_BATCH_SIZE = 500


def queue_email_sending(created: int = 1):
    """Queue sender tasks for `created` new notifications (call from transaction.on_commit)."""
    from ..tasks import send_pending_emails
    from ..tasks_queue import enqueue

    batches = -(-created // EMAIL_BATCH_SIZE)
    for _i in range(max(1, min(EMAIL_SENDER_TASKS, batches))):
        # Broker down: logged, and the beat sweep (send_pending_emails) sends them later.
        if enqueue(send_pending_emails) is None:
            break


def pending_emails_send(
    *, batch_size: int = EMAIL_BATCH_SIZE, max_attempts: int = 3, max_batches: int | None = None
) -> int:
    """Send the e-mail of pending notifications, batch by batch; returns how many were sent.

    Each batch is claimed first (pending -> sending, in one transaction that skips rows
    another sender has locked), so any number of senders may run at once and none sends a
    message another has claimed. A claimed batch goes out over one mail connection; each
    message is marked sent as soon as the mail server has accepted it, so a sender that dies
    mid-batch leaves in "sending" only what it had not sent yet (and at most the one message
    in flight). Such claims are released back to pending once older than
    EMAIL_CLAIM_TIMEOUT (longer than a sender may live: the task's hard time limit) and sent
    by a later run: every message at least once, and twice only when a sender died in the
    instant between the server's acceptance and the mark. A failed message goes back to
    pending until max_attempts, then is marked failed (visible in admin).
    """
    _release_stale_email_claims(max_attempts=max_attempts)
    sent = 0
    batches = 0
    put_back = set()  # failed in this run: left for the next run, not retried at once
    while max_batches is None or batches < max_batches:
        batch = _claim_email_batch(batch_size, skip=put_back)
        if not batch:
            break
        batches += 1
        n_sent, retry_ids = _send_email_batch(batch, max_attempts=max_attempts)
        sent += n_sent
        put_back.update(retry_ids)
    return sent


def email_claim_timeout() -> timedelta:
    """How long a claim may be held before it counts as left by a dead sender. Longer than
    the sender task's hard time limit (settings), so a live sender never loses its claim."""
    return timedelta(seconds=settings.BRANCHSITE_EMAIL_CLAIM_TIMEOUT)


def _release_stale_email_claims(*, max_attempts: int) -> int:
    """Put back to pending the messages a sender claimed and never finished (it died or was
    killed mid-batch), to be sent by this or a later run; a message whose claims have used up
    max_attempts (it keeps killing its senders) is marked failed instead."""
    stale = Notification.objects.filter(
        email_state=Notification.EmailState.SENDING,
        email_claimed_at__lt=timezone.now() - email_claim_timeout(),
    )
    failed = stale.filter(email_attempts__gte=max_attempts).update(
        email_state=Notification.EmailState.FAILED
    )
    released = stale.update(email_state=Notification.EmailState.PENDING)
    if released or failed:
        logger.warning(
            "Released %s e-mail claims left by a dead sender (%s failed)", released, failed
        )
    return released


def _claim_email_batch(batch_size: int, *, skip=()) -> list[Notification]:
    """Up to batch_size pending notifications, now in state "sending" and owned by the caller.

    Two queries in one transaction: lock the oldest pending rows nobody else holds
    (FOR UPDATE SKIP LOCKED on PostgreSQL), then mark them. The UPDATE re-checks the state,
    so on a database without SKIP LOCKED a row another sender took in between is dropped.
    """
    with transaction.atomic():
        qs = Notification.objects.filter(email_state=Notification.EmailState.PENDING)
        if skip:
            qs = qs.exclude(pk__in=skip)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        batch = list(
            qs.select_related("recipient")
            .only(
                "title",
                "body",
                "url",
                "email_attempts",
                "recipient",
                "recipient__full_name",
                "recipient__email",
            )
            # Oldest first along the notification_outbox index (email_state, created_at),
            # so a claim reads a batch's worth of index entries, not every pending row.
            .order_by("created_at")[:batch_size]
        )
        if not batch:
            return []
        claimed = Notification.objects.filter(
            pk__in=[n.pk for n in batch], email_state=Notification.EmailState.PENDING
        ).update(
            email_state=Notification.EmailState.SENDING,
            email_attempts=F("email_attempts") + 1,
            email_claimed_at=timezone.now(),
        )
        if claimed != len(batch):  # only without SKIP LOCKED: someone else won some rows
            mine = set(
                Notification.objects.filter(
                    pk__in=[n.pk for n in batch], email_state=Notification.EmailState.SENDING
                ).values_list("pk", flat=True)
            )
            batch = [n for n in batch if n.pk in mine]
    return batch


# Stands for the member's name while a batch renders its e-mails once (see _EmailRenderer).
_NAME_MARK = "\x00member-name\x00"


class _EmailRenderer:
    """The subject and bodies of a batch's e-mails, each rendered once per distinct message.

    A fan-out sends one title, body and url to many members: only the name differs. So each
    distinct (title, body, url) is rendered once with a mark in place of the name, and every
    recipient's bodies are that output with their escaped name put in (the templates escape
    it the same way): byte for byte what rendering each e-mail would give, at a fraction of
    the CPU. When the mark does not come out exactly once (a translation without the name,
    a title that contains it), that message is rendered whole, as before.
    """

    def __init__(self):
        self._parts = {}

    def _render(self, notification, member):
        context = {"notification": notification, "member": member}
        subject = render_to_string("members/email/notification_subject.txt", context)
        return (
            " ".join(subject.split()),
            render_to_string("members/email/notification_body.txt", context),
            render_to_string("members/email/notification_body.html", context),
        )

    def message(self, notification: Notification) -> EmailMultiAlternatives:
        recipient = notification.recipient
        key = (notification.title, notification.body, notification.url)
        parts = self._parts.get(key)
        if parts is None:
            subject, text, html = self._render(notification, {"full_name": _NAME_MARK})
            text_parts, html_parts = text.split(_NAME_MARK), html.split(_NAME_MARK)
            if _NAME_MARK in subject or len(text_parts) != 2 or len(html_parts) != 2:
                parts = False  # render each message of this kind whole
            else:
                parts = (subject, text_parts, html_parts)
            self._parts[key] = parts
        if parts:
            subject, (text_a, text_b), (html_a, html_b) = parts
            name = conditional_escape(recipient.full_name)
            text, html = f"{text_a}{name}{text_b}", f"{html_a}{name}{html_b}"
        else:
            subject, text, html = self._render(notification, recipient)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient.email])
        message.attach_alternative(html, "text/html")
        return message


@functools.cache
def _mark_sent_sql(vendor: str) -> str:
    """The UPDATE that marks one message sent (per database vendor).

    On PostgreSQL it also sets synchronous_commit off for its own transaction (as SET LOCAL
    would: the mark is one statement under autocommit), so its commit does not wait for the
    WAL to reach the disk. The mark is still committed before the next message goes out: a
    sender that dies loses none (the database server has them). Only a crash of the database
    server itself may lose the marks of its last moment (at most 3 x wal_writer_delay, 0.6 s
    by default), whose messages are then claimed and sent again: still at least once. For
    speed: waiting for the disk on every message made the disk, not the CPU, the limit
    (about 4 ms a message against 0.3 ms of CPU). Being local to the transaction, it leaves
    the connection as it was (and is safe behind a transaction-pooling PgBouncer).
    """
    qn = connection.ops.quote_name
    meta = Notification._meta
    no_disk_wait = (
        " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
        if vendor == "postgresql"
        else ""
    )
    # Names from the model, values bound: nothing from outside goes into the text.
    return "UPDATE {} SET {} = %s, {} = %s WHERE {} = %s{}".format(  # noqa: S608
        qn(meta.db_table),
        qn(meta.get_field("email_state").column),
        qn(meta.get_field("emailed_at").column),
        qn(meta.pk.column),
        no_disk_wait,
    )


def _marking_cursor():
    """The cursor the marks go through. On PostgreSQL, a plain psycopg cursor binding its
    values on the server, so that psycopg prepares the UPDATE once (after prepare_threshold
    runs; a connection option, None behind a PgBouncer without prepared statements) and each
    mark sends only its values: less CPU in the sender and in the database."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    # Wrapped as Django wraps its own cursors (error translation, query logging).
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _mark_sent(cursor, pk: int) -> None:
    """Mark one message sent, at once (its own commit, as under autocommit).

    The same as Notification.objects.filter(pk=pk).update(email_state=SENT,
    emailed_at=now()), but as plain SQL: it runs once per e-mail, and building the ORM
    update cost more CPU than sending a message."""
    cursor.execute(
        _mark_sent_sql(connection.vendor),
        [
            Notification.EmailState.SENT.value,
            connection.ops.adapt_datetimefield_value(timezone.now()),
            pk,
        ],
    )


def _send_email_batch(batch: list[Notification], *, max_attempts: int) -> tuple[int, list]:
    """Send a claimed batch over one connection, marking each message sent once the server
    accepted it; the failed ones back to pending (or failed after max_attempts).

    Returns how many were sent and the ids put back to pending."""
    sent = 0
    retry_ids, failed_ids = [], []
    renderer = _EmailRenderer()
    done = set()
    connection_ = get_connection()
    try:
        connection_.open()
    except Exception:
        logger.exception("Opening the mail connection failed")
        connection_ = None
    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            _marking_cursor() as cursor,
        ):
            for notification in batch:
                try:
                    if connection_ is None:
                        raise ConnectionError("no mail connection")
                    message = renderer.message(notification)
                    message.connection = connection_
                    if not connection_.send_messages([message]):
                        raise RuntimeError("the mail backend refused the message")
                except SoftTimeLimitExceeded:
                    raise
                except Exception:
                    logger.exception("Sending notification %s failed", notification.pk)
                    # email_attempts was already raised by the claim.
                    if notification.email_attempts + 1 >= max_attempts:
                        failed_ids.append(notification.pk)
                    else:
                        retry_ids.append(notification.pk)
                else:
                    _mark_sent(cursor, notification.pk)
                    sent += 1
                done.add(notification.pk)
    finally:
        if connection_ is not None:
            try:
                connection_.close()
            except Exception:
                logger.exception("Closing the mail connection failed")
        # Out of time (soft time limit): what was not tried goes back to pending now.
        retry_ids += [n.pk for n in batch if n.pk not in done]
        if retry_ids:
            Notification.objects.filter(pk__in=retry_ids).update(
                email_state=Notification.EmailState.PENDING
            )
        if failed_ids:
            Notification.objects.filter(pk__in=failed_ids).update(
                email_state=Notification.EmailState.FAILED
            )
            channels.email_failed(failed_ids)  # on to each member's next channel, if they chose one
    return sent, retry_ids


# --- audit ---------------------------------------------------------------------------------
