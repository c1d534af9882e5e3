"""Calendar: the private feed and the single-event .ics parse with icalendar."""

import pytest
from django.urls import reverse
from icalendar import Calendar

from education.models import (
    CalendarFeed,
)
from education.services.calendar import calendar_feed_regenerate, calendar_feed_revoke
from education.services.sessions import session_cancel
from members.models import MemberStatus
from tests.education.helpers import at, plan


def _events(content):
    cal = Calendar.from_ical(content)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_feed_holds_the_sessions_the_member_is_expected_at(client, login, cast):
    mine = plan(cast.branch, starts_at=at(2030, 6, 1, 9), title="主题党日")
    cancelled = plan(cast.branch, starts_at=at(2030, 6, 2, 9), title="取消的学习")
    session_cancel(session=cancelled)
    plan(cast.far_branch, starts_at=at(2030, 6, 3, 9), title="别的支部")
    group_only = plan(
        cast.group, starts_at=at(2030, 6, 4, 9), title="小组学习", kind="group_meeting"
    )

    login("member").post(reverse("education:calendar_regenerate"))
    feed = CalendarFeed.objects.get(member=cast.member, revoked_at__isnull=True)
    client.logout()  # calendar clients do not log in: the secret URL is enough
    response = client.get(reverse("education:calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert set(events) == {
        f"session-{mine.pk}@branchsite",
        f"session-{cancelled.pk}@branchsite",
        f"session-{group_only.pk}@branchsite",
    }
    event = events[f"session-{mine.pk}@branchsite"]
    assert str(event["summary"]) == "主题党日"
    assert event.decoded("dtstart") == mine.starts_at
    assert str(event["location"]) == "党员活动室"
    assert str(events[f"session-{cancelled.pk}@branchsite"]["status"]) == "CANCELLED"

    # A member of another branch is expected at none of them.
    peer_feed = calendar_feed_regenerate(member=cast.other_member)
    other = _events(client.get(reverse("education:calendar_feed", args=[peer_feed.token])).content)
    assert other == {}


def test_regenerate_and_revoke_stop_the_old_url(client, login, cast):
    plan(cast.branch, starts_at=at(2030, 6, 1, 9))
    old = calendar_feed_regenerate(member=cast.member)
    new = calendar_feed_regenerate(member=cast.member)
    assert old.token != new.token
    assert client.get(reverse("education:calendar_feed", args=[old.token])).status_code == 404
    assert client.get(reverse("education:calendar_feed", args=[new.token])).status_code == 200
    calendar_feed_revoke(member=cast.member)
    assert client.get(reverse("education:calendar_feed", args=[new.token])).status_code == 404
    page = login("member").get(reverse("education:calendar")).content.decode()
    assert new.token not in page


def test_single_event_ics(login, cast):
    session = plan(
        cast.branch, starts_at=at(2030, 6, 1, 9), title="网络素养讲座", lecturer="王老师"
    )
    response = login("member").get(reverse("education:session_ics", args=[session.pk]))
    events = _events(response.content)
    assert list(events) == [f"session-{session.pk}@branchsite"]
    event = events[f"session-{session.pk}@branchsite"]
    assert event.decoded("dtend") == session.ends_at
    assert "王老师" in str(event["description"])


@pytest.mark.parametrize("status", [MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED])
def test_calendar_feed_stops_for_members_no_longer_active(client, cast, status):
    feed = calendar_feed_regenerate(member=cast.member)
    url = reverse("education:calendar_feed", args=[feed.token])
    assert client.get(url).status_code == 200
    type(cast.member).objects.filter(pk=cast.member.pk).update(status=status)
    assert client.get(url).status_code == 404
