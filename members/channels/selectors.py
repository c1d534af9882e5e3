"""Reads behind the channel pages: a branch's robots and delivery log, a member's channels."""

from collections import defaultdict

from .models import BranchChannel, ChannelKind, ChannelPreference, Delivery


def branch_channels(branch) -> dict[str, BranchChannel]:
    return {c.kind: c for c in BranchChannel.objects.filter(organization=branch)}


def delivery_log(branch):
    """The branch's deliveries, newest first (group robots and its members' SMS); paginate."""
    return (
        Delivery.objects.filter(organization=branch)
        .select_related("recipient")
        .only(
            "channel",
            "kind",
            "title",
            "state",
            "attempts",
            "created_at",
            "accepted_at",
            "next_attempt_at",
            "last_error",
            "recipient__full_name",
        )
        .order_by("-created_at", "-id")
    )


def deliveries_by_notification(notification_ids) -> dict[int, list[Delivery]]:
    """The deliveries of these notifications beyond the inbox and e-mail: one query."""
    found = defaultdict(list)
    for delivery in Delivery.objects.filter(notification_id__in=list(notification_ids)).only(
        "notification_id", "channel", "state", "accepted_at", "last_error"
    ):
        found[delivery.notification_id].append(delivery)
    return found


def channel_order(member) -> list[str]:
    """The channel order the member chose (/me/channels/); e-mail alone when they chose none."""
    pref = ChannelPreference.objects.filter(member=member).first()
    return pref.channels if pref is not None else [ChannelKind.EMAIL.value]
