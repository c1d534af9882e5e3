"""Tables of members/channels: a branch's robots, a member's channel order, and deliveries."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import actor_field

__all__ = ["BranchChannel", "ChannelKind", "ChannelPreference", "Delivery", "RateWindow"]


class ChannelKind(models.TextChoices):
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group bot")
    WEBHOOK = "webhook", _("Signed webhook")


# A branch's group: one robot of each kind at most. A member's own channels: e-mail and SMS.
GROUP_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU, ChannelKind.WEBHOOK)
PERSONAL_KINDS = (ChannelKind.EMAIL, ChannelKind.SMS)


class BranchChannel(models.Model):
    """A branch's group robot (or signed webhook), set by the branch's secretary.

    A permanent error (revoked robot, bad address) sets broken_at: nothing more is queued for
    it until the secretary saves it again or sends a test message that is accepted.
    """

    organization = models.ForeignKey(
        "members.Organization",
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        related_name="channels",
    )
    kind = models.CharField(_("service"), max_length=20, choices=ChannelKind.choices)
    webhook_url = models.URLField(_("webhook address"), max_length=500)
    # The signing secret where the service signs (DingTalk "SEC…", Feishu, the generic webhook).
    # Stored as given: the database is as confidential as the members' records it holds.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    is_enabled = models.BooleanField(_("send branch notices here"), default=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = actor_field()

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="channel_one_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in GROUP_KINDS]), name="channel_group_kind"
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.get_kind_display()}"


class ChannelPreference(models.Model):
    """The member's own channels, in the order they chose (/me/channels/): a personal notice
    goes to the first that can reach them, and on to the next when that one fails for good.
    No row: e-mail (as before). An empty order: the inbox only."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="channel_preference"
    )
    order = models.CharField(max_length=40, blank=True)  # e.g. "sms,email"
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")

    def __str__(self):
        return f"{self.member_id}: {self.order or '-'}"

    @property
    def channels(self):
        return [c for c in self.order.split(",") if c]


class Delivery(models.Model):
    """One message to one channel: the intent, written with the event; a worker claims it
    (pending -> sending), sends it and records the answer. Unique per (event, channel,
    target): a re-run of the job that queued it adds nothing."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        ACCEPTED = "accepted", pgettext_lazy("delivery", "Accepted")
        FAILED = "failed", _("Not delivered")

    event_key = models.CharField(max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    # "robot:<BranchChannel id>" or "member:<Member id>".
    target = models.CharField(max_length=40)
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.CASCADE, related_name="deliveries"
    )
    branch_channel = models.ForeignKey(
        BranchChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    notification = models.ForeignKey(
        "members.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # The member's channels still to try, in their order, when this one fails for good.
    fallback = models.CharField(max_length=40, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "channel", "target"], name="delivery_once_per_key"
            ),
            models.CheckConstraint(
                condition=Q(state="accepted", accepted_at__isnull=False) | ~Q(state="accepted"),
                name="delivery_accepted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["organization", "-created_at", "-id"], name="delivery_log"),
        ]

    def __str__(self):
        return f"{self.channel} {self.target} {self.event_key}"


class RateWindow(models.Model):
    """The send times of one endpoint (a robot, the SMS gateway) within its longest limit
    window: a sliding log, read and extended under a row lock, so that every worker together
    stays within the service's documented rate."""

    name = models.CharField(max_length=60, unique=True)
    recent = models.JSONField(default=list)  # epoch seconds, oldest first

    class Meta:
        verbose_name = _("rate window")
        verbose_name_plural = _("rate windows")

    def __str__(self):
        return self.name
