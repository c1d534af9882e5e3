"""Role × page for the check-in and calendar-feed URLs (the codes are the credentials)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from education.checkin import checkin_code, current_step
from education.models import Attendance, AttendanceStatus
from education.services.calendar import calendar_feed_regenerate, calendar_feed_revoke
from tests.conftest import ROLES
from tests.education.helpers import plan

EXPECTED_IN_BRANCH_A = {"member", "peer", "secretary", "committee_member"}


@pytest.fixture
def open_session(cast):
    return plan(cast.branch, starts_at=timezone.now() - timedelta(minutes=10), hours="1.5")


@pytest.mark.parametrize("role", ROLES)
def test_checkin_scan_and_confirm_by_role(login, cast, open_session, role):
    client = login(role)
    code = checkin_code(open_session.pk, current_step())
    scan = client.get(reverse("education:checkin_scan", args=[open_session.pk, code]))
    assert scan.status_code == 302  # a fresh code leaves a pass, whoever scans it
    confirm = client.post(reverse("education:checkin_confirm", args=[open_session.pk]))
    present = set(
        Attendance.objects.filter(
            session=open_session, status=AttendanceStatus.PRESENT
        ).values_list("member__account__username", flat=True)
    )
    if role == "anonymous":
        assert confirm.status_code == 302 and "/accounts/login/" in confirm["Location"]
        assert present == set()
    elif role in EXPECTED_IN_BRANCH_A:
        assert confirm.status_code == 200
        assert present == {role}  # only themselves
    elif role in ("outsider", "admin"):
        assert confirm.status_code == 404  # no member record
        assert present == set()
    else:
        assert confirm.status_code == 400  # not expected at this session: refused, no change
        assert present == set()


@pytest.mark.parametrize("role", ROLES)
def test_calendar_feed_by_role(login, cast, role):
    feed = calendar_feed_regenerate(member=cast.member)
    client = login(role)
    url = reverse("education:calendar_feed", args=[feed.token])
    # The secret URL is the credential (calendar clients cannot log in).
    assert client.get(url).status_code == 200
    calendar_feed_revoke(member=cast.member)
    assert client.get(url).status_code == 404
    assert client.get(reverse("education:calendar_feed", args=["not-a-token"])).status_code == 404
