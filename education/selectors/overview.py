"""A member's own page (home and /me/) and the sections other apps compose: the member's record
and the home dashboard."""

from django.db.models import DateTimeField, Exists, OuterRef, Q
from django.utils import timezone

from members.compiled import Param, compiled_queryset
from members.permissions import led_branches as scope_led_branches

from ..dates import month_bounds, year_bounds
from ..models.makeups import Makeup, MakeupState
from ..models.sessions import Attendance, AttendanceStatus, SessionState
from .hours import behind_by_branch, decorate_hours, member_hours, member_hours_row, pace_fraction
from .regular_meetings import compliance_from_summary


def record_section(member, *, year):
    """Context for education/_record_section.html on the member's record, or None."""
    context = member_hours(member, year, upcoming=year >= timezone.localdate().year)
    context.setdefault("upcoming", [])
    context["member"] = member
    return context


def dashboard_section(user, scope, *, year):
    """Context for education/_dashboard_section.html on the home dashboard (the work part:
    the member's own sessions are on home already), or None. For a branch leader four
    queries: requirements, members behind, the meeting summaries, cadences."""
    context = {"year": year, "branches": [], "is_organizer": scope.is_organizer}
    if scope.led_branch_ids:
        branches = scope_led_branches(user)  # loaded with the scope
        rollup = {b.pk: b for b in behind_by_branch(branches, year)}
        grid = compliance_from_summary(branches, year)
        for bc in grid:
            bc.hours = rollup[bc.branch.pk]
        context["branches"] = grid
    if not (context["branches"] or scope.is_organizer or scope.is_admin):
        return None
    return context


# What the member's pages read of each row (session lists, to-do, check-in): a row of only
# these columns costs about half as much to turn into models as a whole attendance and session.
_OVERVIEW_FIELDS = (
    "session_id",
    "member_id",
    "status",
    "hours",
    "session__title",
    "session__kind",
    "session__starts_at",
    "session__ends_at",
    "session__place",
    "session__state",
)


@compiled_queryset
def _overview_attendance():
    """A member's attendance at the sessions of [start, end), of [month_start, month_end) and
    those planned and not over at `now`, newest first, with whether a make-up is open."""
    member = Param("member")
    in_year = Q(
        session__starts_at__gte=Param("start", DateTimeField()),
        session__starts_at__lt=Param("end", DateTimeField()),
    )
    this_month = Q(
        session__starts_at__gte=Param("month_start", DateTimeField()),
        session__starts_at__lt=Param("month_end", DateTimeField()),
    )
    ahead = Q(
        session__state=SessionState.PLANNED,
        session__ends_at__gte=Param("now", DateTimeField()),
    )
    return (
        Attendance.objects.filter(in_year | this_month | ahead, member_id=member)
        .exclude(session__state=SessionState.CANCELLED)
        .select_related("session")
        .only(*_OVERVIEW_FIELDS)
        .annotate(
            makeup_open=Exists(
                Makeup.objects.filter(member_id=member, session_id=OuterRef("session_id"))
                .exclude(state=MakeupState.REJECTED)
                .values("pk")
            )
        )
        .order_by("-session__starts_at", "-session_id")
    )


def member_overview(member, year, *, now=None):
    """What a member's home and /me/ open with, in two queries: their hours for `year` against
    the requirement (summary row), and one read of their attendance — the year's sessions and
    the sessions still ahead, each with whether a make-up study is already open for it.

    Returns {"hours", "year", "attendances" (the year's, newest first), "month" (this month's
    sessions, in order), "checkin_today" (sessions open for check-in now where the member has
    not checked in), "makeups_owed" (held sessions of the year missed with no make-up yet),
    "upcoming"}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    row = member_hours_row(member, year)
    decorate_hours(row, pace_fraction(year, today))
    start, end = year_bounds(year)
    month_start, month_end = month_bounds(today.year, today.month)
    rows = list(
        _overview_attendance(
            member=member.pk,
            start=start,
            end=end,
            month_start=month_start,
            month_end=month_end,
            now=now,
        )
    )
    from ..services.checkin import CHECKIN_OPENS_BEFORE

    missed = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
    attendances = [a for a in rows if start <= a.session.starts_at < end]
    for a in attendances:
        a.can_make_up = a.session.is_held and a.status in missed and not a.makeup_open
    return {
        "hours": row,
        "year": year,
        "attendances": attendances,
        "month": [a for a in reversed(rows) if month_start <= a.session.starts_at < month_end],
        "checkin_today": [
            a
            for a in reversed(rows)
            if a.session.is_planned
            and a.status == AttendanceStatus.PENDING
            and a.session.starts_at - CHECKIN_OPENS_BEFORE <= now <= a.session.ends_at
        ],
        "makeups_owed": [a for a in attendances if a.can_make_up],
        "upcoming": [
            a for a in reversed(rows) if a.session.is_planned and a.session.ends_at >= now
        ][:5],
    }
