"""Every write of members/channels: configuring robots and a member's channel order, queueing
deliveries with the event that causes them, and the sender that works through what is due.

By use case: `configure` (robots, a member's channel order), `queueing` (group notices and
personal deliveries, written as Delivery rows), `sending` (the sender run by the beat job),
`failures` (what follows a permanent failure), `rate_window` (each endpoint's send window);
`common` holds the kinds and the sender's limits. Import from here:
`from members.channels.services import group_notice`.
"""

from .common import (
    CONFIDENTIAL_PREFIXES,
    KIND_ROBOT_FAILED,
    KIND_TEST,
    ROBOTS,
    ChannelError,
    event_key,
    is_confidential,
    offered_group_kinds,
    offered_personal_kinds,
    url_prefixes,
)
from .configure import (
    branch_channel_remove,
    branch_channel_save,
    channel_preference_save,
    test_message_queue,
)
from .failures import (
    branch_secretary_ids,
)
from .queueing import (
    channel_orders,
    email_failed,
    group_notice,
    personal_deliveries_queue,
    queue_delivery_sending,
    usable_channels,
)
from .sending import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    BATCH_SIZE,
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    MAX_THREADS,
    RUN_SECONDS,
    UNREACHABLE_PAUSE,
    deliveries_send,
)

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "BATCH_SIZE",
    "CLAIM_TIMEOUT",
    "CONFIDENTIAL_PREFIXES",
    "KIND_ROBOT_FAILED",
    "KIND_TEST",
    "MAX_ATTEMPTS",
    "MAX_THREADS",
    "ROBOTS",
    "RUN_SECONDS",
    "UNREACHABLE_PAUSE",
    "ChannelError",
    "branch_channel_remove",
    "branch_channel_save",
    "branch_secretary_ids",
    "channel_orders",
    "channel_preference_save",
    "deliveries_send",
    "email_failed",
    "event_key",
    "group_notice",
    "is_confidential",
    "offered_group_kinds",
    "offered_personal_kinds",
    "personal_deliveries_queue",
    "queue_delivery_sending",
    "test_message_queue",
    "url_prefixes",
    "usable_channels",
]
