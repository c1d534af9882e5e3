"""Notifications to members and the audit trail."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import actor_field
from .people import Member


class Notification(models.Model):
    """An in-app message to a member, also e-mailed; reminders are unique per key.

    The key (kind, subject, recipient, due date) is what makes a retried or re-run task
    harmless: members.services.notify inserts under it and a second insert does nothing.
    """

    class EmailState(models.TextChoices):
        NONE = "none", _("No e-mail")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # No index of its own: notification_inbox (recipient, read_at) leads with it. Every index
    # here is written again by each e-mail's "sent" mark, the hottest write of a fan-out.
    recipient = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=60)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    subject_id = models.CharField(max_length=40)
    subject = GenericForeignKey("subject_type", "subject_id")
    due_date = models.DateField()
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender claimed it (pending -> sending): a claim left behind by a dead sender is
    # released to pending after a while and sent again (members.services.pending_emails_send).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "recipient", "due_date"],
                name="notification_once_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
            # Only the e-mails still to send (and the failed ones, for admin): the millions
            # sent or without e-mail stay out of it, so a claim reads a small index and a
            # "sent" mark or a fan-out row without e-mail writes no entry in it.
            models.Index(
                fields=["email_state", "created_at"],
                name="notification_outbox",
                condition=models.Q(email_state__in=["pending", "sending", "failed"]),
            ),
        ]

    def __str__(self):
        return self.title


class AuditEntry(models.Model):
    """Who did what to which object, for actions that history tables do not capture:
    exports of personal data, views of confidential records, workflow moves."""

    actor = actor_field(blank=False)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True)
    object_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.action} {self.object_type_id}:{self.object_id}"
