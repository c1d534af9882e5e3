"""The secretary's attendance log on a phone (reasons, the duplicate warning, pinyin keys),
the check-in kiosk, make-up study's date and file, and the calendar page and its alarms."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from education.models import Attendance, CalendarFeed, Session
from education.services.calendar import calendar_feed_regenerate
from education.services.checkin import check_in, session_close_checkin
from education.services.sessions import session_cancel
from members.pinyin import name_search_keys
from members.services import DomainError
from tests.education.helpers import LOG_FORM_SESSION, at, held, plan


def _log_data(cast, **extra):
    data = {
        **LOG_FORM_SESSION,
        "member": [str(m.pk) for m in (cast.member, cast.peer, cast.secretary)],
        f"status_{cast.member.pk}": "excused",
        f"note_{cast.member.pk}": "出差在外",
        f"status_{cast.peer.pk}": "absent",
        f"note_{cast.peer.pk}": "  生病   住院 ",
        f"status_{cast.secretary.pk}": "present",
        f"note_{cast.secretary.pk}": "不该保存",
    }
    data.update(extra)
    return data


def test_log_records_reasons_for_excused_and_absent_only(login, cast):
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    response = login("secretary").post(url, _log_data(cast))
    assert response.status_code == 302
    session = Session.objects.get(title="支部党员大会")
    notes = dict(session.attendances.values_list("member_id", "note"))
    assert notes[cast.member.pk] == "出差在外"
    assert notes[cast.peer.pk] == "生病 住院"
    assert notes[cast.secretary.pk] == ""
    # Editing the log shows the reasons again, and marking present clears one.
    edit = login("secretary").get(reverse("education:session_log", args=[session.pk]))
    assert 'value="出差在外"' in edit.content.decode()
    data = _log_data(cast, **{f"status_{cast.member.pk}": "present"})
    login("secretary").post(reverse("education:session_log", args=[session.pk]), data)
    assert Attendance.objects.get(session=session, member=cast.member).note == ""
    assert Attendance.objects.get(session=session, member=cast.peer).note == "生病 住院"


def test_a_too_long_reason_is_refused_with_a_message(login, cast):
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    data = _log_data(cast, **{f"note_{cast.member.pk}": "长" * 201})
    response = login("secretary").post(url, data)
    assert response.status_code == 200
    assert "200" in response.content.decode()
    assert not Session.objects.filter(title="支部党员大会").exists()


def test_logging_the_same_session_twice_asks_first(login, cast):
    first = held(cast.branch, starts_at=at(2025, 6, 10, 9, 30), kind="general_meeting")
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    response = login("secretary").post(url, _log_data(cast))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="duplicate-warning"' in page
    assert reverse("education:session_detail", args=[first.pk]) in page
    assert Session.objects.filter(kind="general_meeting").count() == 1
    # Another kind, or another organization, is not a duplicate; confirming saves it.
    confirmed = _log_data(cast, confirm_duplicate=str(first.pk))
    assert login("secretary").post(url, confirmed).status_code == 302
    assert Session.objects.filter(kind="general_meeting").count() == 2


def test_a_session_at_another_time_that_day_is_not_a_duplicate(login, cast):
    held(cast.branch, starts_at=at(2025, 6, 10, 14), kind="general_meeting")
    url = reverse("education:session_log_new") + f"?org={cast.branch.pk}"
    assert login("secretary").post(url, _log_data(cast)).status_code == 302


def test_pinyin_keys_match_full_pinyin_initials_and_surname_readings():
    assert set(name_search_keys("张三").split()) == {"zhangsan", "zs"}
    assert {"shantianfang", "stf"} <= set(name_search_keys("单田芳").split())
    assert {"zengguofan", "zgf"} <= set(name_search_keys("曾国藩").split())


def test_log_form_and_roster_carry_pinyin_for_the_name_filter(login, cast):
    page = login("secretary").get(reverse("education:session_log_new") + f"?org={cast.branch.pk}")
    body = page.content.decode()
    assert 'data-name="张伟" data-pinyin="zhangwei zw"' in body
    assert 'data-name-filter="att-list"' in body and "name-filter.js" in body
    assert 'class="kbd-hint"' in body  # hidden on touch screens by member.css
    roster = login("secretary").get(reverse("members:roster") + f"?branch={cast.branch.pk}")
    assert 'data-pinyin="zhangwei zw"' in roster.content.decode()


def test_checkin_can_close_once_it_opens_before_the_start(login, cast):
    soon = plan(cast.branch, starts_at=timezone.now() + timedelta(minutes=10))
    check_in(session=soon, member=cast.peer)
    screen = login("secretary").get(reverse("education:checkin_screen", args=[soon.pk]))
    assert 'data-testid="close-checkin"' in screen.content.decode()
    assert login("secretary").post(reverse("education:session_close", args=[soon.pk])).status_code
    soon.refresh_from_db()
    assert soon.is_held
    assert Attendance.objects.get(session=soon, member=cast.member).status == "absent"
    later = plan(cast.branch, starts_at=timezone.now() + timedelta(hours=2))
    try:
        session_close_checkin(session=later)
    except DomainError as exc:
        assert "30" in " ".join(exc.messages)
    else:
        raise AssertionError("a session nobody could check in to yet was closed")


def test_kiosk_is_full_screen_and_lists_arrivals(login, cast):
    session = plan(cast.branch, starts_at=timezone.now() + timedelta(minutes=5))
    check_in(session=session, member=cast.peer)
    screen = login("secretary").get(reverse("education:checkin_screen", args=[session.pk]))
    body = screen.content.decode()
    assert 'class="navbar' not in body and "<script>" not in body and 'style="' not in body
    assert 'hx-trigger="load, every 3s"' in body
    part = login("secretary").get(reverse("education:checkin_qr", args=[session.pk]))
    text = part.content.decode()
    assert 'role="img"' in text and "王芳" in text and "张伟" not in text
    assert "1 of 4 checked in" in text or "已签到 1" in text or "1/4" in text


def test_makeup_form_shows_the_date_in_iso_and_asks_for_the_file_again(login, cast):
    page = login("member").get(reverse("education:makeup_create")).content.decode()
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page
    evidence = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = login("member").post(
        reverse("education:makeup_create"),
        {"description": "", "studied_on": "2026-12-05", "hours": "1", "evidence": evidence},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="evidence-again"' in body
    assert 'value="2026-12-05"' in body  # the typed date comes back readable


def test_makeup_and_case_forms_name_the_same_accepted_types(login, cast):
    from members.uploads import UPLOAD_HELP

    page = login("member").get(reverse("education:makeup_create")).content.decode()
    assert str(UPLOAD_HELP) in page or "PDF" in page
    assert 'accept=".pdf' in page


def test_calendar_page_offers_webcal_qr_and_copy(login, cast):
    login("member").post(reverse("education:calendar_regenerate"))
    body = login("member").get(reverse("education:calendar")).content.decode()
    assert 'href="webcal://testserver/education/calendar/feed/' in body
    assert 'data-testid="feed-qr"' in body and "<svg" in body
    assert 'data-copy-target="feed-url"' in body and "copy-button.js" in body
    assert "onclick" not in body


def test_each_event_in_the_feed_reminds_an_hour_before(client, login, cast):
    ahead = plan(cast.branch, starts_at=at(2030, 6, 1, 9), title="主题党日")
    cancelled = plan(cast.branch, starts_at=at(2030, 6, 2, 9), title="取消的学习")
    session_cancel(session=cancelled)
    feed = calendar_feed_regenerate(member=cast.member)
    response = client.get(reverse("education:calendar_feed", args=[feed.token]))
    cal = Calendar.from_ical(BytesIO(response.content).read())
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    alarms = events["主题党日"].walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["action"]) == "DISPLAY"
    assert alarms[0].decoded("trigger") == -timedelta(hours=1)
    assert events["取消的学习"].walk("VALARM") == []
    assert CalendarFeed.objects.filter(member=cast.member).count() == 1
    assert ahead.pk
