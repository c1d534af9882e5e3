"""Reads behind the session pages: lists, attendance, counts, the check-in board, the logging
table, calendars and make-ups to review."""

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from members.models import Member

from ..dates import year_bounds
from ..models.calendar import CalendarFeed
from ..models.makeups import Makeup, MakeupState
from ..models.sessions import CREDITED_STATUSES, AttendanceStatus, Session, SessionState


def session_list(queryset, *, year=None, state=None, organization=None):
    qs = queryset.select_related("organization").annotate(
        n_expected=Count("attendances"),
        n_present=Count("attendances", filter=Q(attendances__status__in=CREDITED_STATUSES)),
    )
    if year:
        start, end = year_bounds(year)
        qs = qs.filter(starts_at__gte=start, starts_at__lt=end)
    if state:
        qs = qs.filter(state=state)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    return qs.order_by("-starts_at", "-id")


def session_attendance(session):
    """Attendance rows of a session with their members, by name."""
    return list(
        session.attendances.select_related("member", "member__group").order_by(
            "member__full_name", "member_id"
        )
    )


def session_counts(session, *, rows=None):
    """Expected, present, late, excused, absent and pending: counted from the attendance
    `rows` when the caller has them (no query), else by the database."""
    if rows is not None:
        counts = dict.fromkeys(("present", "late", "excused", "absent", "pending"), 0)
        for a in rows:
            counts[a.status] = counts.get(a.status, 0) + 1
        return {"expected": len(rows), **counts}
    return session.attendances.aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        late=Count("pk", filter=Q(status=AttendanceStatus.LATE)),
        excused=Count("pk", filter=Q(status=AttendanceStatus.EXCUSED)),
        absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        pending=Count("pk", filter=Q(status=AttendanceStatus.PENDING)),
    )


def checkin_board(session):
    """What the check-in kiosk shows: {"expected", "arrived", "names"} with the names of the
    members who checked in or were marked present or late, newest first. One query."""
    rows = list(
        session.attendances.values_list("status", "checked_in_at", "member__full_name").order_by(
            F("checked_in_at").desc(nulls_last=True), "member__full_name"
        )
    )
    names = [name for status, _at, name in rows if status in CREDITED_STATUSES]
    return {"expected": len(rows), "arrived": len(names), "names": names}


def similar_sessions(organization, *, kind, starts_at, ends_at, limit=5):
    """Sessions (not cancelled) of `organization` of the same kind, starting the same day
    (Asia/Shanghai) and overlapping [starts_at, ends_at): probably the same one logged twice.
    One query."""
    if not (kind and starts_at and ends_at):
        return []
    day = timezone.localtime(starts_at).date()
    day_start = timezone.make_aware(timezone.datetime(day.year, day.month, day.day))
    return list(
        Session.objects.filter(
            Q(starts_at__lt=ends_at),
            organization=organization,
            kind=kind,
            starts_at__gte=day_start,
            starts_at__lt=day_start + timezone.timedelta(days=1),
            ends_at__gt=starts_at,
        )
        .exclude(state=SessionState.CANCELLED)
        .order_by("starts_at", "id")[:limit]
    )


def log_rows(session, organization):
    """What the logging page lists: every expected member plus the organization's other
    active members (unticked), so a secretary can mark anyone in one go. Two queries."""
    from ..services.sessions import default_branches, default_expected_members

    rows = {}
    if session is not None:
        for a in session_attendance(session):
            rows[a.member_id] = {
                "member": a.member,
                "status": a.status,
                "hours": a.hours,
                "note": a.note,
            }
        branches = list(session.branches.all())
    else:
        branches = default_branches(organization)
    others = default_expected_members(organization, branches).exclude(pk__in=list(rows))
    for m in others.select_related("group").order_by("full_name", "id"):
        rows[m.pk] = {
            "member": m,
            "status": AttendanceStatus.PENDING if session is None else "",
            "hours": None,
            "note": "",
        }
    return sorted(rows.values(), key=lambda r: (r["member"].full_name, r["member"].pk))


def calendar_sessions(member_id, *, now=None, days_back=180):
    """Sessions a member is expected at, for their feed (recent past and the future)."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            attendances__member_id=member_id,
            starts_at__gte=now - timezone.timedelta(days=days_back),
        )
        .select_related("organization")
        .order_by("starts_at")
    )


def makeups_to_review(queryset, *, reviewer_member_id=None):
    """Submitted make-up study in `queryset`, oldest first. Nobody confirms their own: the
    reviewer's own rows (`reviewer_member_id`) are left out, for another reviewer."""
    return (
        queryset.exclude(member_id=reviewer_member_id)
        .filter(state=MakeupState.SUBMITTED)
        .select_related("member", "member__branch", "session", "evidence")
        .order_by("created_at", "id")
    )


def expected_candidates(session):
    """Members who can be expected at a session, and the ids of those who are. Two queries."""
    from ..services.sessions import default_expected_members

    current = set(session.attendances.values_list("member_id", flat=True))
    candidates = (
        Member.objects.filter(
            Q(pk__in=default_expected_members(session.organization, session.branches.all()))
            | Q(attendances__session=session)
        )
        .distinct()
        .order_by("full_name", "id")
    )
    return list(candidates), current


def missed_sessions(member):
    """Held sessions the member missed and has no open make-up study for."""
    return (
        Session.objects.filter(
            state=SessionState.HELD,
            attendances__member=member,
            attendances__status__in=(AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED),
        )
        .exclude(
            Exists(
                Makeup.objects.filter(session=OuterRef("pk"), member=member).exclude(
                    state=MakeupState.REJECTED
                )
            )
        )
        .order_by("-starts_at")
    )


def reminded_member_ids(session):
    """The ids of the members reminded of the session (a query, in id order)."""
    from django.contrib.contenttypes.models import ContentType

    from members.models import Notification

    from ..reminders import KIND_SESSION

    return (
        Notification.objects.filter(
            kind=KIND_SESSION,
            subject_type=ContentType.objects.get_for_model(Session),
            subject_id=str(session.pk),
        )
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def reminded_count(session):
    """How many members were already reminded of the session (one query)."""
    return reminded_member_ids(session).count()


# --- one session's page -------------------------------------------------------------------


def session_materials(session):
    return list(session.materials.all())


def session_branches(session):
    """The branches the session counts for."""
    return list(session.branches.all())


def own_attendance(session, member_id):
    """The member's attendance row at the session, or None (one query)."""
    return session.attendances.filter(member_id=member_id).first()


def expected_row(session, member_id):
    """An expected member's attendance row with the member, or None (one query)."""
    return session.attendances.select_related("member").filter(member_id=member_id).first()


def pending_member_ids(session):
    """Members still pending at the session: no check-in, not marked."""
    return set(
        session.attendances.filter(status=AttendanceStatus.PENDING).values_list(
            "member_id", flat=True
        )
    )


def has_open_makeup(member_id, session):
    """Whether the member has make-up study for the session that is not rejected."""
    return (
        Makeup.objects.filter(member_id=member_id, session=session)
        .exclude(state=MakeupState.REJECTED)
        .exists()
    )


def session_for_checkin(pk):
    """The session a member checks in to, with its organization, or None."""
    return Session.objects.select_related("organization").filter(pk=pk).first()


# --- a member's make-ups and calendar feed ------------------------------------------------


def member_makeups(member):
    return Makeup.objects.filter(member=member).select_related("session", "evidence")


def missed_session(member, pk):
    """One of `missed_sessions(member)`, or None."""
    return missed_sessions(member).filter(pk=pk).first()


def live_calendar_feed(member):
    """The member's calendar feed that is not revoked, or None."""
    return CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).first()


def calendar_feed_by_token(token):
    """The feed (with its member) whose secret URL this is, or None when unknown or revoked."""
    return (
        CalendarFeed.objects.select_related("member")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
