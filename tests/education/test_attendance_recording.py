"""Recording attendance: the log page of a planned session, marking one member by hand while
check-in runs, closing check-in, re-crediting after the hours change; bad input is refused
with a message and what was typed is kept."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import (
    Attendance,
    MemberYearHours,
    Session,
)
from education.selectors.hours import member_hours
from education.services.attendance import attendance_mark
from education.services.checkin import check_in, session_close_checkin
from education.services.sessions import session_update
from members.services import DomainError
from tests.education.helpers import LOG_FORM_SESSION, at, held, plan


def _year():
    return timezone.localdate().year


def _hours(member, year=None):
    return member_hours(member, year or _year())["hours"].total_hours


def _started(cast, **fields):
    """A planned session of branch A that started 30 minutes ago (check-in open)."""
    return plan(cast.branch, starts_at=timezone.now() - timedelta(minutes=30), **fields)


def test_log_page_of_a_planned_session_does_not_pretick_present(login, cast):
    session = _started(cast)
    check_in(session=session, member=cast.peer)
    body = login("secretary").get(reverse("education:session_log", args=[session.pk])).content
    body = body.decode()
    assert f'id="s{cast.peer.pk}_present" value="present" autocomplete="off" checked' in body
    for m in (cast.member, cast.secretary, cast.committee_member):
        assert f'id="s{m.pk}_present" value="present" autocomplete="off" checked' not in body


def _existing_log_post(session, attendance, **extra):
    local = timezone.localtime
    data = {
        "title": session.title,
        "kind": session.kind,
        "starts_at": local(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": local(session.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "hours": str(session.hours),
        "place": session.place,
        "member": [str(pk) for pk in attendance],
        **extra,
    }
    for pk, (status, hours) in attendance.items():
        if status:
            data[f"status_{pk}"] = status
        data[f"hours_{pk}"] = hours
    return data


def test_logging_a_planned_session_refuses_unmarked_members(login, cast):
    session = _started(cast)
    check_in(session=session, member=cast.peer)
    attendance = {
        cast.peer.pk: ("present", ""),
        cast.member.pk: ("", ""),
        cast.secretary.pk: ("present", ""),
        cast.committee_member.pk: ("", ""),
    }
    url = reverse("education:session_log", args=[session.pk])
    client = login("secretary")
    response = client.post(url, _existing_log_post(session, attendance))
    assert response.status_code == 200
    assert "2 expected members are not marked yet" in response.content.decode()
    session.refresh_from_db()
    assert session.is_planned
    assert Attendance.objects.get(session=session, member=cast.member).status == "pending"
    # Explicitly: the unmarked ones are absent, nobody is credited by guesswork.
    response = client.post(url, _existing_log_post(session, attendance, unmarked="absent"))
    assert response.status_code == 302
    rows = {a.member_id: a for a in session.attendances.all()}
    assert rows[cast.member.pk].status == "absent" and rows[cast.member.pk].hours == 0
    assert rows[cast.peer.pk].status == "present"


def test_marking_one_member_by_hand_keeps_the_session_planned(login, cast):
    session = _started(cast)
    client = login("secretary")
    response = client.post(
        reverse("education:session_mark", args=[session.pk]), {"mark": f"{cast.member.pk}:late"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_planned
    row = Attendance.objects.get(session=session, member=cast.member)
    assert row.status == "late" and row.hours == session.hours
    assert Attendance.objects.get(session=session, member=cast.peer).status == "pending"
    # Check-in stays open for the others.
    check_in(session=session, member=cast.peer)
    assert Attendance.objects.get(session=session, member=cast.peer).status == "present"


def test_mark_with_htmx_returns_the_attendance_section(login, cast):
    session = _started(cast)
    response = login("secretary").post(
        reverse("education:session_mark", args=[session.pk]),
        {"mark": f"{cast.member.pk}:absent"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="attendance"' in body and "<html" not in body
    assert Attendance.objects.get(session=session, member=cast.member).status == "absent"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("member", 403),
        ("peer", 403),
        ("other_secretary", 404),
        ("other_organizer", 404),
        ("outsider", 404),
        ("organizer", 302),
    ],
)
def test_mark_by_role(login, cast, role, status):
    session = _started(cast)
    response = login(role).post(
        reverse("education:session_mark", args=[session.pk]), {"mark": f"{cast.member.pk}:present"}
    )
    assert response.status_code == status
    marked = Attendance.objects.get(session=session, member=cast.member).status
    assert marked == ("present" if status == 302 else "pending")


def test_mark_refuses_bogus_status_and_unexpected_member(login, cast):
    session = _started(cast)
    client = login("secretary")
    url = reverse("education:session_mark", args=[session.pk])
    assert client.post(url, {"mark": f"{cast.member.pk}:bogus"}).status_code == 302
    assert Attendance.objects.get(session=session, member=cast.member).status == "pending"
    assert client.post(url, {"mark": f"{cast.other_member.pk}:present"}).status_code == 404
    assert client.post(url, {"mark": "x:present"}).status_code == 404


def test_checkin_screen_links_to_hand_marking_on_the_detail_page(login, cast):
    session = _started(cast)
    body = login("secretary").get(reverse("education:checkin_screen", args=[session.pk]))
    body = body.content.decode()
    assert reverse("education:session_detail", args=[session.pk]) + "#attendance" in body
    assert reverse("education:session_log", args=[session.pk]) not in body
    assert reverse("education:session_close", args=[session.pk]) in body
    # Before the start there is nothing to close yet.
    ahead = plan(cast.branch)
    body = login("secretary").get(reverse("education:checkin_screen", args=[ahead.pk]))
    assert reverse("education:session_close", args=[ahead.pk]) not in body.content.decode()


def test_closing_checkin_credits_checkins_and_marks_absentees(login, cast):
    session = _started(cast, hours="2.0")
    check_in(session=session, member=cast.peer)
    before = _hours(cast.peer)
    detail = login("secretary").get(reverse("education:session_detail", args=[session.pk]))
    assert 'data-testid="close-checkin"' in detail.content.decode()
    response = login("secretary").post(reverse("education:session_close", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_held
    assert _hours(cast.peer) == before + Decimal("2.0")
    rows = {a.member_id: a for a in session.attendances.all()}
    assert rows[cast.member.pk].status == "absent" and rows[cast.member.pk].hours == 0
    assert rows[cast.peer.pk].status == "present"
    history = list(rows[cast.member.pk].history.order_by("history_date").values_list("status"))
    assert history == [("pending",), ("absent",)]
    assert rows[cast.member.pk].history.latest().history_user == cast.secretary.account
    # Held now: check-in is closed, and closing twice is refused.
    with pytest.raises(DomainError):
        check_in(session=session, member=cast.member)
    with pytest.raises(DomainError):
        session_close_checkin(session=session, actor=cast.secretary.account)


def test_closing_checkin_before_the_start_is_refused(login, cast):
    session = plan(cast.branch)
    response = login("secretary").post(reverse("education:session_close", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_planned
    assert not Attendance.objects.filter(session=session, status="absent").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("member", 403), ("other_secretary", 404), ("other_organizer", 404), ("organizer", 302)],
)
def test_close_by_role(login, cast, role, status):
    session = _started(cast)
    assert login(role).post(reverse("education:session_close", args=[session.pk])).status_code == (
        status
    )
    session.refresh_from_db()
    assert session.is_held == (status == 302)


@pytest.mark.parametrize("hours", ["NaN", "nan", "inf", "-Infinity", "abc", "5000", "-1", "1e9"])
def test_log_page_refuses_bad_hours_with_a_message(login, cast, hours):
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    data = {
        **LOG_FORM_SESSION,
        "member": [str(cast.member.pk), str(cast.peer.pk)],
        f"status_{cast.member.pk}": "present",
        f"hours_{cast.member.pk}": hours,
        f"status_{cast.peer.pk}": "late",
        f"hours_{cast.peer.pk}": "1.5",
    }
    response = login("secretary").post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Credited hours must be a number from 0 to 99.9" in body
    assert not Session.objects.exists()
    # What was typed is still there.
    assert f'value="{hours}"' in body and 'value="1.5"' in body
    assert f'id="s{cast.peer.pk}_late" value="late" autocomplete="off" checked' in body


def test_log_page_refuses_a_bogus_status(login, cast):
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    data = {
        "title": "学习",
        "kind": "study",
        "starts_at": "2025-06-10T09:00",
        "ends_at": "2025-06-10T11:00",
        "hours": "2.0",
        "member": [str(cast.member.pk)],
        f"status_{cast.member.pk}": "pending",
    }
    response = login("secretary").post(url, data)
    assert response.status_code == 200
    assert "Mark each member present, late, excused or absent." in response.content.decode()
    data[f"status_{cast.member.pk}"] = "bogus"
    assert login("secretary").post(url, data).status_code == 200
    assert not Session.objects.exists()


def test_held_session_hours_change_recredits_rows_and_totals(cast):
    session = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "present", cast.peer: "late", cast.secretary: "absent"},
    )
    attendance_mark(
        session=session, member=cast.committee_member, status="present", hours=Decimal("1.0")
    )
    session_update(session=session, hours=Decimal("3.0"), actor=cast.secretary.account)
    hours = dict(Attendance.objects.filter(session=session).values_list("member_id", "hours"))
    assert hours[cast.member.pk] == Decimal("3.0")
    assert hours[cast.peer.pk] == Decimal("3.0")
    assert hours[cast.secretary.pk] == Decimal("0.0")  # absent: nothing credited
    assert hours[cast.committee_member.pk] == Decimal("1.0")  # set by hand: kept
    row = Attendance.objects.get(session=session, member=cast.member)
    last = row.history.order_by("-history_id").first()
    assert last.hours == Decimal("3.0") and last.history_user == cast.secretary.account
    assert last.prev_record.hours == Decimal("2.0")
    total = MemberYearHours.objects.get(member=cast.member, year=2025)
    assert total.attended_hours == Decimal("3.0")
