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
    section = page.locator("#education-heading").locator("xpath=ancestor::section")
    assert "网络素养专题学习" in section.inner_text()
    assert page.locator("[data-testid=hours-total]").inner_text().startswith("3.0")
    bar = section.get_by_role("progressbar")
    assert bar.get_attribute("aria-valuenow") == "9"  # 3 of 32 hours
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"/me/ is {width}px wide at 375px"
    screenshot(page, "education-me-phone")
