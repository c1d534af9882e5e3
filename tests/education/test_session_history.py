"""A session's changes (who changed what, attendance included) on its page, for managers only,
at a query count that does not grow with the history."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education.selectors.history import CHANGES_LIMIT
from education.services.attendance import attendance_mark
from education.services.sessions import session_update
from tests.education.helpers import at, held


def test_session_detail_lists_changes_to_managers_only(login, cast):
    session = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "present"})
    session_update(session=session, title="新标题", actor=cast.secretary.account)
    attendance_mark(
        session=session, member=cast.member, status="absent", actor=cast.secretary.account
    )
    url = reverse("education:session_detail", args=[session.pk])
    html = login("secretary").get(url).content.decode()
    assert 'data-testid="session-changes"' in html
    assert "→ 新标题" in html
    assert "Present → Absent" in html and "2.0 → 0.0" in html
    assert cast.member.full_name in html
    assert cast.secretary.account.get_username() in html or cast.secretary.full_name in html
    member_html = login("member").get(url).content.decode()
    assert 'data-testid="session-changes"' not in member_html


def test_session_changes_are_bounded(login, cast):
    session = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "present"})
    client = login("secretary")
    url = reverse("education:session_detail", args=[session.pk])

    def measure():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return len(ctx.captured_queries), response.content.decode().count('class="border-bottom')

    small, _shown = measure()
    for i in range(60):
        session_update(session=session, title=f"标题 {i}")
    large, shown = measure()
    assert small == large
    assert shown == CHANGES_LIMIT
