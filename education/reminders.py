"""The three periodic reminders (Celery beat → tasks.py → here).

Each job asks the database what is due and sends through members.services.notify_many,
whose unique key (kind, subject, recipient, due date) makes a second run, or a run resumed
after a worker died half-way, send only what was not sent yet. Branches and recipients are
walked in chunks, so memory stays flat however many members there are.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from members.channels.services import group_notice
from members.models import (
    ACTIVE_STATUSES,
    Member,
    Organization,
    OrganizationKind,
)
from members.services import notify_many

from .dates import day_bounds, local_date
from .models.org_settings import ReminderSettings
from .models.sessions import Attendance, AttendanceStatus, Session, SessionState
from .selectors.hours import pace_fraction, with_behind
from .selectors.org_settings import (
    reminder_settings_by_path,
    reminder_settings_for,
    requirement_for,
    requirements_by_path,
)
from .selectors.recipients import digest_recipients
from .selectors.regular_meetings import compliance
from .selectors.sessions import reminded_member_ids

KIND_SESSION = "education.session_reminder"
KIND_NUDGE = "education.hours_nudge"
KIND_DIGEST = "education.meeting_digest"
KIND_CANCELLED = "education.session_cancelled"
KIND_MOVED = "education.session_moved"  # + ":<new start, YYYYmmddHHMM>" (one per new time)
KIND_CHECKIN_OPEN = "education.checkin_open"
CHUNK = 2000
BRANCH_CHUNK = 500


def _when(session):
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def session_reminder_text(session):
    where = session.place or session.online_url or _("to be announced")
    title = _("Reminder: %(title)s on %(when)s") % {"title": session.title, "when": _when(session)}
    body = _("What: %(what)s (%(kind)s)\nWhen: %(when)s\nWhere: %(where)s") % {
        "what": session.title,
        "kind": session.get_kind_display(),
        "when": _when(session),
        "where": where,
    }
    return title, body


def session_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the expected attendees of every planned session whose reminder moment (local
    midnight `lead days` before its start day) has passed and that has not started yet, so
    a session planned late for early the next morning is picked up by the next run (beat
    runs this hourly around the clock). Sessions already started or cancelled are never
    reminded. Returns how many notifications were new."""
    now = now or timezone.now()
    today = local_date(now)
    max_lead = max(ReminderSettings.objects.aggregate(m=Max("session_lead_days"))["m"] or 0, 1)
    _, horizon = day_bounds(today + timedelta(days=max_lead))
    sessions = (
        Session.objects.filter(state=SessionState.PLANNED, starts_at__gt=now, starts_at__lt=horizon)
        .select_related("organization")
        .order_by("pk")
    )
    settings_rows = {
        row.organization.path: row
        for row in ReminderSettings.objects.select_related("organization")
    }
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for session in sessions.iterator(chunk_size=500):
            prefs = reminder_settings_for(settings_rows, session.organization.path)
            starts_on = local_date(session.starts_at)
            if (
                not prefs.session_reminders
                or starts_on - timedelta(prefs.session_lead_days) > today
            ):
                continue
            title, body = session_reminder_text(session)
            recipients = (
                Attendance.objects.filter(session=session, member__status__in=ACTIVE_STATUSES)
                .order_by("member_id")
                .values_list("member_id", flat=True)
                .iterator(chunk_size=CHUNK)
            )
            sent += notify_many(
                kind=KIND_SESSION,
                subject=session,
                recipient_ids=recipients,
                due_date=starts_on,
                title=title,
                body=body,
                url=reverse("education:session_detail", args=[session.pk]),
                chunk_size=CHUNK,
            )
            _session_group_notice(
                session,
                kind=KIND_SESSION,
                due_date=starts_on,
                title=title,
                body=body,
                count_line=lambda n: gettext("Expected: %(n)d members") % {"n": n},
            )
    return sent


def _session_group_notice(session, *, kind, due_date, title, body, count_line, pending=False):
    """One message to the group robot of each branch whose members are expected, naming how
    many of that branch's members are expected (or, pending=True, have still to check in)."""
    rows = Attendance.objects.filter(session=session, member__status__in=ACTIVE_STATUSES)
    if pending:
        rows = rows.filter(status=AttendanceStatus.PENDING, checked_in_at__isnull=True)
    counts = dict(
        rows.order_by()
        .values_list("member__branch_id")
        .annotate(n=Count("pk"))
        .values_list("member__branch_id", "n")
    )
    for branch_id, n in sorted(counts.items()):
        group_notice(
            kind=kind,
            subject=session,
            branch_ids=[branch_id],
            due_date=due_date,
            title=title,
            body=f"{body}\n{count_line(n)}",
            url=reverse("education:session_detail", args=[session.pk]),
        )


def checkin_open_notices_send(*, now: datetime | None = None) -> int:
    """Tell each branch's group once that check-in of a planned session has opened (the window
    opens CHECKIN_OPENS_BEFORE the start and closes at the end), with how many of the
    branch's expected members have not checked in yet. Returns how many sessions qualified."""
    from .services.checkin import CHECKIN_OPENS_BEFORE

    now = now or timezone.now()
    sessions = Session.objects.filter(
        state=SessionState.PLANNED,
        starts_at__lte=now + CHECKIN_OPENS_BEFORE,
        ends_at__gt=now,
    ).order_by("pk")
    n = 0
    with translation.override(settings.LANGUAGE_CODE):
        for session in sessions.iterator(chunk_size=500):
            n += 1
            _session_group_notice(
                session,
                kind=KIND_CHECKIN_OPEN,
                due_date=local_date(session.starts_at),
                title=_("Check-in is open: %(title)s") % {"title": session.title},
                body=_("Check in on the session's page until %(end)s.")
                % {"end": f"{timezone.localtime(session.ends_at):%H:%M}"},
                count_line=lambda k: _("Not checked in yet: %(n)d") % {"n": k},
                pending=True,
            )
    return n


def _notify_each_self(*, kind, member_ids, due_date, title, body, url) -> int:
    """Each member the subject of their own notification: members.services.notify_each."""
    from members.services import notify_each

    return notify_each(
        kind=kind,
        recipient_ids=member_ids,
        due_date=due_date,
        title=title,
        body=body,
        url=url,
        chunk_size=CHUNK,
    )


def _branch_chunks():
    """Active branches, BRANCH_CHUNK at a time, as (id, path) lists."""
    chunk = []
    for row in (
        Organization.objects.filter(kind=OrganizationKind.BRANCH, is_active=True)
        .order_by("pk")
        .values_list("pk", "path")
        .iterator(chunk_size=CHUNK)
    ):
        chunk.append(row)
        if len(chunk) >= BRANCH_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _behind_in(chunk, year, today):
    """The active members behind on hours in a chunk of branches [(pk, path)], those of
    branches whose reminder settings send hours nudges only (a queryset, read from the hours
    summary); None when no branch of the chunk sends them."""
    paths = [path for _pk, path in chunk]
    prefs_rows = reminder_settings_by_path(paths, below=False)
    reqs = requirements_by_path(paths, year, below=False)
    req_of = {
        pk: requirement_for(reqs, path)
        for pk, path in chunk
        if reminder_settings_for(prefs_rows, path).hours_nudges
    }
    if not req_of:
        return None
    members = Member.objects.active().filter(branch_id__in=list(req_of))
    return with_behind(members, year, req_of, today=today, many=True).filter(behind=True)


def hours_nudges_send(*, today: date | None = None) -> int:
    """Once a month: nudge members whose hours are behind the pace needed to reach the
    year's requirement (required × whole months gone / 12). Nothing is sent in January.

    Branches are walked BRANCH_CHUNK at a time; for each chunk one query (over the
    MemberYearHours summary) streams who is behind, then one insert per CHUNK members, each
    the subject of their own notification (a member who moved branch mid-month is nudged
    once). Memory stays flat: at most BRANCH_CHUNK branches' ids at once."""
    today = today or timezone.localdate()
    year, due = today.year, today.replace(day=1)
    pace = pace_fraction(year, today)
    if not pace:
        return 0
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        title = _("You are behind on study hours for %(year)s") % {"year": year}
        body = _(
            "Your credited study hours are below the pace needed to reach this year's "
            "requirement. Your record shows the sessions behind them and how to record "
            "make-up study."
        )
        url = reverse("my_record")
        for chunk in _branch_chunks():
            behind = _behind_in(chunk, year, today)
            if behind is None:
                continue
            # One query per chunk of branches: (branch, member) of everyone behind, in
            # branch order; at most BRANCH_CHUNK branches' members.
            behind = list(behind.order_by("branch_id", "pk").values_list("branch_id", "pk"))
            # Keyed on the member (subject = member): someone who moves branch mid-month is
            # nudged once, not once per branch.
            sent += _notify_each_self(
                kind=KIND_NUDGE,
                member_ids=[pk for _b, pk in behind],
                due_date=due,
                title=title,
                body=body,
                url=url,
            )
    return sent


def meeting_digests_send(*, today: date | None = None) -> int:
    """Once a month: tell each branch's secretary which regular meetings required this
    month (or this quarter) have not been held yet; without a current secretary, the
    branch's other committee members; without a committee, the organizers above it.
    Branches with nothing due get nothing."""
    today = today or timezone.localdate()
    year, due = today.year, today.replace(day=1)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for chunk in _branch_chunks():
            branches = [Organization(pk=pk, path=path) for pk, path in chunk]
            prefs_rows = reminder_settings_by_path([b.path for b in branches], below=False)
            branches = [
                b for b in branches if reminder_settings_for(prefs_rows, b.path).meeting_digests
            ]
            if not branches:
                continue
            secretaries = digest_recipients(branches)
            grid = compliance(branches, year, today=today)
            for bc in grid:
                recipients = secretaries.get(bc.branch.pk)
                due_kinds = bc.due_now()
                if not recipients or not due_kinds:
                    continue
                sent += notify_many(
                    kind=KIND_DIGEST,
                    subject=bc.branch,
                    recipient_ids=recipients,
                    due_date=due,
                    title=_("Regular meetings not yet held this period"),
                    body=_("Still to hold: %(kinds)s.") % {"kinds": "、".join(map(str, due_kinds))},
                    url=reverse("education:compliance") + f"?branch={bc.branch.pk}&year={year}",
                )
    return sent


def session_changed_notify(*, session: Session) -> int:
    """A session members were already reminded of was cancelled or moved: tell those members
    once. The key is the session and its new state (cancelled) or new start time, so a
    re-run sends nothing and a second move sends again. Called inside the service's
    transaction."""
    reminded = reminded_member_ids(session)
    start = timezone.localtime(session.starts_at)
    with translation.override(settings.LANGUAGE_CODE):
        if session.is_cancelled:
            kind = KIND_CANCELLED
            title = _("Cancelled: %(title)s on %(when)s") % {
                "title": session.title,
                "when": _when(session),
            }
            body = _("This session will not take place.")
        else:
            kind = f"{KIND_MOVED}:{start:%Y%m%d%H%M}"
            title = _("New time: %(title)s on %(when)s") % {
                "title": session.title,
                "when": _when(session),
            }
            body = session_reminder_text(session)[1]
        return notify_many(
            kind=kind,
            subject=session,
            recipient_ids=list(reminded),
            due_date=start.date(),
            title=title,
            body=body,
            url=reverse("education:session_detail", args=[session.pk]),
            chunk_size=CHUNK,
        )
