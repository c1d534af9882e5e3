"""Browser journeys of the foundation (Chromium)."""

from tests.browser.conftest import browser_login, screenshot


def test_member_sees_own_record_in_chinese_on_a_phone(phone_page, live_server, cast):
    page = phone_page
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/me/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="我的档案").is_visible()
    assert page.get_by_text("张伟").first.is_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at 375px"
    screenshot(page, "me-phone")
