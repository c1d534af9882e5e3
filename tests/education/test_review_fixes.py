"""Review fixes (issue 3): who sets the bar, self-review of make-up study, honest hand
marking, closing check-in, bad input on the log/make-up/settings pages, XLSX formula
injection, and the calendar feed of members who left."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from education import review_selectors, selectors, services
from education.models import (
    Attendance,
    ComplianceCadence,
    HoursRequirement,
    Makeup,
    MakeupState,
    ReminderSettings,
    Session,
)
from members.models import MemberStatus
from members.services import DomainError
from tests.education.helpers import at, held, plan


def _year():
    return timezone.localdate().year


def _hours(member, year=None):
    return selectors.member_hours(member, year or _year())["hours"].total_hours


def _started(cast, **fields):
    """A planned session of branch A that started 30 minutes ago (check-in open)."""
    return plan(cast.branch, starts_at=timezone.now() - timedelta(minutes=30), **fields)


# --- 1. only the organization above sets the bar ---------------------------------------------


def _settings_url(org, year=None):
    return reverse("education:settings", args=[org.pk]) + f"?year={year or _year()}"


HOURS_ZERO = {"form": "hours", "hours-member_hours": "0", "hours-leader_hours": "0"}
CADENCE_NONE = {
    "form": "cadence",
    **{
        f"cadence-{k}": "none"
        for k in (
            "general_meeting",
            "committee_meeting",
            "group_meeting",
            "party_lecture",
            "theme_day",
        )
    },
}


@pytest.mark.parametrize("role", ["secretary", "committee_member"])
def test_branch_leader_cannot_lower_their_own_bar(login, cast, role):
    client = login(role)
    assert client.post(_settings_url(cast.branch), HOURS_ZERO).status_code == 403
    assert client.post(_settings_url(cast.branch), CADENCE_NONE).status_code == 403
    assert not HoursRequirement.objects.exists()
    assert not ComplianceCadence.objects.exists()


def test_branch_leader_keeps_the_reminders_form_and_sees_the_bar_read_only(login, cast):
    client = login("secretary")
    page = client.get(_settings_url(cast.branch)).content.decode()
    assert 'value="reminders"' in page
    assert 'value="hours"' not in page and 'value="cadence"' not in page
    assert 'data-testid="bar-set-above"' in page
    response = client.post(
        _settings_url(cast.branch),
        {
            "form": "reminders",
            "reminders-session_reminders": "on",
            "reminders-session_lead_days": "2",
        },
    )
    assert response.status_code == 302
    assert ReminderSettings.objects.get(organization=cast.branch).session_lead_days == 2


def test_organizer_above_sets_the_branch_bar(login, cast):
    client = login("organizer")
    page = client.get(_settings_url(cast.branch)).content.decode()
    assert 'value="hours"' in page and 'value="cadence"' in page
    response = client.post(
        _settings_url(cast.branch),
        {"form": "hours", "hours-member_hours": "40", "hours-leader_hours": "60"},
    )
    assert response.status_code == 302
    row = HoursRequirement.objects.get(organization=cast.branch, year=_year())
    assert row.member_hours == Decimal("40")
    assert client.post(_settings_url(cast.branch), CADENCE_NONE).status_code == 302
    assert ComplianceCadence.objects.get(organization=cast.branch).theme_day == "none"


def test_organizer_cannot_set_their_own_committees_bar_but_admin_can(login, cast):
    assert login("organizer").post(_settings_url(cast.c1), HOURS_ZERO).status_code == 403
    assert not HoursRequirement.objects.exists()
    assert login("admin").post(_settings_url(cast.c1), HOURS_ZERO).status_code == 302
    assert HoursRequirement.objects.filter(organization=cast.c1).exists()


def test_change_requirements_permission(cast):
    assert not cast.secretary.account.has_perm("education.change_requirements", cast.branch)
    assert cast.organizer.account.has_perm("education.change_requirements", cast.branch)
    assert not cast.organizer.account.has_perm("education.change_requirements", cast.c1)
    assert not cast.other_organizer.account.has_perm("education.change_requirements", cast.branch)


# --- 2. nobody confirms their own make-up study; hours capped by the session ----------------


@pytest.fixture
def own_makeup(cast):
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.secretary: "absent", cast.member: "present"},
    )
    return services.makeup_submit(
        member=cast.secretary,
        session=past,
        description="自学",
        studied_on=at(2025, 3, 20).date(),
        hours=Decimal("2.0"),
    )


def test_secretary_cannot_confirm_their_own_makeup(cast, own_makeup):
    with pytest.raises(DomainError, match="your own make-up"):
        services.makeup_confirm(makeup=own_makeup, actor=cast.secretary.account)
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.SUBMITTED
    # The other leader of the branch may.
    services.makeup_confirm(makeup=own_makeup, actor=cast.committee_member.account)
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.CONFIRMED


def test_own_makeup_is_not_in_the_review_list_and_post_is_refused(login, cast, own_makeup):
    client = login("secretary")
    listing = client.get(reverse("education:makeup_review_list")).content.decode()
    assert reverse("education:makeup_review", args=[own_makeup.pk]) not in listing
    response = client.post(
        reverse("education:makeup_review", args=[own_makeup.pk]), {"action": "confirm"}
    )
    assert response.status_code == 302
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.SUBMITTED
    other = login("committee_member").get(reverse("education:makeup_review_list"))
    assert reverse("education:makeup_review", args=[own_makeup.pk]) in other.content.decode()


def test_makeup_hours_cannot_exceed_the_sessions_hours(cast):
    past = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"})
    with pytest.raises(DomainError) as exc:
        services.makeup_submit(
            member=cast.member,
            session=past,
            description="自学",
            studied_on=at(2025, 3, 20).date(),
            hours=Decimal("40.0"),
        )
    assert "hours" in exc.value.message_dict
    assert not Makeup.objects.exists()


# --- 3. marking by hand mid-session ----------------------------------------------------------


def test_log_page_of_a_planned_session_does_not_pretick_present(login, cast):
    session = _started(cast)
    services.check_in(session=session, member=cast.peer)
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
    services.check_in(session=session, member=cast.peer)
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
    services.check_in(session=session, member=cast.peer)
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


# --- 4. closing check-in ---------------------------------------------------------------------


def test_closing_checkin_credits_checkins_and_marks_absentees(login, cast):
    session = _started(cast, hours="2.0")
    services.check_in(session=session, member=cast.peer)
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
        services.check_in(session=session, member=cast.member)
    with pytest.raises(DomainError):
        services.session_close_checkin(session=session, actor=cast.secretary.account)


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


def test_dashboard_lists_ended_sessions_not_yet_recorded(login, cast):
    ended = plan(cast.branch, starts_at=timezone.now() - timedelta(hours=5), title="未记录的学习")
    plan(cast.branch, title="下周的学习")  # still ahead: not listed
    plan(cast.far_branch, starts_at=timezone.now() - timedelta(hours=5), title="远方未记录")
    body = login("secretary").get(reverse("home_work")).content.decode()
    assert 'data-testid="sessions-to-record"' in body
    section = body.split('data-testid="sessions-to-record"')[1].split("</section>")[0]
    assert "未记录的学习" in section and "下周的学习" not in section and "远方未记录" not in section
    assert reverse("education:session_log", args=[ended.pk]) in section
    services.session_close_checkin(session=ended, actor=cast.secretary.account)
    body = login("secretary").get(reverse("home_work")).content.decode()
    assert 'data-testid="sessions-to-record"' not in body
    assert 'data-testid="sessions-to-record"' not in login("member").get("/").content.decode()


@pytest.mark.parametrize("n", [3, 12])
def test_sessions_to_record_query_count_is_bounded(cast, n, django_assert_max_num_queries):
    for i in range(n):
        plan(cast.branch, starts_at=timezone.now() - timedelta(hours=5 + i))
    user = cast.secretary.account
    user.refresh_from_db()
    with django_assert_max_num_queries(4):
        result = review_selectors.sessions_to_record(user)
    assert len(result["sessions"]) == min(n, 5) and result["count"] == n


# --- 5. bad input never crashes and never loses what was typed -------------------------------


@pytest.mark.parametrize("hours", ["NaN", "nan", "inf", "-Infinity", "abc", "5000", "-1", "1e9"])
def test_log_page_refuses_bad_hours_with_a_message(login, cast, hours):
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    data = {
        "title": "支部党员大会",
        "kind": "general_meeting",
        "starts_at": "2025-06-10T09:00",
        "ends_at": "2025-06-10T11:00",
        "hours": "2.0",
        "place": "会议室",
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


@pytest.fixture
def missed(cast):
    return held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"})


def _makeup_post(client, missed, **overrides):
    data = {
        "session": str(missed.pk),
        "description": "自学党章",
        "studied_on": "2025-03-20",
        "hours": "1.5",
        **overrides,
    }
    return client.post(reverse("education:makeup_create"), data)


@pytest.mark.parametrize(
    ("overrides", "field_text"),
    [
        ({"studied_on": "2999-01-01"}, "cannot be in the future"),
        ({"hours": "0"}, "more than 0"),
        ({"hours": "5"}, "cannot exceed the session"),
        ({"hours": "NaN"}, "Enter a number"),
        ({"evidence": SimpleUploadedFile("run.exe", b"MZ")}, "not accepted"),
        (
            {"evidence": SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1))},
            "larger than 10 MB",
        ),
    ],
)
def test_makeup_form_refuses_bad_input(login, cast, missed, overrides, field_text):
    response = _makeup_post(login("member"), missed, **overrides)
    assert response.status_code == 200
    assert field_text in response.content.decode()
    assert not Makeup.objects.exists()


def test_makeup_form_accepts_good_input(login, cast, missed):
    response = _makeup_post(login("member"), missed)
    assert response.status_code == 302
    assert Makeup.objects.get().hours == Decimal("1.5")


@pytest.mark.parametrize(
    "data",
    [
        {"form": "hours", "hours-member_hours": "-1", "hours-leader_hours": "56"},
        {"form": "hours", "hours-member_hours": "NaN", "hours-leader_hours": "56"},
        {"form": "reminders", "reminders-session_lead_days": "-3"},
    ],
)
def test_settings_forms_refuse_negative_values(login, cast, data):
    response = login("organizer").post(_settings_url(cast.branch), data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not HoursRequirement.objects.exists() and not ReminderSettings.objects.exists()


# --- 6. exports never carry formulas ---------------------------------------------------------


def test_hours_export_neutralizes_formulas(login, cast):
    cast.member.full_name = '=HYPERLINK("http://evil.example","x")'
    cast.member.save()
    cast.peer.full_name = "@SUM(1+1)"
    cast.peer.save()
    held(
        cast.branch,
        starts_at=timezone.now() - timedelta(days=1),
        title="+cmd|' /C calc'!A0",
        attendance={cast.member: "present", cast.peer: "present"},
    )
    client = login("secretary")
    urls = [
        reverse("education:hours_branch_export") + f"?branch={cast.branch.pk}",
        reverse("education:hours_member_export", args=[cast.member.pk]),
    ]
    seen = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                    seen.add(cell.value)
    assert '\'=HYPERLINK("http://evil.example","x")' in seen
    assert "'@SUM(1+1)" in seen
    assert "'+cmd|' /C calc'!A0" in seen


# --- 15. the calendar feed stops for members who left ---------------------------------------


@pytest.mark.parametrize("status", [MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED])
def test_calendar_feed_stops_for_members_no_longer_active(client, cast, status):
    feed = services.calendar_feed_get_or_create(member=cast.member)
    url = reverse("education:calendar_feed", args=[feed.token])
    assert client.get(url).status_code == 200
    type(cast.member).objects.filter(pk=cast.member.pk).update(status=status)
    assert client.get(url).status_code == 404
