"""After a delivery failed for good: a member's next channel, or the robot set aside and the
branch's secretaries told."""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ...models import ACTIVE_STATUSES, COMMITTEE_ROLES, Notification, Position, Role
from .. import http
from ..models import BranchChannel, ChannelKind, Delivery
from .common import KIND_ROBOT_FAILED, KIND_TEST


def _after_failure(delivery: Delivery, outcome: http.Outcome, error: str):
    """A delivery failed for good: a member's next channel, or the secretary told."""
    if delivery.recipient_id is not None:
        _next_personal_channel(delivery)
        return
    robot = delivery.branch_channel
    if robot is None or not robot.is_enabled:
        return  # removed or turned off by the secretary: nothing to tell them
    if robot.broken_at is not None and delivery.kind != KIND_TEST:
        return  # already set aside and told
    if outcome.permanent:
        BranchChannel.objects.filter(pk=robot.pk).update(
            broken_at=timezone.now(), broken_reason=error[:300]
        )
        # What was queued for it would fail the same way: say so in the log now.
        Delivery.objects.filter(branch_channel=robot, state=Delivery.State.PENDING).update(
            state=Delivery.State.FAILED,
            last_error=(_("Not sent: the robot failed earlier (%(reason)s).") % {"reason": error})[
                :300
            ],
        )
    _tell_secretaries(robot, error)


def _tell_secretaries(robot: BranchChannel, error: str):
    from ...services import notify_many

    with translation.override(settings.LANGUAGE_CODE):
        notify_many(
            kind=KIND_ROBOT_FAILED,
            subject=robot,
            recipient_ids=branch_secretary_ids(robot.organization_id),
            due_date=timezone.localdate(),
            title=_("The %(service)s of your branch could not deliver a notice")
            % {"service": robot.get_kind_display()},
            body=_(
                "The service answered: %(error)s\nCheck the robot in the branch's channel "
                "settings, save it again and send a test message."
            )
            % {"error": error},
            url=reverse("members:channel_settings", args=[robot.organization_id]),
        )


def branch_secretary_ids(branch_id) -> list[int]:
    """The branch's current secretaries and deputies; without one, its committee members."""
    rows = list(
        Position.objects.current()
        .filter(
            organization_id=branch_id,
            role__in=COMMITTEE_ROLES,
            member__status__in=ACTIVE_STATUSES,
        )
        .order_by("member_id")
        .values_list("role", "member_id")
    )
    secretaries = [m for r, m in rows if r in (Role.SECRETARY, Role.DEPUTY_SECRETARY)]
    return sorted(set(secretaries or [m for _r, m in rows]))


def _next_personal_channel(delivery: Delivery):
    rest = [c for c in delivery.fallback.split(",") if c]
    if not rest or delivery.notification_id is None:
        return
    member = delivery.recipient
    if rest[0] == ChannelKind.EMAIL and member.email:
        updated = Notification.objects.filter(
            pk=delivery.notification_id, email_state=Notification.EmailState.NONE
        ).update(email_state=Notification.EmailState.PENDING)
        if updated:
            from ...services import queue_email_sending

            transaction.on_commit(partial(queue_email_sending, 1))
