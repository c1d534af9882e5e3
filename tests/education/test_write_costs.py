"""What the busiest writes cost does not grow: logging a held session costs the same queries
whatever the size of the tree and however many members are marked, and a member's check-in
costs a fixed, small number of queries and answers without the menu (issue 10)."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from education.checkin import checkin_code, current_step
from education.models import Attendance, AttendanceStatus, MemberYearHours, Session
from education.services.attendance import session_log
from members.models import OrganizationKind, Role
from tests.education.helpers import plan
from tests.factories import make_members, make_org, make_position

# A new held session with its attendance, in one transaction (the test's savepoint included):
# the session and its history, the branch it counts for (with history), who may be marked,
# the rows and their history, the branch's meeting months, the members' hours and the
# branch's study figures.
LOG_NEW = 30
# The same for a planned session whose expected members are now marked: the session locked,
# its rows read, every changed row written in one UPDATE and one history INSERT.
LOG_PLANNED = 30
# Session and user (middleware), the member's id, then the service: the session and the
# member's row locked, the row updated, its history (in a transaction).
CHECK_IN = 9


def _log(branch, members, *, session=None, starts_at=None):
    starts_at = starts_at or timezone.now() - timedelta(days=1)
    marks = ("present", "late", "excused", "absent")
    with CaptureQueriesContext(connection) as ctx:
        session = session_log(
            session=session,
            organization=branch,
            attendance={m.pk: (marks[i % 4], None) for i, m in enumerate(members)},
            kind="theme_day",
            title="主题党日",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            hours=Decimal("2.0"),
        )
    return session, len(ctx.captured_queries)


def _grow(cast, n):
    """Branches elsewhere in the country, each with members and a secretary."""
    for i in range(n):
        branch = make_org(f"增设支部{i}", OrganizationKind.BRANCH, parent=cast.c2)
        members = make_members(branch, 8)
        make_position(members[0], branch, Role.SECRETARY)


def test_logging_a_held_session_costs_the_same_queries_in_a_grown_tree(cast):
    members = make_members(cast.branch, 30)
    session, small = _log(cast.branch, members)
    _grow(cast, 6)
    _session, grown = _log(cast.branch, members, starts_at=timezone.now() - timedelta(days=2))
    assert small == grown == LOG_NEW
    # Written, with the summaries the figures are computed from.
    assert session.attendances.count() == 30
    assert session.attendances.filter(status=AttendanceStatus.LATE).count() == 8
    assert MemberYearHours.objects.get(member=members[0], year=session.starts_at.year)


def test_marking_a_planned_session_writes_every_row_in_one_batch(cast):
    """However many expected members are marked, the rows are one UPDATE and their history
    one INSERT."""
    few = make_members(cast.branch, 5)
    many = make_members(cast.branch, 25)
    started = timezone.now() - timedelta(hours=3)
    counts = []
    for members in (few, few + many):
        planned = plan(cast.branch, starts_at=started)
        _session, n = _log(cast.branch, members, session=planned, starts_at=started)
        counts.append(n)
        rows = Attendance.objects.filter(session=planned, member__in=members)
        assert rows.exclude(status=AttendanceStatus.PENDING).count() == len(members)
        # Each changed row has its own history entry (expected, then marked).
        marked = rows.get(member=members[1])
        assert marked.status == AttendanceStatus.LATE
        assert marked.history.count() == 2
        assert marked.history.first().history_user_id is None
    assert counts == [LOG_PLANNED, LOG_PLANNED]


def test_check_in_costs_fixed_queries_and_answers_without_the_menu(login, cast):
    session = plan(cast.branch, starts_at=timezone.now() + timedelta(minutes=10))
    client = login("member")
    code = checkin_code(session.pk, current_step())
    client.get(reverse("education:checkin_scan", args=[session.pk, code]))
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("education:checkin_confirm", args=[session.pk]))
    assert response.status_code == 200
    assert len(ctx.captured_queries) == CHECK_IN
    body = response.content.decode()
    assert 'data-testid="checkin-message"' in body and session.title in body
    assert "navbar" not in body  # no menu, so no reach or unread count to read for it
    row = Attendance.objects.get(session=session, member=cast.member)
    assert row.status == AttendanceStatus.PRESENT and row.checked_in_at is not None
    assert row.history.first().history_user == cast.users["member"]


def test_check_in_to_a_session_that_does_not_exist_is_refused(login, cast):
    """A pass for a session deleted since (a benchmark or an admin's clean-up) is refused."""
    client = login("member")
    missing = (Session.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    code = checkin_code(missing, current_step())
    client.get(reverse("education:checkin_scan", args=[missing, code]))
    response = client.post(reverse("education:checkin_confirm", args=[missing]))
    assert response.status_code == 400
    assert "Scan the code" in response.content.decode()
