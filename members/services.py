"""Every write that matters in members/: one function per use case, one transaction each."""

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from . import figures
from .channels import services as channels
from .concurrency import version_claim
from .errors import DomainError
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

    Bulk creations in one branch run one at a time: the branch row is locked (FOR UPDATE)
    and the duplicate check runs again under the lock, so two imports of overlapping files
    confirmed at the same moment never create the same member twice (the second is refused
    with a DomainError naming the members already on the roster).
    """
    branch = Organization.objects.select_for_update().get(pk=branch.pk)
    if branch.kind != OrganizationKind.BRANCH:
        raise DomainError({"branch": _("A member's relationship is held by a Party branch.")})
    _refuse_duplicates(branch, rows)
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


def _refuse_duplicates(branch: Organization, rows: list[dict]):
    """Refuse rows naming a current member of the branch (same name and phone, or same name
    and date of birth) or the same member twice. Call with the branch row locked."""
    from .roster_selectors import existing_member_keys

    existing = existing_member_keys(branch, {fields.get("full_name", "") for fields in rows})
    seen = set()
    dupes = []
    for fields in rows:
        name = fields.get("full_name", "")
        keys = {
            (name, "phone", fields.get("phone")),
            (name, "birth", fields.get("birth_date")),
        }
        keys = {k for k in keys if k[2]}
        if keys & existing or keys & seen:
            dupes.append(name)
        seen |= keys
    if dupes:
        raise DomainError(
            ngettext(
                "Nothing was saved: %(n)s of these members is already on the branch's roster "
                "(%(names)s). Someone may have added them a moment ago.",
                "Nothing was saved: %(n)s of these members are already on the branch's roster "
                "(for example %(names)s). Someone may have added them a moment ago.",
                len(dupes),
            )
            % {"n": len(dupes), "names": "、".join(dupes[:5])}
        )


@transaction.atomic
def member_update(*, member: Member, actor=None, version: int | None = None, **fields) -> Member:
    """Change a member's details. `version`: the one the editor saw; ConcurrentChange when
    someone saved the member since (members.concurrency)."""
    before = Member.objects.filter(pk=member.pk).values_list("branch_id", "status").first()
    for name, value in fields.items():
        setattr(member, name, value)
    version_claim(member, version, fields=list(fields))
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
                    if usable[rid][:1] == ["email"]
                    else Notification.EmailState.NONE
                ),
            )
            for rid in chunk
            if rid not in existing and rid in reach
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        sms_first = [row.recipient_id for row in rows if usable[row.recipient_id][:1] == ["sms"]]
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
    from .tasks_queue import enqueue

    batches = -(-created // EMAIL_BATCH_SIZE)
    for _i in range(max(1, min(EMAIL_SENDER_TASKS, batches))):
        # Broker down: logged, and the beat sweep (send_pending_emails) sends them later.
        if enqueue(send_pending_emails) is None:
            break


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
    """Send a claimed batch over one connection, marking each message sent once the server
    accepted it; the failed ones back to pending (or failed after max_attempts).

    Returns how many were sent and the ids put back to pending."""
    sent = 0
    retry_ids, failed_ids = [], []
    subjects = {}
    done = set()
    connection_ = get_connection()
    try:
        connection_.open()
    except Exception:
        logger.exception("Opening the mail connection failed")
        connection_ = None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for notification in batch:
                try:
                    if connection_ is None:
                        raise ConnectionError("no mail connection")
                    message = _email_message(notification, subjects)
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
                    Notification.objects.filter(pk=notification.pk).update(
                        email_state=Notification.EmailState.SENT, emailed_at=timezone.now()
                    )
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


def audit_log(*, actor, action: str, obj=None, **data) -> AuditEntry:
    """Record an action history tables do not capture (an export, a confidential read)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
