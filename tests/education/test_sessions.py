"""Planning, logging a held session in one page, editing with history, expected members,
materials and make-up study through the pages."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from education.models import Attendance, AttendanceStatus, Makeup, MakeupState, Session
from education.services.attendance import session_log
from education.services.sessions import session_cancel
from members.services import DomainError
from tests.education.helpers import LOG_FORM_SESSION, at, plan
from tests.factories import make_members


def _log_post(session_fields, attendance):
    data = {
        **LOG_FORM_SESSION,
        "topics": ["lawful_internet"],
        "minutes": "会议记录",
        **session_fields,
        "member": [str(pk) for pk in attendance],
    }
    for pk, (status, hours) in attendance.items():
        data[f"status_{pk}"] = status
        data[f"hours_{pk}"] = hours
    return data


def test_secretary_logs_a_held_session_for_thirty_members_in_one_post(login, cast):
    bulk = make_members(cast.branch, 26)
    members = [cast.member, cast.peer, cast.secretary, cast.committee_member, *bulk]
    assert len(members) == 30
    attendance = {m.pk: ("present", "") for m in members}
    attendance[cast.peer.pk] = ("late", "1.5")
    attendance[cast.committee_member.pk] = ("absent", "")
    attendance[bulk[0].pk] = ("excused", "")
    response = login("secretary").post(
        reverse("education:session_log_new") + f"?org={cast.branch.pk}",
        _log_post({}, attendance),
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert session.state == "held" and session.topics == ["lawful_internet"]
    assert session.minutes == "会议记录"
    rows = {a.member_id: a for a in session.attendances.all()}
    assert len(rows) == 30
    assert rows[cast.member.pk].hours == Decimal("2.0")
    assert (rows[cast.peer.pk].status, rows[cast.peer.pk].hours) == ("late", Decimal("1.5"))
    assert rows[cast.committee_member.pk].hours == Decimal("0.0")
    assert rows[bulk[0].pk].status == "excused"


def test_log_page_lists_everyone_preset_present(login, cast):
    body = (
        login("secretary")
        .get(reverse("education:session_log_new") + f"?org={cast.branch.pk}")
        .content.decode()
    )
    for m in (cast.member, cast.peer, cast.secretary, cast.committee_member):
        assert f'id="s{m.pk}_present" value="present" autocomplete="off" checked' in body
    assert cast.other_member.full_name not in body


def test_editing_attendance_later_keeps_history(login, cast):
    session = plan(cast.branch, starts_at=timezone.now() - timedelta(hours=3))
    client = login("secretary")
    everyone = [cast.member, cast.peer, cast.secretary, cast.committee_member]
    fields = {
        "starts_at": (timezone.localtime(session.starts_at)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (timezone.localtime(session.ends_at)).strftime("%Y-%m-%dT%H:%M"),
    }
    client.post(
        reverse("education:session_log", args=[session.pk]),
        _log_post(fields, {m.pk: ("present", "") for m in everyone}),
    )
    row = Attendance.objects.get(session=session, member=cast.member)
    assert row.status == "present"
    client.post(
        reverse("education:session_log", args=[session.pk]),
        _log_post(
            fields, {**{m.pk: ("present", "") for m in everyone}, cast.member.pk: ("absent", "")}
        ),
    )
    row.refresh_from_db()
    assert row.status == "absent" and row.hours == Decimal("0.0")
    history = list(row.history.order_by("history_date").values_list("status", flat=True))
    assert history == ["pending", "present", "absent"]
    assert row.history.latest().history_user == cast.secretary.account
    assert session.history.count() >= 3  # planned, logged, edited


def test_log_refuses_outsiders_and_future_sessions(cast):
    session = plan(cast.branch, starts_at=timezone.now() + timedelta(days=1))
    try:
        session_log(session=session, attendance={cast.member.pk: ("present", None)})
    except DomainError as exc:
        assert "started" in str(exc)
    else:
        raise AssertionError("a future session was logged")
    past = plan(cast.branch, starts_at=at(2025, 1, 3))
    try:
        session_log(
            session=past,
            attendance={
                **{
                    m.pk: ("present", None)
                    for m in (cast.member, cast.peer, cast.secretary, cast.committee_member)
                },
                cast.far_member.pk: ("present", None),
            },
        )
    except DomainError:
        pass
    else:
        raise AssertionError("a member of another branch was marked")
    assert not Attendance.objects.filter(member=cast.far_member).exists()
    assert Session.objects.get(pk=past.pk).state == "planned"  # the refusal rolled back


def test_expected_members_default_and_editable(login, cast):
    group_session = plan(cast.group, kind="group_meeting")
    assert set(group_session.attendances.values_list("member_id", flat=True)) == {
        cast.member.pk,
        cast.peer.pk,
    }
    session = plan(cast.branch)
    assert session.attendances.count() == 4
    response = login("secretary").post(
        reverse("education:session_expected", args=[session.pk]),
        {"members": [cast.member.pk, cast.secretary.pk]},
    )
    assert response.status_code == 302
    assert set(session.attendances.values_list("member_id", flat=True)) == {
        cast.member.pk,
        cast.secretary.pk,
    }
    refused = login("secretary").post(
        reverse("education:session_expected", args=[session.pk]),
        {"members": [cast.far_member.pk]},
    )
    assert refused.status_code == 200  # not a choice: the form says so
    assert not session.attendances.filter(member=cast.far_member).exists()


def test_material_upload_limits(login, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    session = plan(cast.branch)
    client = login("secretary")
    url = reverse("education:material_add", args=[session.pk])
    client.post(url, {"title": "脚本", "file": SimpleUploadedFile("x.exe", b"MZ")})
    big = SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1))
    client.post(url, {"title": "太大", "file": big})
    assert session.materials.count() == 0
    client.post(
        url,
        {"title": "学习提纲", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    material = session.materials.get()
    assert material.size == 8
    download = login("member").get(reverse("education:material_download", args=[material.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4"


def test_makeup_flow_through_the_pages(login, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    session = plan(cast.branch, starts_at=at(2025, 4, 1))
    session_log(
        session=session,
        attendance={
            cast.member.pk: ("absent", None),
            cast.peer.pk: ("present", None),
            cast.secretary.pk: ("present", None),
            cast.committee_member.pk: ("present", None),
        },
    )
    member = login("member")
    response = member.post(
        reverse("education:makeup_create"),
        {
            "session": session.pk,
            "description": "学习《网络安全法》",
            "studied_on": "2025-04-05",
            "hours": "2.0",
            "evidence": SimpleUploadedFile("notes.pdf", b"%PDF-1.4", "application/pdf"),
        },
    )
    assert response.status_code == 302
    makeup = Makeup.objects.get()
    assert makeup.state == MakeupState.SUBMITTED
    # Peers cannot confirm; the secretary can, once.
    assert (
        login("peer")
        .post(reverse("education:makeup_review", args=[makeup.pk]), {"action": "confirm"})
        .status_code
        == 404
    )
    login("secretary").post(
        reverse("education:makeup_review", args=[makeup.pk]), {"action": "confirm"}
    )
    makeup.refresh_from_db()
    assert makeup.state == MakeupState.CONFIRMED and makeup.reviewed_by == cast.secretary.account
    # A second make-up for the same session is refused.
    again = member.post(
        reverse("education:makeup_create"),
        {"session": session.pk, "description": "再学", "studied_on": "2025-04-06", "hours": "1"},
    )
    assert again.status_code == 200
    assert Makeup.objects.count() == 1


def test_cancel_and_checkin_status(cast):
    session = plan(cast.branch)
    session_cancel(session=session)
    assert Session.objects.get(pk=session.pk).state == "cancelled"
    assert AttendanceStatus.PENDING in session.attendances.values_list("status", flat=True)
