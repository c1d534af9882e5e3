"""Queueing deliveries: each written as a Delivery row with its event, unique per (event,
channel, recipient), and a sender asked for at commit.

Group notices go once per event to each branch's robots (never for a confidential kind);
personal deliveries follow a member's chosen channel order after the inbox and e-mail.
"""

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ...models import Notification
from .. import sms
from ..models import BranchChannel, ChannelKind, ChannelPreference, Delivery
from .common import _member_target, _robot_target, event_key, is_confidential, offered_group_kinds

# --- queueing ------------------------------------------------------------------------------


def queue_delivery_sending():
    """Ask a worker to send what is due now (call from transaction.on_commit). In the
    embedded default (tasks run in-process) nothing is sent here - that would be inside the
    web request - the periodic job does it."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from ...tasks import send_due_deliveries
    from ...tasks_queue import enqueue

    enqueue(send_due_deliveries)  # a broker outage is logged; the beat sweep runs it later


def group_notice(
    *, kind: str, subject, branch_ids, due_date: date, title: str, body: str = "", url: str = ""
) -> int:
    """One message per event to the group robots of these branches; returns how many were new.

    Keyed on (kind, subject, due date) per robot, so a re-run of the job adds nothing. Never
    for a confidential kind (protection cases): that would put a case in front of a group.
    """
    if is_confidential(kind):
        raise ValueError(f"{kind} is confidential: never sent to a group")
    kinds = offered_group_kinds()
    if not kinds:
        return 0
    key = event_key(kind, ContentType.objects.get_for_model(subject).pk, subject.pk, due_date)
    robots = list(
        BranchChannel.objects.filter(
            organization_id__in=list(branch_ids),
            kind__in=kinds,
            is_enabled=True,
            broken_at__isnull=True,
        ).values_list("pk", "kind", "organization_id")
    )
    if not robots:
        return 0
    return _insert(
        [
            Delivery(
                event_key=key,
                channel=robot_kind,
                target=_robot_target(pk),
                organization_id=org_id,
                branch_channel_id=pk,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
            )
            for pk, robot_kind, org_id in robots
        ]
    )


def _insert(rows: list[Delivery]) -> int:
    """Insert under the unique key (existing ones skipped); queue a sender at commit."""
    if not rows:
        return 0
    with transaction.atomic():
        existing = set(
            Delivery.objects.filter(
                event_key__in={r.event_key for r in rows},
                target__in={r.target for r in rows},
            ).values_list("event_key", "channel", "target")
        )
        new = [r for r in rows if (r.event_key, r.channel, r.target) not in existing]
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            transaction.on_commit(queue_delivery_sending)
    return len(new)


def channel_orders(member_ids) -> dict[int, list[str]]:
    """The chosen channel order of those of these members who chose one (others: e-mail)."""
    return {
        member_id: [c for c in order.split(",") if c]
        for member_id, order in ChannelPreference.objects.filter(
            member_id__in=list(member_ids)
        ).values_list("member_id", "order")
    }


def usable_channels(order: list[str] | None, *, email: str, phone: str) -> list[str]:
    """The member's channels, in their order, that can reach them on this site."""
    order = [ChannelKind.EMAIL.value] if order is None else order
    sms_on = sms.enabled()
    return [
        c
        for c in order
        if (c == ChannelKind.EMAIL and email) or (c == ChannelKind.SMS and sms_on and phone)
    ]


def personal_deliveries_queue(*, notifications: dict[int, tuple[int, str, str]]) -> int:
    """SMS deliveries for notifications whose recipient put SMS first.

    notifications: {notification id: (recipient id, recipient's branch id, fallback)}. The
    notification's own e-mail state covers e-mail; this covers the rest."""
    if not notifications:
        return 0
    rows = list(
        Notification.objects.filter(pk__in=list(notifications)).values_list(
            "pk", "kind", "subject_type_id", "subject_id", "due_date", "title"
        )
    )
    return _insert(
        [
            _sms_delivery(pk, kind, ct, sid, due, title, *notifications[pk])
            for pk, kind, ct, sid, due, title in rows
        ]
    )


def _sms_delivery(pk, kind, ct, sid, due, title, member_id, branch_id, fallback) -> Delivery:
    if is_confidential(kind):
        with translation.override(settings.LANGUAGE_CODE):
            title = _("You have a new notice: please sign in to read it.")
    return Delivery(
        event_key=event_key(kind, ct, sid, due),
        channel=ChannelKind.SMS,
        target=_member_target(member_id),
        organization_id=branch_id,
        recipient_id=member_id,
        notification_id=pk,
        kind=kind,
        title=title[:200],
        url=reverse("members:inbox"),
        fallback=fallback,
    )


def email_failed(notification_ids) -> int:
    """E-mail to these notifications failed for good: go on to each member's next channel."""
    rows = list(
        Notification.objects.filter(pk__in=list(notification_ids)).values_list(
            "pk", "recipient_id", "recipient__branch_id", "recipient__email", "recipient__phone"
        )
    )
    orders = channel_orders({r[1] for r in rows})
    plan = {}
    for pk, member_id, branch_id, _email, phone in rows:
        order = orders.get(member_id)
        if not order or ChannelKind.EMAIL not in order:
            continue
        after = usable_channels(order[order.index(ChannelKind.EMAIL) + 1 :], email="", phone=phone)
        if after and after[0] == ChannelKind.SMS:
            plan[pk] = (member_id, branch_id, ",".join(after[1:]))
    return personal_deliveries_queue(notifications=plan)
