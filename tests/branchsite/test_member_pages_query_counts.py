"""Exact query counts of home (each role), its work part, /me/, the attendance log form and
the check-in kiosk with its partial: the same at two data sizes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisal.models import Step
from education.services.attendance import attendance_mark
from tests.appraisal.cycles import move_to, open_cycle
from tests.education.helpers import held, plan
from tests.factories import make_members


def grow(cast, n):
    """n more members in branch A, a held session this year the member missed (a make-up is
    owed), a session in check-in now, and more sessions."""
    make_members(cast.branch, n)
    now = timezone.now()
    for i in range(max(n // 5, 1)):
        session = held(cast.branch, starts_at=now - timedelta(days=1 + i, hours=3))
        attendance_mark(session=session, member=cast.member, status="absent")
        plan(cast.branch, starts_at=now + timedelta(days=3 + i))


@pytest.fixture
def appraisal_years(cast):
    """Last year's appraisal closed with a record; this year's at the ballot (a to-do)."""
    year = timezone.localdate().year
    move_to(open_cycle(cast.branch, year=year - 1), Step.CLOSED)
    move_to(open_cycle(cast.branch, year=year), Step.BALLOT)
    plan(cast.branch, starts_at=timezone.now() + timedelta(minutes=10), title="正在签到的学习")


def count(client, url, **headers):
    client.get(url, **headers)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def kiosk(cast):
    return cast.branch.study_sessions.get(title="正在签到的学习")


PAGES = [
    # (role, url builder, extra headers, exact queries). /me/ reads 10: the 3 every page
    # needs (session, user, member with positions and unread count), hours, attendance,
    # transfers, the appraisal cycles with the member's records and corrections,
    # rectifications, commendations, clarifications. Home's work part (led branches,
    # compliance, rollups) loads after the member's own part.
    ("member", lambda c: reverse("home"), {}, 8),
    ("secretary", lambda c: reverse("home"), {}, 8),
    ("organizer", lambda c: reverse("home"), {}, 8),
    ("admin", lambda c: reverse("home"), {}, 3),
    ("member", lambda c: reverse("my_record"), {}, 10),
    ("secretary", lambda c: reverse("home_work"), {"HTTP_HX_REQUEST": "true"}, 10),
    ("organizer", lambda c: reverse("home_work"), {"HTTP_HX_REQUEST": "true"}, 7),
    ("secretary", lambda c: reverse("education:session_log_new") + f"?org={c.branch.pk}", {}, 5),
    ("secretary", lambda c: reverse("education:session_log", args=[kiosk(c).pk]), {}, 7),
    ("secretary", lambda c: reverse("education:checkin_screen", args=[kiosk(c).pk]), {}, 4),
    ("secretary", lambda c: reverse("education:checkin_qr", args=[kiosk(c).pk]), {}, 5),
]


@pytest.mark.parametrize(("role", "build", "headers", "exact"), PAGES)
def test_query_count_is_exact_and_does_not_grow(
    login, cast, appraisal_years, role, build, headers, exact
):
    grow(cast, 3)
    small = count(login(role), build(cast), **headers)
    grow(cast, 30)
    large = count(login(role), build(cast), **headers)
    assert (small, large) == (exact, exact), build(cast)
