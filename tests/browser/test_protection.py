"""Browser journey (Chromium, phone width): a member opens a protection case with a file; a
designated handler accepts it and adds an action; the member sees the action."""

import re
from datetime import date

from members.protection import services
from members.protection.models import CaseView, ProtectionCase
from tests.browser import journeys as j
from tests.browser.conftest import browser_login, screenshot


def test_member_opens_a_case_handler_acts_member_sees_it(
    phone_page, live_server, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    page = phone_page

    # The member opens a case from the menu's page, with a file.
    browser_login(page, live_server, "member")
    j.case_open(
        page,
        live_server,
        kind="cyberbullying",
        description="我在微博发文支持本地防汛工作后，遭到大量账号辱骂。",
        place="微博评论区",
        occurred_on=date(2025, 6, 1),
        links="https://weibo.example/post/123",
        help="请组织协调平台处理，并视情况澄清。",
        file_name="网暴截图说明.txt",
    )
    assert re.search(r"/members/cases/[0-9a-f-]{36}/$", page.url)
    case = ProtectionCase.objects.get(member=cast.member)
    assert case.evidence.get().original_name == "网暴截图说明.txt"
    assert page.get_by_text("网暴截图说明.txt").is_visible()
    j.fits(page)
    screenshot(page, "protection-case-opened-phone")

    # The designated handler accepts it and records an action.
    page.context.clear_cookies()
    browser_login(page, live_server, "organizer")
    page.goto(f"{live_server.url}/members/cases/{case.ref}/")
    j.case_accept(page)
    j.case_action_record(
        page,
        kind="platform_removal",
        description="已致函微博平台，要求删除辱骂内容。",
        outcome="平台已删除32条评论。",
    )
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
