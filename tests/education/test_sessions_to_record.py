"""Sessions waiting to be recorded: ended but still planned sessions are listed on the
dashboard of those who should record them, until they are."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from education import recording_selectors
from education.services.checkin import session_close_checkin
from tests.education.helpers import plan


def test_dashboard_lists_ended_sessions_not_yet_recorded(login, cast):
    ended = plan(cast.branch, starts_at=timezone.now() - timedelta(hours=5), title="未记录的学习")
    plan(cast.branch, title="下周的学习")  # still ahead: not listed
    plan(cast.far_branch, starts_at=timezone.now() - timedelta(hours=5), title="远方未记录")
    body = login("secretary").get(reverse("home_work")).content.decode()
    assert 'data-testid="sessions-to-record"' in body
    section = body.split('data-testid="sessions-to-record"')[1].split("</section>")[0]
    assert "未记录的学习" in section and "下周的学习" not in section and "远方未记录" not in section
    assert reverse("education:session_log", args=[ended.pk]) in section
    session_close_checkin(session=ended, actor=cast.secretary.account)
    body = login("secretary").get(reverse("home_work")).content.decode()
    assert 'data-testid="sessions-to-record"' not in body
    assert 'data-testid="sessions-to-record"' not in login("member").get("/").content.decode()


# Fewer than the limit: the list is the count; more: one more query counts them all.
@pytest.mark.parametrize(("n", "queries"), [(3, 2), (12, 3), (40, 3)])
def test_sessions_to_record_query_count_is_exact(cast, n, queries, django_assert_num_queries):
    for i in range(n):
        plan(cast.branch, starts_at=timezone.now() - timedelta(hours=5 + i))
    user = cast.secretary.account
    user.refresh_from_db()
    with django_assert_num_queries(queries):
        result = recording_selectors.sessions_to_record(user)
    assert len(result["sessions"]) == min(n, 5) and result["count"] == n
