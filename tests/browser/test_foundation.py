"""Browser journeys of the foundation (Chromium)."""

from tests.browser.conftest import browser_login, screenshot


def test_member_sees_own_record_in_chinese_on_a_phone(phone_page, live_server, cast):
    page = phone_page
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/me/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="我的档案").is_visible()
    # Personal details are folded below the to-do and the hours; opening them shows the name.
    page.get_by_text("您的个人信息、职务和组织关系记录").click()
    assert page.locator("main").get_by_text("张伟").first.is_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at 375px"
    screenshot(page, "me-phone")


def test_secretary_edits_a_phone_and_the_member_sees_it_on_their_record(
    browser_page, phone_page, live_server, cast
):
    page = browser_page
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/members/roster/")
    page.fill("input[name=q]", "张伟")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**q=*")
    page.locator("[data-testid=roster-table] tbody tr a").first.click()
    page.wait_for_url(f"**/members/{cast.member.pk}/")
    page.locator(f"a[href='/members/{cast.member.pk}/edit/']").click()
    page.fill("input[name=phone]", "13812345678")
    page.locator("input[type=submit][name=save]").click()
    page.wait_for_url(f"**/members/{cast.member.pk}/")

    # The member, on their own phone, sees the new number on /me/.
    browser_login(phone_page, live_server, "member")
    phone_page.goto(f"{live_server.url}/me/")
    phone_page.get_by_text("您的个人信息、职务和组织关系记录").click()
    assert phone_page.get_by_test_id("my-phone").inner_text() == "13812345678"
