"""Notifications: the inbox row of each (kind, subject, recipient, due date), written once.

A fan-out inserts under the unique key (a re-run or a retried task never notifies twice),
marks the e-mail pending for members who read e-mail first, and hands the rest to their
chosen channels (members.channels); the e-mail itself is sent by members.services.email.
"""

from collections.abc import Iterable
from datetime import date
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from ..channels import services as channels
from ..models import Member, Notification
from .email import queue_email_sending


def _subject_key(subject):
    return ContentType.objects.get_for_model(subject), str(subject.pk)


def notify(
    *,
    kind: str,
    subject,
    recipient: Member,
    due_date: date,
    title: str,
    body: str = "",
    url: str = "",
) -> Notification | None:
    """Send one notification (inbox + e-mail) unless this key was already used.

    The key is (kind, subject, recipient, due_date); returns the new Notification, or None
    when one with the same key exists, so a retried or re-run task never notifies twice.
    """
    created = notify_many(
        kind=kind,
        subject=subject,
        recipient_ids=[recipient.pk],
        due_date=due_date,
        title=title,
        body=body,
        url=url,
    )
    if not created:
        return None
    subject_type, subject_id = _subject_key(subject)
    return Notification.objects.get(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        recipient=recipient,
        due_date=due_date,
    )


def notify_many(
    *,
    kind: str,
    subject,
    recipient_ids: Iterable[int],
    due_date: date,
    title: str,
    body: str = "",
    url: str = "",
    chunk_size: int = 1000,
) -> int:
    """Fan one notification out to many members, in chunks; returns how many were new.

    Each row is inserted under the unique key; rows that exist are skipped by the database
    (ON CONFLICT DO NOTHING), so running this twice, or after a crash half-way, sends only
    what was not sent. recipient_ids may be a lazy iterator (e.g. values_list().iterator()).
    """
    subject_type, subject_id = _subject_key(subject)
    return _fan_out(
        kind=kind,
        subject_type=subject_type,
        subject_of=lambda rid: subject_id,
        recipient_ids=recipient_ids,
        due_date=due_date,
        title=title,
        body=body,
        url=url,
        chunk_size=chunk_size,
    )


def notify_each(*, kind: str, recipient_ids: Iterable[int], **message) -> int:
    """Like notify_many (message: its due_date, title, body, url, chunk_size), but each member
    is the subject of their own notification.

    The key is then (kind, member, due date): a nudge about a member's own standing reaches
    them once whichever branch they were in when each run happened.
    """
    return _fan_out(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(Member),
        subject_of=str,
        recipient_ids=recipient_ids,
        **message,
    )


def _fan_out(*, kind, subject_type, subject_of, recipient_ids, chunk_size=1000, **message) -> int:
    """Insert the notifications of one fan-out chunk by chunk, under the unique key.

    Each chunk commits on its own, so the e-mail senders start after the first one and send
    while the rest are written (a million-member fan-out is a minute of inserts). A worker
    that dies half-way keeps the chunks it committed, and the re-run, skipping them by the
    key, adds exactly the rest. Inside a caller's transaction the chunks are savepoints and
    everything commits (and the senders start) with it.

    message: the notification's due_date, title and (optional) body and url."""
    due_date = message["due_date"]
    created = 0
    queued_for = 0  # notifications created when the senders were last queued
    chunk = []

    def flush():
        nonlocal created, queued_for
        if not chunk:
            return
        with transaction.atomic():
            inserted = _write_chunk()
            created += len(inserted)
            if inserted and not queued_for:
                # Senders for the first chunk's e-mails, and for the rest while they are
                # written (each sender goes on until the outbox is empty).
                queued_for = created
                transaction.on_commit(partial(queue_email_sending, created))
        chunk.clear()

    def _write_chunk():
        # (e-mail, phone, branch, chosen channel order or None) of each recipient: one query.
        reach = {
            pk: (email, phone, branch_id, None if order is None else order.split(","))
            for pk, email, phone, branch_id, order in Member.objects.filter(
                pk__in=chunk
            ).values_list("pk", "email", "phone", "branch_id", "channel_preference__order")
        }
        # Each member's channels that can reach them, in their order (default: e-mail).
        usable = {
            rid: channels.usable_channels(
                [c for c in order if c] if order else order, email=e, phone=p
            )
            for rid, (e, p, _b, order) in reach.items()
        }
        rows = [
            (
                rid,
                subject_of(rid),
                Notification.EmailState.PENDING
                if usable[rid][:1] == ["email"]
                else Notification.EmailState.NONE,
            )
            for rid in chunk
            if rid in reach
        ]
        # The rows that exist already (a re-run) are skipped by the unique key and what was
        # inserted comes back. (No read of the existing rows first: its plan filtered every
        # row of the fan-out so far for each chunk, quadratic at a million members.)
        inserted = _insert_notifications(
            rows,
            kind=kind,
            subject_type=subject_type,
            created_at=timezone.now(),
            **message,
        )
        sms_first = [rid for rid in inserted if usable[rid][:1] == ["sms"]]
        if sms_first:
            channels.personal_deliveries_queue(
                notifications={
                    pk: (rid, reach[rid][2], ",".join(usable[rid][1:]))
                    for pk, rid in Notification.objects.filter(
                        kind=kind,
                        subject_type=subject_type,
                        subject_id__in={subject_of(rid) for rid in sms_first},
                        recipient_id__in=sms_first,
                        due_date=due_date,
                    ).values_list("pk", "recipient_id")
                }
            )
        return inserted

    for rid in recipient_ids:
        chunk.append(rid)
        if len(chunk) >= chunk_size:
            flush()
    flush()
    if created > queued_for:
        # The last chunks' e-mails, should the first senders have emptied the outbox and
        # stopped before they were written.
        transaction.on_commit(partial(queue_email_sending, created - queued_for))
    return created


# The columns that differ from row to row of a fan-out; the others take one value.
_ROW_FIELDS = ("recipient", "subject_id", "email_state")


def _insert_notifications(rows, **same) -> list[int]:
    """Insert (recipient id, subject id, e-mail state) rows, the other fields `same` (or
    their defaults) for all, skipping any whose unique key exists (ON CONFLICT DO NOTHING);
    returns the recipient ids of the rows inserted.

    What bulk_create(ignore_conflicts=True) does, in one statement per chunk (SQLite: per
    ~330 rows). For speed: it
    prepares each shared value once, not once per row and field (a million-member fan-out
    spent most of its CPU there).
    """
    if not rows:
        return []
    qn = connection.ops.quote_name
    template = Notification(**same)  # the shared values, as the ORM prepares them
    shared, shared_values = [], []
    for field in Notification._meta.concrete_fields:
        if field.primary_key or field.name in _ROW_FIELDS:
            continue
        shared.append(qn(field.column))
        shared_values.append(field.get_db_prep_save(field.pre_save(template, True), connection))
    row_columns = [qn(Notification._meta.get_field(name).column) for name in _ROW_FIELDS]
    # Rows per statement: all of them, or what the database takes (SQLite: 999 values).
    limit = connection.features.max_query_params
    per_statement = len(rows) if limit is None else (limit - len(shared)) // len(_ROW_FIELDS)
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            # VALUES names its columns column1..3 on PostgreSQL and SQLite; "WHERE true"
            # lets SQLite tell ON CONFLICT from a join constraint. Names from the model,
            # values bound.
            sql = (
                f"INSERT INTO {qn(Notification._meta.db_table)} "  # noqa: S608
                f"({', '.join(row_columns + shared)}) "
                f"SELECT v.column1, v.column2, v.column3, {', '.join(['%s'] * len(shared))} "
                f"FROM (VALUES {', '.join(['(%s, %s, %s)'] * len(part))}) AS v WHERE true "
                f"ON CONFLICT DO NOTHING RETURNING {row_columns[0]}"
            )
            params = [*shared_values]
            for row in part:
                params += row
            cursor.execute(sql, params)
            inserted += [recipient_id for (recipient_id,) in cursor.fetchall()]
    return inserted


def notification_mark_read(*, member: Member, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=member, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
