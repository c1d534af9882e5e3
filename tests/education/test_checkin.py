"""Check-in (签到): inside the window once; before, after, twice, stale or not expected is
refused with a message and changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from education.checkin import (
    CHECKIN_STEP_SECONDS,
    checkin_code,
    checkin_code_is_fresh,
    current_step,
)
from education.models import Attendance, AttendanceStatus
from education.services.attendance import attendance_mark
from education.services.checkin import check_in
from members.services import DomainError
from tests.education.helpers import plan


def _scan_and_confirm(client, session, code=None):
    code = code or checkin_code(session.pk, current_step())
    scan = client.get(reverse("education:checkin_scan", args=[session.pk, code]))
    if scan.status_code != 302:
        return scan
    return client.post(reverse("education:checkin_confirm", args=[session.pk]))


def _row(session, member):
    return Attendance.objects.get(session=session, member=member)


@pytest.fixture
def open_session(cast):
    return plan(cast.branch, starts_at=timezone.now() - timedelta(minutes=10), hours="1.5")


def test_inside_window_checks_in_once(login, cast, open_session):
    client = login("member")
    response = _scan_and_confirm(client, open_session)
    assert response.status_code == 200
    assert "checked in" in response.content.decode() or "签到" in response.content.decode()
    row = _row(open_session, cast.member)
    assert row.status == AttendanceStatus.PRESENT
    assert row.hours == open_session.hours
    assert row.checked_in_at is not None
    # Only the scanning member changed.
    assert _row(open_session, cast.peer).status == AttendanceStatus.PENDING

    again = _scan_and_confirm(client, open_session)
    assert again.status_code == 400
    assert "already checked in" in again.content.decode()
    assert _row(open_session, cast.member).history.count() == 2  # created, checked in


def test_scan_before_login_returns_to_confirm_after_login(client, cast, open_session):
    code = checkin_code(open_session.pk, current_step())
    scan = client.get(reverse("education:checkin_scan", args=[open_session.pk, code]))
    confirm_url = reverse("education:checkin_confirm", args=[open_session.pk])
    assert scan["Location"] == confirm_url
    to_login = client.get(confirm_url)
    assert to_login.status_code == 302 and "login" in to_login["Location"]
    # Logging in keeps the session's data (Django cycles the key, not the contents).
    client.post(
        reverse("login") + f"?next={confirm_url}",
        {"username": "member", "password": "pw-Test-123"},
    )
    response = client.post(confirm_url)
    assert response.status_code == 200
    assert _row(open_session, cast.member).status == AttendanceStatus.PRESENT


@pytest.mark.parametrize(
    "starts_in, expected_message",
    [
        (timedelta(hours=2), "has not opened yet"),
        (timedelta(hours=-3), "has closed"),
    ],
)
def test_outside_window_is_refused(login, cast, starts_in, expected_message):
    session = plan(cast.branch, starts_at=timezone.now() + starts_in)
    response = _scan_and_confirm(login("member"), session)
    assert response.status_code == 400
    assert expected_message in response.content.decode()
    row = _row(session, cast.member)
    assert row.status == AttendanceStatus.PENDING and row.checked_in_at is None


def test_window_edges(cast):
    start = timezone.now().replace(microsecond=0) + timedelta(hours=5)
    session = plan(cast.branch, starts_at=start)
    with pytest.raises(DomainError):
        check_in(session=session, member=cast.member, now=start - timedelta(minutes=31))
    check_in(session=session, member=cast.member, now=start - timedelta(minutes=29))
    with pytest.raises(DomainError):
        check_in(session=session, member=cast.peer, now=session.ends_at + timedelta(seconds=1))
    assert _row(session, cast.peer).status == AttendanceStatus.PENDING


def test_not_expected_member_is_refused(login, cast, open_session):
    response = _scan_and_confirm(login("other_secretary"), open_session)
    assert response.status_code == 400
    assert "not on the list" in response.content.decode()
    assert not Attendance.objects.filter(session=open_session, member=cast.other_secretary).exists()


def test_stale_code_is_refused(login, cast, open_session):
    stale = checkin_code(open_session.pk, current_step() - 2)
    response = _scan_and_confirm(login("member"), open_session, code=stale)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert _row(open_session, cast.member).status == AttendanceStatus.PENDING


def test_forged_or_other_sessions_code_is_refused(login, cast, open_session):
    other = plan(cast.branch, starts_at=timezone.now())
    for code in (checkin_code(other.pk, current_step()), f"{current_step()}-deadbeef", "x"):
        response = _scan_and_confirm(login("member"), open_session, code=code)
        assert response.status_code == 400
    assert _row(open_session, cast.member).status == AttendanceStatus.PENDING


def test_confirm_without_a_scanned_code_is_refused(login, cast, open_session):
    response = login("member").post(reverse("education:checkin_confirm", args=[open_session.pk]))
    assert response.status_code == 400
    assert _row(open_session, cast.member).status == AttendanceStatus.PENDING


def test_code_rotates_and_lives_at_most_two_steps():
    now = 1_700_000_000.0
    step = current_step(now)
    code = checkin_code(7, step)
    assert checkin_code_is_fresh(7, code, now)
    assert checkin_code_is_fresh(7, code, now + CHECKIN_STEP_SECONDS)
    assert not checkin_code_is_fresh(7, code, now + 2 * CHECKIN_STEP_SECONDS)
    assert not checkin_code_is_fresh(8, code, now)
    assert checkin_code(7, step + 1) != code


def test_checkin_is_only_for_oneself(login, cast, open_session):
    """The confirm view takes no member: whoever is logged in is the one checked in."""
    client = login("peer")
    code = checkin_code(open_session.pk, current_step())
    client.get(reverse("education:checkin_scan", args=[open_session.pk, code]))
    client.post(
        reverse("education:checkin_confirm", args=[open_session.pk]), {"member": cast.member.pk}
    )
    assert _row(open_session, cast.peer).status == AttendanceStatus.PRESENT
    assert _row(open_session, cast.member).status == AttendanceStatus.PENDING


def test_qr_partial_renders_svg_of_a_fresh_code(login, open_session):
    response = login("secretary").get(reverse("education:checkin_qr", args=[open_session.pk]))
    body = response.content.decode()
    assert "<svg" in body
    code = checkin_code(open_session.pk, current_step())
    assert code in body or checkin_code(open_session.pk, current_step() - 1) in body


def test_secretary_can_still_mark_anyone_by_hand(cast, open_session):
    attendance_mark(
        session=open_session, member=cast.member, status=AttendanceStatus.LATE, actor=None
    )
    assert _row(open_session, cast.member).status == AttendanceStatus.LATE
