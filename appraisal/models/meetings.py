"""Life meetings and their rectification items."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.fields import actor_field
from members.models import Member, Organization
from members.voiding import Voidable

from .cycles import AppraisalCycle

# --- life meetings ---------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    ORGANIZATIONAL = "organizational_life_meeting", _("Organizational life meeting")
    DEMOCRATIC = "democratic_life_meeting", _("Democratic life meeting")


class LifeMeeting(Voidable, Versioned):
    """An organizational life meeting (组织生活会) or democratic life meeting (民主生活会).

    A record entered in error is voided with a reason (services.meetings.life_meeting_void):
    it stays listed, marked voided, and its open rectification items are no longer due."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="life_meetings",
    )
    kind = models.CharField(_("kind"), max_length=40, choices=MeetingKind.choices)
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=200)
    topics = models.TextField(_("topics"), blank=True)
    self_examination = models.BooleanField(
        _("self-examination against the regulations"), default=True
    )
    online_conduct = models.BooleanField(_("online conduct included (Art. 27)"), default=True)
    minutes = models.TextField(_("minutes of criticism and self-criticism"), blank=True)
    attendees = models.ManyToManyField(
        Member, verbose_name=_("attendees"), related_name="life_meetings", blank=True
    )
    cycle = models.ForeignKey(
        AppraisalCycle,
        verbose_name=_("appraisal cycle"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="life_meetings",
    )
    recorded_by = actor_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("life meeting")
        verbose_name_plural = _("life meetings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organization", "held_on"], name="life_meeting_org")]

    def __str__(self):
        return f"{self.held_on} {self.title}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("rectification status", "Open")
    DONE = "done", pgettext_lazy("rectification status", "Done")


class Rectification(models.Model):
    """A rectification item (整改) from a life meeting, with an owner and a due date."""

    meeting = models.ForeignKey(
        LifeMeeting, on_delete=models.PROTECT, related_name="rectifications"
    )
    description = models.TextField(_("what to rectify"))
    owner = models.ForeignKey(
        Member, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="rectifications"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="rectification_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True)
                | Q(status="done", done_on__isnull=False),
                name="rectification_done_has_date",
            )
        ]

    def __str__(self):
        return self.description[:60]

    @property
    def is_done(self):
        return self.status == RectificationStatus.DONE
