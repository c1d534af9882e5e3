"""Browser journey (Chromium, phone width): a member opens a protection case with a file; a
designated handler accepts it and adds an action; the member sees the action."""

import re

from members.protection import services
from members.protection.models import CaseView, ProtectionCase
from tests.browser.conftest import browser_login, screenshot


def test_member_opens_a_case_handler_acts_member_sees_it(
    phone_page, live_server, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    evidence = tmp_path / "网暴截图说明.txt"
    evidence.write_text("2025年6月1日起，多个账号在评论区辱骂并散布不实信息。", encoding="utf-8")
    page = phone_page

    # The member opens a case from the menu's page, with a file.
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/members/cases/new/")
    page.select_option("select[name=kind]", "cyberbullying")
    page.fill("textarea[name=description]", "我在微博发文支持本地防汛工作后，遭到大量账号辱骂。")
    page.fill("input[name=place]", "微博评论区")
    page.fill("input[name=occurred_on]", "2025-06-01")
    page.fill("textarea[name=evidence_links]", "https://weibo.example/post/123")
    page.fill("textarea[name=help_requested]", "请组织协调平台处理，并视情况澄清。")
    page.set_input_files("input[name=files]", str(evidence))
    page.locator("form input[type=submit], form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/members/cases/[0-9a-f-]{36}/$"))
    case = ProtectionCase.objects.get(member=cast.member)
    assert case.evidence.get().original_name == "网暴截图说明.txt"
    assert page.get_by_text("网暴截图说明.txt").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at 375px"
    screenshot(page, "protection-case-opened-phone")

    # The designated handler accepts it and records an action.
    page.context.clear_cookies()
    browser_login(page, live_server, "organizer")
    page.goto(f"{live_server.url}/members/cases/{case.ref}/")
    page.locator("form:has(input[name=action][value=accept]) button").click()
    page.wait_for_load_state()
    details = page.locator("details:has(form[action$='/actions/'])")
    if details.get_attribute("open") is None:  # open by default while the timeline is empty
        details.locator("summary").click()
    page.select_option("form[action$='/actions/'] select[name=kind]", "platform_removal")
    page.fill(
        "form[action$='/actions/'] textarea[name=description]", "已致函微博平台，要求删除辱骂内容。"
    )
    page.fill("form[action$='/actions/'] textarea[name=outcome]", "平台已删除32条评论。")
    page.locator("form[action$='/actions/'] [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=timeline]").get_by_text("平台已删除32条评论。").is_visible()

    # The member sees the action, and who looked.
    page.context.clear_cookies()
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/members/cases/{case.ref}/")
    timeline = page.locator("[data-testid=timeline]")
    assert timeline.get_by_text("已致函微博平台，要求删除辱骂内容。").is_visible()
    assert page.locator("[data-testid=case-views]").get_by_text("赵敏").first.is_visible()
    assert CaseView.objects.filter(case=case, viewer=cast.organizer.account).exists()
    screenshot(page, "protection-case-member-sees-action-phone")
