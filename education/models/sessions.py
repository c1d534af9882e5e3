"""Study sessions and who attends them (Art. 22): the session, its attendance rows and the
files handed out at it.

Who is expected at a session is the set of its Attendance rows: planning a session creates
one row per expected member in the "not yet marked" state, and logging the held session (or a
member's check-in) fills in the outcome and the credited hours.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.fields import actor_field
from members.models import Member, Organization
from members.uploads import PrivateFile
from members.voiding import VoidReason

HOURS_FIELD = {"max_digits": 5, "decimal_places": 1, "validators": [MinValueValidator(0)]}


class SessionKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", _("Branch general meeting")
    COMMITTEE_MEETING = "committee_meeting", _("Branch committee meeting")
    GROUP_MEETING = "group_meeting", _("Party group meeting")
    PARTY_LECTURE = "party_lecture", _("Party lecture")
    THEME_DAY = "theme_day", _("Theme Party day")
    STUDY = "study", _("Study session")
    TRAINING = "training", _("Concentrated training")
    ONLINE_COURSE = "online_course", _("Online course")


# 三会一课 plus the theme Party day: the kinds the compliance grid checks.
REGULAR_KINDS = (
    SessionKind.GENERAL_MEETING,
    SessionKind.COMMITTEE_MEETING,
    SessionKind.GROUP_MEETING,
    SessionKind.PARTY_LECTURE,
    SessionKind.THEME_DAY,
)


class Topic(models.TextChoices):
    THEORY = "theory", _("Political theory")
    PARTY_RULES = "party_rules", _("Party Constitution and regulations")
    ONLINE_LITERACY = "online_literacy", _("Online literacy and skills")
    LAWFUL_INTERNET = "lawful_internet", _("Lawful, rule-abiding internet use")
    PARTY_HISTORY = "party_history", _("Party history")
    POLICY = "policy", _("Current affairs and policy")
    PROFESSIONAL = "professional", _("Professional skills")
    OTHER = "other", pgettext_lazy("topic", "Other")


class SessionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


# What a secretary describes about a session: the session form, its edit service and its
# change history all work from this list.
SESSION_FIELDS = (
    "kind",
    "title",
    "topics",
    "starts_at",
    "ends_at",
    "place",
    "online_url",
    "lecturer",
    "hours",
    "minutes",
)


class Session(VoidReason, Versioned):
    """A study session held by an organization (branch, group, or a committee for several
    branches). `branches` are the branches it counts for in the regular-meeting grid.

    A held session is never deleted: voided (state "cancelled") with a reason, its attendance
    kept; it no longer counts for hours or the meeting grid (services.session_void)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        related_name="study_sessions",
    )
    branches = models.ManyToManyField(
        Organization,
        verbose_name=_("branches it counts for"),
        related_name="covering_sessions",
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=30, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    lecturer = models.CharField(_("lecturer"), max_length=100, blank=True)
    hours = models.DecimalField(_("credited hours"), default=Decimal("1.0"), **HOURS_FIELD)
    minutes = models.TextField(_("minutes"), blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=SessionState.choices, default=SessionState.PLANNED
    )
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The branches it counts for are kept in the history too (which grid a held session
    # filled is part of the record).
    history = HistoricalRecords(m2m_fields=[branches])
    # Labels of the JSON topics, for a conflict message (members.concurrency).
    VERSIONED_CHOICE_LABELS = {"topics": Topic.choices}

    class Meta:
        verbose_name = _("study session")
        verbose_name_plural = _("study sessions")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="session_org_start"),
            models.Index(fields=["state", "starts_at"], name="session_state_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="session_hours_not_negative"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_planned(self):
        return self.state == SessionState.PLANNED

    @property
    def is_held(self):
        return self.state == SessionState.HELD

    @property
    def is_cancelled(self):
        return self.state == SessionState.CANCELLED

    def topic_labels(self):
        labels = dict(Topic.choices)
        return [labels.get(t, t) for t in self.topics]


class AttendanceStatus(models.TextChoices):
    PENDING = "pending", _("Not yet marked")
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


CREDITED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def held_meeting_q(prefix=""):
    """ "Meeting held", the one definition: a regular meeting (三会一课 and the theme day)
    whose session is held; a cancelled or voided session is not. `prefix` reaches the session
    from another model ("session__")."""
    return Q(**{f"{prefix}state": SessionState.HELD, f"{prefix}kind__in": REGULAR_KINDS})


class Attendance(models.Model):
    """One expected member at one session; `hours` are the hours credited to them."""

    # PROTECT: attendance is a record; its session is voided, never deleted.
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.PROTECT, related_name="attendances"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(
        _("attendance"),
        max_length=10,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PENDING,
    )
    hours = models.DecimalField(_("credited hours"), default=Decimal("0.0"), **HOURS_FIELD)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session_id", "id"]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_status")]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="attendance_hours_not_negative"),
        ]

    def __str__(self):
        return f"{self.member} · {self.session} · {self.get_status_display()}"


class Material(PrivateFile):
    """A file handed out at a session; served only by a view that checks permissions."""

    UPLOAD_FOLDER = "education/materials"

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="materials"
    )
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["session_id", "id"]

    def __str__(self):
        return self.title
