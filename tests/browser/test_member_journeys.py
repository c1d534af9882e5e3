"""The member's and the secretary's journeys at 375 px (Chromium), as people see them in
Chinese: logging a session for 30 members with two absences and their reasons, checking in by
QR from a second browser, a make-up study submitted and confirmed, and /me/ with hours, last
year's result and a to-do. Screenshots of each page at 375 and 1366 px go to test-results/."""

from datetime import timedelta

from django.utils import timezone

from appraisal.models import Step
from education.models import Attendance, Makeup, Session
from tests.appraisal.cycles import move_to, open_cycle
from tests.browser import journeys as j
from tests.browser.conftest import PHONE, browser_login, screenshot, tab
from tests.browser.journeys import fits as no_sideways_scroll
from tests.browser.journeys import zh
from tests.education.helpers import held, plan
from tests.factories import make_members

WIDE = {"width": 1366, "height": 900}


def test_secretary_logs_thirty_members_with_two_absences_and_reasons(phone_page, live_server, cast):
    make_members(cast.branch, 26)  # 30 with the cast's four
    page = phone_page
    browser_login(page, live_server, "secretary")
    assert len(j.session_log_open(page, live_server, cast.branch.pk)) == 30

    # One line per member: the four choices side by side, each at least 44 px tall.
    boxes = [
        page.locator(f"label[for=s{cast.peer.pk}_{v}]").bounding_box()
        for v in ("present", "late", "excused", "absent")
    ]
    assert all(b["height"] >= 44 for b in boxes), boxes
    assert len({round(b["y"]) for b in boxes}) == 1, "the choices wrap"
    assert not page.locator(".kbd-hint").first.is_visible() or not page.evaluate(
        "matchMedia('(pointer: coarse)').matches"
    )

    # Find 王芳 by her initials, mark her absent with a reason.
    page.fill("#att-filter", "wf")
    assert page.locator("[data-log-row]:visible").count() == 1
    j.attendance_mark(page, "王芳", "absent", "生病住院")
    # 张伟 by full pinyin: excused, away on business.
    page.fill("#att-filter", "zhangwei")
    assert page.locator("[data-log-row]:visible").get_attribute("data-name") == "张伟"
    j.attendance_mark(page, "张伟", "excused", "出差")
    page.fill("#att-filter", "")
    assert page.locator("[data-log-row]:visible").count() == 30
    assert not page.locator(f"#note_{cast.secretary.pk}").is_visible()  # present: no reason
    no_sideways_scroll(page)
    screenshot(page, "member-log-375")
    j.session_log_save(page, title="主题党日学习", kind="theme_day", hours="2")

    session = Session.objects.get(title="主题党日学习")
    rows = {a.member_id: a for a in session.attendances.all()}
    assert len(rows) == 30
    assert (rows[cast.peer.pk].status, rows[cast.peer.pk].note) == ("absent", "生病住院")
    assert (rows[cast.member.pk].status, rows[cast.member.pk].note) == ("excused", "出差")
    assert sum(a.status == "present" for a in rows.values()) == 28


def test_member_checks_in_by_qr_from_a_second_browser(browser, live_server, cast):
    session = plan(cast.branch, starts_at=timezone.now() + timedelta(minutes=5), title="党课")
    with tab(browser, WIDE) as kiosk, tab(browser, PHONE) as phone:
        browser_login(kiosk, live_server, "secretary")
        url = j.kiosk_open(kiosk, live_server, session.pk)
        assert kiosk.locator("nav.navbar").count() == 0
        size = kiosk.locator(".kiosk-qr svg").bounding_box()
        assert size["width"] >= 0.5 * 900, size  # as large as the screen allows
        screenshot(kiosk, "member-kiosk-1366")

        # The member's phone "scans" the code: opens its address, logs in, confirms; the
        # kiosk shows the name within a few seconds.
        j.check_in_by_phone(phone, url, "member", "pw-Test-123")
        j.kiosk_sees(kiosk, "张伟")
        assert "1" in kiosk.inner_text("[data-testid=checkin-count]")
        screenshot(kiosk, "member-kiosk-arrived-1366")
        kiosk.set_viewport_size(PHONE)
        screenshot(kiosk, "member-kiosk-375")
        kiosk.get_by_role("button", name=zh("Close check-in and mark as held")).click()
        kiosk.wait_for_url(lambda u: "checkin-screen" not in u)
        session.refresh_from_db()
        assert session.is_held
        assert Attendance.objects.get(session=session, member=cast.member).status == "present"


def test_absent_member_submits_makeup_and_secretary_confirms(phone_page, live_server, cast):
    missed = held(cast.branch, starts_at=timezone.now() - timedelta(days=1), title="支部大会")
    Attendance.objects.filter(session=missed, member=cast.member).update(status="absent", hours=0)
    page = phone_page
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/")
    todo = page.locator("[data-testid=todo-makeup]")
    assert "支部大会" in todo.inner_text()
    todo.get_by_role("link").click()
    assert page.input_value("#id_studied_on") == f"{timezone.localdate():%Y-%m-%d}"
    page.fill("#id_description", "自学会议精神")
    page.set_input_files(
        "#id_evidence",
        files=[{"name": "笔记.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF"}],
    )
    no_sideways_scroll(page)
    screenshot(page, "member-makeup-375")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/education/makeups/"))
    assert zh("Your make-up study is recorded. It counts once the secretary confirms it.") in (
        page.inner_text("main")
    )

    page.context.clear_cookies()
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/education/makeups/review/")
    assert "自学会议精神" in page.inner_text("main")
    page.get_by_role("button", name=zh("Confirm")).first.click()
    assert zh("The make-up study is confirmed; its hours now count.") in page.inner_text("main")
    assert Makeup.objects.get(member=cast.member).state == "confirmed"


def test_member_opens_me_and_sees_hours_last_years_result_and_a_to_do(
    phone_page, browser, live_server, cast
):
    year = timezone.localdate().year
    move_to(open_cycle(cast.branch, year=year - 1), Step.CLOSED)
    move_to(open_cycle(cast.branch, year=year), Step.BALLOT)
    held(cast.branch, starts_at=timezone.now() - timedelta(days=1), hours="8", title="理论学习")
    page = phone_page
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/me/")
    assert zh("Your to-do") in page.inner_text("[data-testid=todo]")
    assert page.locator("[data-testid=todo-ballot]").is_visible()
    assert "8.0" in page.inner_text("[data-testid=hours-total]")
    label = page.locator("[data-testid=hours-ring] svg").get_attribute("aria-label")
    assert "8.0" in label and "25%" in label
    assert "合格" in page.inner_text("[data-testid=appraisal-previous]")
    assert not page.locator("[data-testid=personal-details] dl").is_visible()  # folded
    no_sideways_scroll(page)
    screenshot(page, "member-me-375")
    page.click(f"a.year-link[href='/me/?year={year - 1}']")
    assert page.locator("[data-testid=todo]").count() == 0

    # The same pages at 1366 px, and the other changed pages, for a person to look at.
    with tab(browser, WIDE) as wide:
        browser_login(wide, live_server, "member")
        for path, name in (("/", "home"), ("/me/", "me"), ("/education/calendar/", "calendar")):
            wide.goto(live_server.url + path)
            screenshot(wide, f"member-{name}-1366")
        page.goto(f"{live_server.url}/")
        screenshot(page, "member-home-375")
        page.goto(f"{live_server.url}/education/calendar/")
        page.get_by_role("button", name=zh("Create my calendar address")).click()
        assert page.locator("a[href^='webcal://']").is_visible()
        assert page.locator("[data-testid=feed-qr] svg").is_visible()
        screenshot(page, "member-calendar-375")
        wide.context.clear_cookies()
        browser_login(wide, live_server, "secretary")
        for path, name in (
            (f"/education/sessions/log/?org={cast.branch.pk}", "log"),
            (f"/members/roster/?branch={cast.branch.pk}", "roster"),
            ("/", "secretary-home"),
        ):
            wide.goto(live_server.url + path)
            wide.wait_for_load_state("networkidle")
            screenshot(wide, f"member-{name}-1366")
