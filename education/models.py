"""Study sessions and what hangs off them (Art. 22): attendance, check-in, make-up study,
study-hour requirements, regular-meeting cadence, reminder settings and calendar feeds.

Who is expected at a session is the set of its Attendance rows: planning a session creates
one row per expected member in the "not yet marked" state, and logging the held session (or a
member's check-in) fills in the outcome and the credited hours.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.models import Member, Organization, OrganizationFigures
from members.uploads import PrivateFile, random_upload_path

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


class Session(Versioned):
    """A study session held by an organization (branch, group, or a committee for several
    branches). `branches` are the branches it counts for in the regular-meeting grid."""

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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A held session is never deleted: voided (state "cancelled") with a reason, its attendance
    # kept; it no longer counts for hours or the meeting grid (services.session_void).
    void_reason = models.CharField(_("reason for voiding"), max_length=500, blank=True, default="")
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

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


def makeup_evidence_upload_to(instance, filename):
    return random_upload_path("education/makeups", filename)


class MakeupState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Makeup(models.Model):
    """Make-up study (补学) a member records for a missed session; counts once confirmed."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="makeups"
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("missed session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="makeups",
    )
    description = models.TextField(_("what was studied"))
    studied_on = models.DateField(_("studied on"))
    hours = models.DecimalField(_("hours"), **HOURS_FIELD)
    # One evidence file, checked, named and served as every PrivateFile is
    # (members.uploads); its name as the member gave it and its served type beside it.
    evidence = models.FileField(
        _("evidence"), upload_to=makeup_evidence_upload_to, blank=True, max_length=200
    )
    evidence_name = models.CharField(
        _("evidence file name"), max_length=160, blank=True, default=""
    )
    evidence_type = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=12, choices=MakeupState.choices, default=MakeupState.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("make-up study")
        verbose_name_plural = _("make-up studies")
        ordering = ["-studied_on", "-id"]
        indexes = [models.Index(fields=["member", "state", "studied_on"], name="makeup_member")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="makeup_hours_positive"),
            models.UniqueConstraint(
                fields=["member", "session"],
                condition=~Q(state="rejected") & Q(session__isnull=False),
                name="makeup_once_per_session",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.studied_on}"


class HoursRequirement(Versioned):
    """Study hours required in a year below an organization (nearest ancestor wins)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="hours_requirements",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    member_hours = models.DecimalField(
        _("hours for members"), default=Decimal("32.0"), **HOURS_FIELD
    )
    leader_hours = models.DecimalField(
        _("hours for secretaries and committee members"), default=Decimal("56.0"), **HOURS_FIELD
    )

    class Meta:
        verbose_name = _("study hours requirement")
        verbose_name_plural = _("study hours requirements")
        ordering = ["organization_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="hours_req_once")
        ]

    def __str__(self):
        return f"{self.organization} {self.year}"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    NONE = "none", _("Not required")


# 中国共产党支部工作条例(试行) and common local rules (DESIGN.md, "Domain rules").
DEFAULT_CADENCE = {
    SessionKind.GENERAL_MEETING: Frequency.QUARTERLY,
    SessionKind.COMMITTEE_MEETING: Frequency.MONTHLY,
    SessionKind.GROUP_MEETING: Frequency.MONTHLY,
    SessionKind.PARTY_LECTURE: Frequency.QUARTERLY,
    SessionKind.THEME_DAY: Frequency.MONTHLY,
}


def _frequency_field(label):
    return models.CharField(
        label, max_length=10, choices=Frequency.choices, blank=True, null=True, default=None
    )


class ComplianceCadence(Versioned):
    """How often each regular meeting is required below an organization.

    An empty field inherits from the nearest ancestor that sets it, then DEFAULT_CADENCE.
    """

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="compliance_cadence",
    )
    general_meeting = _frequency_field(_("branch general meeting"))
    committee_meeting = _frequency_field(_("branch committee meeting"))
    group_meeting = _frequency_field(_("Party group meeting"))
    party_lecture = _frequency_field(_("Party lecture"))
    theme_day = _frequency_field(_("theme Party day"))

    class Meta:
        verbose_name = _("regular meeting cadence")
        verbose_name_plural = _("regular meeting cadences")

    def __str__(self):
        return str(self.organization)


class ReminderSettings(Versioned):
    """Which reminders an organization's members get (nearest ancestor's row wins)."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="reminder_settings",
    )
    session_reminders = models.BooleanField(_("remind expected attendees"), default=True)
    session_lead_days = models.PositiveSmallIntegerField(
        _("days before a session"), default=1, validators=[MinValueValidator(0)]
    )
    hours_nudges = models.BooleanField(_("monthly nudge to members behind on hours"), default=True)
    meeting_digests = models.BooleanField(
        _("monthly digest of meetings not yet held"), default=True
    )

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self):
        return str(self.organization)


def _new_feed_token():
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A member's private iCalendar URL; revoking it (or regenerating) stops the old one."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live",
            )
        ]

    def __str__(self):
        return str(self.member)


# --- summaries (kept up to date by services.py; education.summaries rebuilds them) ---------


class MemberYearHours(models.Model):
    """A member's study hours in a calendar year, summed from held sessions and confirmed
    make-up study. Written by the services that change attendance, sessions or make-ups (in
    their transaction); `manage.py education_rebuild_summaries` recomputes it from scratch."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="year_hours"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    attended_hours = models.DecimalField(max_digits=7, decimal_places=1, default=Decimal("0.0"))
    makeup_hours = models.DecimalField(max_digits=7, decimal_places=1, default=Decimal("0.0"))
    sessions_held = models.PositiveIntegerField(default=0)
    sessions_attended = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("study hours summary")
        verbose_name_plural = _("study hours summaries")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="member_year_hours_once")
        ]

    def __str__(self):
        return f"{self.member_id} {self.year}"


class BranchYearMeetings(models.Model):
    """Which months of a year a branch held each regular meeting: one bit per month
    (bit 0 = January) per kind. Kept up to date like MemberYearHours."""

    branch = models.ForeignKey(
        Organization,
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        related_name="meeting_summaries",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    general_meeting = models.PositiveIntegerField(default=0)
    committee_meeting = models.PositiveIntegerField(default=0)
    group_meeting = models.PositiveIntegerField(default=0)
    party_lecture = models.PositiveIntegerField(default=0)
    theme_day = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("regular meetings summary")
        verbose_name_plural = _("regular meetings summaries")
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="branch_year_meetings_once")
        ]

    def __str__(self):
        return f"{self.branch_id} {self.year}"


class OrganizationStudyFigures(OrganizationFigures):
    """Study hours and regular meetings over an organization's subtree for one year (a
    branch's own for a branch): see education.figures. `behind` and `missing` depend on
    the date (the pace of the year, the periods already over); they are as of the row's
    computed_at, and every branch row of the year is recomputed when a month begins."""

    year = models.PositiveSmallIntegerField(_("year"))
    branches = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    leaders = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=14, decimal_places=1, default=Decimal("0.0"))
    met = models.PositiveIntegerField(default=0)  # at or above the year's requirement
    behind = models.PositiveIntegerField(default=0)  # below the requirement's pace
    meetings_held = models.PositiveIntegerField(default=0)  # (kind, month) with a meeting
    missing = models.PositiveIntegerField(default=0)  # required periods over, none held
    branches_missing = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("organization study figures")
        verbose_name_plural = _("organization study figures")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="study_figures_once"),
        ]
        indexes = [
            models.Index(fields=["parent", "year"], name="study_figures_parent"),
            models.Index(
                fields=["organization"],
                name="study_figures_dirty",
                condition=Q(version__gt=F("propagated")),
            ),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.year}"
