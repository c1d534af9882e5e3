"""Every write that matters in members/: one function per use case, one transaction each.

The writes live by use case in this package: `organizations` (the tree, positions),
`roster` (members, transfers), `notifications` (the inbox fan-out), `email` (sending the
notifications' mail) and `audit` (the audit log). Import them from here:
`from members.services import notify_many`.
"""

from ..errors import DomainError
from .audit import audit_log
from .email import (
    EMAIL_BATCH_SIZE,
    EMAIL_SENDER_TASKS,
    email_claim_timeout,
    pending_emails_send,
    queue_email_sending,
)
from .notifications import notification_mark_read, notify, notify_each, notify_many
from .organizations import organization_create, position_assign
from .roster import member_create, member_create_many, member_transfer, member_update

__all__ = [
    "EMAIL_BATCH_SIZE",
    "EMAIL_SENDER_TASKS",
    "DomainError",
    "audit_log",
    "email_claim_timeout",
    "member_create",
    "member_create_many",
    "member_transfer",
    "member_update",
    "notification_mark_read",
    "notify",
    "notify_each",
    "notify_many",
    "organization_create",
    "pending_emails_send",
    "position_assign",
    "queue_email_sending",
]
