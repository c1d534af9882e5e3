"""What an organization sets for those below it (nearest ancestor wins): required study hours,
the regular-meeting cadence and the reminders its members get."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from members.concurrency import Versioned
from members.models import Organization

from .sessions import HOURS_FIELD, SessionKind


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
