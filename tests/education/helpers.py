"""Small builders for education tests, on top of tests.factories and the services."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from education import summaries
from education.models import Session, SessionState
from education.services.attendance import session_log
from education.services.sessions import default_branches, default_expected_members, session_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=9, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def plan(organization, *, starts_at=None, hours="2.0", kind="study", title=None, **fields):
    starts_at = starts_at or timezone.now() + timedelta(days=2)
    return session_plan(
        organization=organization,
        kind=kind,
        title=title or f"学习 {starts_at:%m-%d}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        hours=Decimal(hours),
        place="党员活动室",
        **fields,
    )


def held(organization, *, starts_at, attendance=None, hours="2.0", kind="study", **fields):
    """A held session; `attendance` maps member -> status (default: all expected present)."""
    if attendance is None:
        branches = default_branches(organization)
        attendance = {m: "present" for m in default_expected_members(organization, branches)}
    return session_log(
        organization=organization,
        attendance={m.pk: (status, None) for m, status in attendance.items()},
        kind=kind,
        title=fields.pop("title", f"{kind} {starts_at:%Y-%m-%d}"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        hours=Decimal(hours),
        **fields,
    )


def held_bulk(organization, kind, starts_at, hours="1.0"):
    """A held session with no attendance (enough for the compliance grid)."""
    session = Session.objects.create(
        organization=organization,
        kind=kind,
        title=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        hours=Decimal(hours),
        state=SessionState.HELD,
    )
    session.branches.set(default_branches(organization))
    # Written past the services: bring the summary up to date as they would.
    summaries.refresh_session(session)
    return session


# The session part of the one-page log form (education:session_log_new), as a browser posts it.
LOG_FORM_SESSION = {
    "title": "支部党员大会",
    "kind": "general_meeting",
    "starts_at": "2025-06-10T09:00",
    "ends_at": "2025-06-10T11:00",
    "hours": "2.0",
    "place": "会议室",
}
