"""Query counts of every list, table and rollup page stay the same at two data sizes."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education.models import Makeup
from education.services.attendance import attendance_mark
from education.services.calendar import calendar_feed_regenerate
from education.services.sessions import session_set_expected
from members.models import OrganizationKind
from tests.education.helpers import at, held, plan
from tests.factories import make_members, make_org


def grow(cast, n):
    """Add n members to branch A, n/5 sessions, n/10 branches under C1, and make-ups."""
    make_members(cast.branch, n)
    for i in range(max(n // 5, 1)):
        session = held(cast.branch, starts_at=at(2025, 1 + i % 12, 10), kind="study")
        absent = session.attendances.order_by("pk").first()
        attendance_mark(session=session, member=absent.member, status="absent")
        Makeup.objects.create(
            member=absent.member,
            session=session,
            description="补学",
            hours=Decimal("1"),
            studied_on=date(2025, 1 + i % 12, 20),
        )
        plan(cast.branch)
    for i in range(max(n // 10, 1)):
        branch = make_org(f"增设支部{n}-{i}", OrganizationKind.BRANCH, parent=cast.c1)
        make_members(branch, 5)
        held(branch, starts_at=at(2025, 2, 1), kind="committee_meeting")


def count(client, url):
    client.get(url)  # warm per-process caches (content types) so both sizes compare alike
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# (role, url, exact queries)
PAGES = [
    ("secretary", lambda c: reverse("education:session_list") + "?year=2025", 5),
    ("secretary", lambda c: reverse("education:hours_branch") + "?year=2025", 6),
    ("secretary", lambda c: reverse("education:hours_branch_export") + "?year=2025", 7),
    ("secretary", lambda c: reverse("education:compliance") + "?year=2025", 6),
    ("secretary", lambda c: reverse("education:makeup_review_list"), 5),
    ("secretary", lambda c: reverse("education:session_log_new") + f"?org={c.branch.pk}", 5),
    ("organizer", lambda c: reverse("education:hours_rollup") + f"?org={c.c1.pk}&year=2025", 6),
    (
        "organizer",
        lambda c: reverse("education:hours_rollup_export") + f"?org={c.c1.pk}&year=2025",
        8,
    ),
    (
        "organizer",
        lambda c: reverse("education:compliance_rollup") + f"?org={c.c1.pk}&year=2025",
        8,
    ),
    ("organizer", lambda c: reverse("education:session_list") + "?year=2025", 5),
    ("member", lambda c: reverse("education:hours_member", args=[c.member.pk]) + "?year=2025", 7),
    ("member", lambda c: reverse("education:makeup_list"), 4),
    ("member", lambda c: reverse("my_record") + "?year=2025", 10),
    ("secretary", lambda c: reverse("home"), 8),
]


@pytest.mark.parametrize("role, build, exact", PAGES)
def test_query_count_is_exact_at_two_sizes(login, cast, role, build, exact):
    grow(cast, 5)
    client = login(role)
    url = build(cast)
    small = count(client, url)
    grow(cast, 40)
    client = login(role)
    large = count(client, url)
    assert (small, large) == (exact, exact), url


def test_session_pages_cost_exact_queries_at_two_sizes(login, cast):
    grow(cast, 5)
    session = held(cast.branch, starts_at=at(2025, 6, 1))
    client = login("secretary")
    urls = [
        reverse("education:session_detail", args=[session.pk]),
        reverse("education:session_log", args=[session.pk]),
        reverse("education:session_expected", args=[session.pk]),
    ]
    small = [count(client, u) for u in urls]
    make_members(cast.branch, 40)
    for m in cast.branch.members.all():
        attendance_mark(session=session, member=m, status="present")
    client = login("secretary")
    large = [count(client, u) for u in urls]
    assert small == large == [9, 7, 6]


def test_feed_export_and_ics_query_counts_are_exact(login, cast, client):
    """calendar_feed (anonymous, by token), hours_member_export and session_ics."""
    feed = calendar_feed_regenerate(member=cast.member)
    session = plan(cast.branch, starts_at=at(2030, 6, 1))

    def urls():
        return [
            (client, reverse("education:calendar_feed", args=[feed.token])),
            (
                login("member"),
                reverse("education:hours_member_export", args=[cast.member.pk]) + "?year=2025",
            ),
            (login("member"), reverse("education:session_ics", args=[session.pk])),
        ]

    grow(cast, 5)
    small = [count(c, u) for c, u in urls()]
    grow(cast, 40)
    make_members(cast.branch, 40)
    session_set_expected(
        session=session, member_ids=cast.branch.members.values_list("pk", flat=True)
    )
    large = [count(c, u) for c, u in urls()]
    assert small == large == [2, 7, 4]
