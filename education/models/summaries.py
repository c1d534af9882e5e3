"""Summary rows kept up to date by the services (education.summaries rebuilds them): hours per
member and year, regular meetings per branch and year, study figures per organization."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import (
    Member,
    Organization,
    OrganizationYearFigures,
    YearSummary,
    figures_keys,
)


class MemberYearHours(YearSummary):
    """A member's study hours in a calendar year, summed from held sessions and confirmed
    make-up study. Written by the services that change attendance, sessions or make-ups (in
    their transaction); `manage.py education_rebuild_summaries` recomputes it from scratch."""

    OWNER = "member"

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="year_hours"
    )
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


class BranchYearMeetings(YearSummary):
    """Which months of a year a branch held each regular meeting: one bit per month
    (bit 0 = January) per kind. Kept up to date like MemberYearHours."""

    OWNER = "branch"

    branch = models.ForeignKey(
        Organization,
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        related_name="meeting_summaries",
    )
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


class OrganizationStudyFigures(OrganizationYearFigures):
    """Study hours and regular meetings over an organization's subtree for one year (a
    branch's own for a branch): see education.figures. `behind` and `missing` depend on
    the date (the pace of the year, the periods already over); they are as of the row's
    computed_at, and every branch row of the year is recomputed when a month begins."""

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
        constraints, indexes = figures_keys("study_figures", "year")
