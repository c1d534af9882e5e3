"""What every part of the channels' services shares: the robot modules, the kinds, the
sender's limits and timings, and the names of delivery targets."""

from datetime import date

from django.conf import settings

from .. import dingtalk, feishu, sms, webhook, wecom
from ..models import GROUP_KINDS, PERSONAL_KINDS, ChannelKind

ROBOTS = {
    ChannelKind.WECOM: wecom,
    ChannelKind.DINGTALK: dingtalk,
    ChannelKind.FEISHU: feishu,
    ChannelKind.WEBHOOK: webhook,
}
# Notices whose subject must never leave the site in words: a group never gets them at all,
# and a member's SMS says only that there is something to read in the inbox.
CONFIDENTIAL_PREFIXES = ("protection.",)
KIND_TEST = "channels.test"
KIND_ROBOT_FAILED = "channels.robot_failed"


class ChannelError(ValueError):
    """A channel setting refused: carries a translated message for the user."""


def _robot_target(channel_id):
    return f"robot:{channel_id}"


def _member_target(member_id):
    return f"member:{member_id}"


def event_key(kind: str, subject_type_id: int, subject_id, due_date: date) -> str:
    """The event part of a delivery's idempotency key (kind, subject, due date)."""
    return f"{kind}|{subject_type_id}:{subject_id}|{due_date.isoformat()}"


def is_confidential(kind: str) -> bool:
    return kind.startswith(CONFIDENTIAL_PREFIXES)


def url_prefixes(kind: str) -> list[str]:
    return list(settings.BRANCHSITE_CHANNEL_URL_PREFIXES.get(kind, ()))


def offered_group_kinds() -> list[str]:
    """The robot services this site offers (the others have no allowed address)."""
    return [k for k in GROUP_KINDS if url_prefixes(k)]


def offered_personal_kinds() -> list[str]:
    return [k for k in PERSONAL_KINDS if k == ChannelKind.EMAIL or sms.enabled()]


def _link(url: str) -> str:
    base = settings.BRANCHSITE_BASE_URL
    return f"{base}{url}" if base and url.startswith("/") else ""
