"""Every write that matters in members/: one function per use case, one transaction each."""

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from . import figures
from .models import (
    COMMITTEE_ROLES,
    AuditEntry,
    Member,
    MemberStatus,
    Notification,
    Organization,
    OrganizationKind,
    Position,
    Transfer,
)

logger = logging.getLogger(__name__)


class DomainError(ValidationError):
    """A use case refused: carries a translated message for the user."""


# --- organizations -----------------------------------------------------------------------


_ALLOWED_CHILDREN = {
    OrganizationKind.COMMITTEE: {
        OrganizationKind.COMMITTEE,
        OrganizationKind.GENERAL_BRANCH,
        OrganizationKind.BRANCH,
    },
    OrganizationKind.GENERAL_BRANCH: {OrganizationKind.BRANCH},
    OrganizationKind.BRANCH: {OrganizationKind.GROUP},
    OrganizationKind.GROUP: set(),
}


@transaction.atomic
def organization_create(*, parent: Organization | None, name: str, kind: str, **fields):
    """Add an organization under parent (a root when parent is None).

    The parent row is locked (here, and again by treebeard's add_child) so that two
    concurrent inserts cannot compute the same path.
    """
    create_kwargs = {"name": name, "kind": kind, **fields}
    if parent is None:
        return Organization.objects.add_root(create_kwargs)
    parent = Organization.objects.select_for_update().get(pk=parent.pk)
    if kind not in _ALLOWED_CHILDREN[parent.kind]:
        raise DomainError(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {
                "child": OrganizationKind(kind).label,
                "parent": OrganizationKind(parent.kind).label,
            }
        )
    organization = Organization.objects.add_child(parent, create_kwargs)
    if kind == OrganizationKind.BRANCH:
        figures.refresh_branches([organization.pk])  # a row for it (zeros), in every app
    return organization


# --- members -----------------------------------------------------------------------------


def _check_branch(member: Member):
    if member.branch.kind != OrganizationKind.BRANCH:
        raise DomainError({"branch": _("A member's relationship is held by a Party branch.")})
    if member.group_id and not member.group.path.startswith(member.branch.path):
        raise DomainError({"group": _("The group must belong to the member's branch.")})


@transaction.atomic
def member_create(*, actor=None, **fields) -> Member:
    member = Member(**fields)
    member.full_clean()
    _check_branch(member)
    member._history_user = actor
    member.save()
    figures.refresh_branches([member.branch_id])
    return member


@transaction.atomic
def member_create_many(
    *, branch: Organization, rows: list[dict], actor=None, batch_size: int = 1000
) -> list[Member]:
    """Create many members of one branch in bulk, each with its history entry (by actor).

    rows: keyword arguments of member_create, already validated field by field (e.g. by
    members.roster_io.validate_rows, which runs each row's full_clean). What concerns the
    branch is checked here once: it is a branch, and every group is one of its groups.
    A few INSERTs per batch_size rows instead of two per member.
    """
    if branch.kind != OrganizationKind.BRANCH:
        raise DomainError({"branch": _("A member's relationship is held by a Party branch.")})
    members = []
    for fields in rows:
        member = Member(**{**fields, "branch": branch})
        group = fields.get("group")
        if group is not None and not group.path.startswith(branch.path):
            raise DomainError({"group": _("The group must belong to the member's branch.")})
        members.append(member)
    user = actor if actor is not None and actor.is_authenticated else None
    created = bulk_create_with_history(members, Member, batch_size=batch_size, default_user=user)
    figures.refresh_branches([branch.pk])
    return created


@transaction.atomic
def member_update(*, member: Member, actor=None, **fields) -> Member:
    before = Member.objects.filter(pk=member.pk).values_list("branch_id", "status").first()
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean()
    _check_branch(member)
    member._history_user = actor
    member.save()
    if before != (member.branch_id, member.status):
        figures.refresh_branches([member.branch_id, before[0] if before else None])
    return member


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    to_organization: Organization | None,
    transferred_on: date,
    note: str = "",
    actor=None,
) -> Transfer:
    """Move a member's relationship to another branch, or out of the system (to=None).

    Keeps the history: a Transfer row, the member's history, and positions in the old
    branch ended on the transfer date.
    """
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    if not member.is_active:
        raise DomainError(_("Only a current member can be transferred."))
    if to_organization is not None:
        if to_organization.kind != OrganizationKind.BRANCH:
            raise DomainError(_("A member can only be transferred to a Party branch."))
        if to_organization.pk == member.branch_id:
            raise DomainError(_("The member already belongs to this branch."))
    transfer = Transfer.objects.create(
        member=member,
        from_organization=member.branch,
        to_organization=to_organization,
        transferred_on=transferred_on,
        note=note,
        recorded_by=actor,
    )
    for position in Position.objects.current(transferred_on).filter(
        member=member, organization__path__startswith=member.branch.path
    ):
        position.ended_on = max(transferred_on, position.started_on)
        position._history_user = actor
        position.save(update_fields=["ended_on"])
    member.group = None
    from_branch_id = member.branch_id
    if to_organization is None:
        member.status = MemberStatus.TRANSFERRED_OUT
    else:
        member.branch = to_organization
    member._history_user = actor
    member.save()
    figures.refresh_branches([from_branch_id, member.branch_id])
    return transfer


@transaction.atomic
def position_assign(
    *, member: Member, organization: Organization, role: str, started_on: date, actor=None
) -> Position:
    position = Position(member=member, organization=organization, role=role, started_on=started_on)
    position.full_clean()
    position._history_user = actor
    position.save()
    if role in COMMITTEE_ROLES and organization.kind == OrganizationKind.BRANCH:
        # A committee role raises the member's study-hours requirement (education figures).
        figures.refresh_branches([member.branch_id])
    return position


# --- notifications -------------------------------------------------------------------------


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


def notify_each(
    *,
    kind: str,
    recipient_ids: Iterable[int],
    due_date: date,
    title: str,
    body: str = "",
    url: str = "",
    chunk_size: int = 1000,
) -> int:
    """Like notify_many, but each member is the subject of their own notification.

    The key is then (kind, member, due date): a nudge about a member's own standing reaches
    them once whichever branch they were in when each run happened.
    """
    return _fan_out(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(Member),
        subject_of=str,
        recipient_ids=recipient_ids,
        due_date=due_date,
        title=title,
        body=body,
        url=url,
        chunk_size=chunk_size,
    )


def _fan_out(
    *, kind, subject_type, subject_of, recipient_ids, due_date, title, body, url, chunk_size
) -> int:
    """Insert the notifications of one fan-out chunk by chunk, under the unique key."""
    created = 0
    chunk = []

    def flush():
        nonlocal created
        if not chunk:
            return
        emails = dict(Member.objects.filter(pk__in=chunk).values_list("pk", "email"))
        existing = set(
            Notification.objects.filter(
                kind=kind,
                subject_type=subject_type,
                subject_id__in={subject_of(rid) for rid in chunk},
                recipient_id__in=chunk,
                due_date=due_date,
            ).values_list("recipient_id", flat=True)
        )
        now = timezone.now()
        rows = [
            Notification(
                recipient_id=rid,
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_of(rid),
                due_date=due_date,
                title=title,
                body=body,
                url=url,
                created_at=now,
                email_state=(
                    Notification.EmailState.PENDING
                    if emails.get(rid)
                    else Notification.EmailState.NONE
                ),
            )
            for rid in chunk
            if rid not in existing and rid in emails
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
        chunk.clear()

    with transaction.atomic():
        for rid in recipient_ids:
            chunk.append(rid)
            if len(chunk) >= chunk_size:
                flush()
        flush()
        if created:
            transaction.on_commit(partial(queue_email_sending, created))
    return created


# How many sender tasks one fan-out queues: each claims its own batches (skip-locked), so
# they share the work across the worker's processes without ever sending a mail twice.
EMAIL_SENDER_TASKS = 2
EMAIL_BATCH_SIZE = 500


def queue_email_sending(created: int = 1):
    """Queue sender tasks for `created` new notifications (call from transaction.on_commit)."""
    from .tasks import send_pending_emails

    batches = -(-created // EMAIL_BATCH_SIZE)
    for _i in range(max(1, min(EMAIL_SENDER_TASKS, batches))):
        send_pending_emails.delay()


def notification_mark_read(*, member: Member, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=member, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def pending_emails_send(
    *, batch_size: int = EMAIL_BATCH_SIZE, max_attempts: int = 3, max_batches: int | None = None
) -> int:
    """Send the e-mail of pending notifications, batch by batch; returns how many were sent.

    Each batch is claimed first (pending -> sending, in one transaction that skips rows
    another sender has locked), so any number of senders may run at once and none sends a
    message another has claimed. A claimed batch goes out over one mail connection and is
    marked sent with one UPDATE. A failed message goes back to pending until max_attempts,
    then is marked failed (visible in admin). A sender that dies between sending and marking
    leaves its batch in "sending": at most once, never twice.
    """
    _expire_stale_email_claims()
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


STALE_EMAIL_CLAIM = timedelta(minutes=30)


def _expire_stale_email_claims() -> int:
    """Mark failed the messages a sender claimed and never finished (it died mid-batch).

    They may or may not have gone out, so they are not sent again ("never twice"); the failed
    state shows them in the admin, and the in-app notification was delivered regardless.
    """
    return Notification.objects.filter(
        email_state=Notification.EmailState.SENDING,
        email_claimed_at__lt=timezone.now() - STALE_EMAIL_CLAIM,
    ).update(email_state=Notification.EmailState.FAILED)


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


def _email_message(notification: Notification, subjects: dict) -> EmailMultiAlternatives:
    recipient = notification.recipient
    context = {"notification": notification, "member": recipient}
    if notification.title not in subjects:  # a fan-out shares one title: render it once
        subject = render_to_string("members/email/notification_subject.txt", context)
        subjects[notification.title] = " ".join(subject.split())
    text = render_to_string("members/email/notification_body.txt", context)
    html = render_to_string("members/email/notification_body.html", context)
    message = EmailMultiAlternatives(
        subject=subjects[notification.title], body=text, to=[recipient.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_email_batch(batch: list[Notification], *, max_attempts: int) -> tuple[int, list]:
    """Send a claimed batch over one connection; one UPDATE for those sent, and the failed
    ones back to pending (or failed after max_attempts).

    Returns how many were sent and the ids put back to pending."""
    sent_ids, retry_ids, failed_ids = [], [], []
    subjects = {}
    connection_ = get_connection()
    try:
        connection_.open()
    except Exception:
        logger.exception("Opening the mail connection failed")
        connection_ = None
    with translation.override(settings.LANGUAGE_CODE):
        for notification in batch:
            try:
                if connection_ is None:
                    raise ConnectionError("no mail connection")
                message = _email_message(notification, subjects)
                message.connection = connection_
                if not connection_.send_messages([message]):
                    raise RuntimeError("the mail backend refused the message")
            except Exception:
                logger.exception("Sending notification %s failed", notification.pk)
                # email_attempts was already raised by the claim.
                if notification.email_attempts + 1 >= max_attempts:
                    failed_ids.append(notification.pk)
                else:
                    retry_ids.append(notification.pk)
            else:
                sent_ids.append(notification.pk)
    if connection_ is not None:
        try:
            connection_.close()
        except Exception:
            logger.exception("Closing the mail connection failed")
    now = timezone.now()
    if sent_ids:
        Notification.objects.filter(pk__in=sent_ids).update(
            email_state=Notification.EmailState.SENT, emailed_at=now
        )
    if retry_ids:
        Notification.objects.filter(pk__in=retry_ids).update(
            email_state=Notification.EmailState.PENDING
        )
    if failed_ids:
        Notification.objects.filter(pk__in=failed_ids).update(
            email_state=Notification.EmailState.FAILED
        )
    return len(sent_ids), retry_ids


# --- audit ---------------------------------------------------------------------------------


def audit_log(*, actor, action: str, obj=None, **data) -> AuditEntry:
    """Record an action history tables do not capture (an export, a confidential read)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
