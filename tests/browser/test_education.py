"""Browser journey of education (Chromium): a secretary logs a held session with attendance
from a phone, using the keyboard shortcuts, and the member sees the hours on /me/."""

from education.models import Attendance, Session
from tests.browser.conftest import browser_login, screenshot


def test_secretary_logs_session_and_member_sees_hours(phone_page, live_server, cast):
    page = phone_page
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/education/sessions/log/")
    # A secretary of one branch goes straight to that branch's page.
    page.wait_for_url(lambda url: f"org={cast.branch.pk}" in url)
    page.fill("#id_title", "网络素养专题学习")
    page.select_option("#id_kind", "study")
    page.fill("#id_hours", "3")
    page.fill("#id_place", "党员活动室")

    # Everyone starts as present; mark the peer absent and the committee member late from
    # the keyboard: the shortcut marks the focused row and moves on.
    page.focus(f"#s{cast.peer.pk}_present")
    page.keyboard.press("a")
    page.focus(f"#s{cast.committee_member.pk}_present")
    page.keyboard.press("l")
    assert page.locator(f"#s{cast.peer.pk}_absent").is_checked()
    assert page.locator(f"#s{cast.committee_member.pk}_late").is_checked()
    assert page.locator(f"#s{cast.member.pk}_present").is_checked()
    screenshot(page, "education-log-phone")
    page.click("#session-log button[type=submit]")
    page.wait_for_url(lambda url: "/education/sessions/" in url and "/log/" not in url)
    assert page.locator("[data-testid=session-state]").is_visible()

    session = Session.objects.get(title="网络素养专题学习")
    statuses = dict(session.attendances.values_list("member_id", "status"))
    assert statuses == {
        cast.member.pk: "present",
        cast.peer.pk: "absent",
        cast.secretary.pk: "present",
        cast.committee_member.pk: "late",
    }
    assert Attendance.objects.get(session=session, member=cast.member).hours == 3

    page.context.clear_cookies()
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/me/")
    section = page.locator("#year-sessions")
    assert "网络素养专题学习" in section.inner_text()
    assert page.locator("[data-testid=hours-total]").inner_text().startswith("3.0")
    ring = page.locator("[data-testid=hours-ring] svg")
    assert "9%" in ring.get_attribute("aria-label")  # 3 of 32 hours
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"/me/ is {width}px wide at 375px"
    screenshot(page, "education-me-phone")


def test_compliance_pages_do_not_scroll_sideways_on_a_phone(phone_page, live_server, cast):
    """Missed meetings are spelled out in visually-hidden text inside the scrolling tables;
    those spans must stay inside the table's scroll box, not widen the page."""
    page = phone_page
    browser_login(page, live_server, "organizer")
    for url in (
        f"/education/compliance/rollup/?org={cast.c1.pk}",
        f"/education/compliance/?branch={cast.branch.pk}",
    ):
        page.goto(f"{live_server.url}{url}")
        assert page.locator(".visually-hidden").count() > 0 or "rollup" not in url
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{url} is {width}px wide at 375px"


def test_secretary_marks_by_hand_then_closes_checkin(phone_page, live_server, cast):
    from datetime import timedelta

    from django.utils import timezone

    from education.services.checkin import check_in
    from tests.education.helpers import plan

    session = plan(cast.branch, starts_at=timezone.now() - timedelta(minutes=20))
    check_in(session=session, member=cast.peer)
    page = phone_page
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/education/sessions/{session.pk}/")
    page.click(f"button[name=mark][value='{cast.member.pk}:late']")  # htmx swaps the section
    page.wait_for_selector(f"button[name=mark][value='{cast.member.pk}:late'][aria-pressed=true]")
    session.refresh_from_db()
    assert session.is_planned  # check-in stays open
    assert Attendance.objects.get(session=session, member=cast.member).status == "late"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the session page is {width}px wide at 375px"
    screenshot(page, "education-mark-by-hand-phone")
    page.click("[data-testid=close-checkin]")
    page.wait_for_load_state()
    session.refresh_from_db()
    assert session.is_held
    statuses = dict(session.attendances.values_list("member_id", "status"))
    assert statuses[cast.peer.pk] == "present" and statuses[cast.member.pk] == "late"
    assert statuses[cast.committee_member.pk] == "absent"
