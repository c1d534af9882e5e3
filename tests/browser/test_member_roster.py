"""Journeys through the member pages in Chromium: a secretary on a phone, an organizer."""

import csv
import io

from members.models import Member
from tests.browser.conftest import browser_login, screenshot


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_secretary_finds_and_edits_a_member_on_a_phone(cast, phone_page, live_server):
    page = phone_page
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/members/roster/")
    assert page.locator("[data-testid=roster-table] tbody tr").count() == 4
    assert no_sideways_scroll(page)
    screenshot(page, "members-roster-phone")

    page.fill("input[name=q]", "张")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**q=*")
    rows = page.locator("[data-testid=roster-table] tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/members/{cast.member.pk}/")
    assert no_sideways_scroll(page)
    screenshot(page, "members-detail-phone")

    page.locator(f"a[href='/members/{cast.member.pk}/edit/']").click()
    page.fill("input[name=phone]", "13900001111")
    page.locator("input[type=submit][name=save]").click()
    page.wait_for_url(f"**/members/{cast.member.pk}/")
    assert page.locator(".alert-success").count() == 1
    assert page.get_by_text("13900001111").count() >= 1
    cast.member.refresh_from_db()
    assert cast.member.phone == "13900001111"


def test_organizer_expands_the_tree_and_opens_a_branch_roster(cast, browser_page, live_server):
    page = browser_page
    browser_login(page, live_server, "organizer")
    page.goto(f"{live_server.url}/members/tree/")
    page.locator(f"[aria-controls=children-{cast.branch.pk}]").click()
    group = page.locator(f"#children-{cast.branch.pk}").get_by_text("第一党小组")
    group.wait_for()
    screenshot(page, "members-tree")
    page.locator(f"a[href='/members/roster/?branch={cast.other_branch.pk}']").first.click()
    page.wait_for_url("**branch=*")
    assert page.locator("[data-testid=roster-table] tbody tr").count() == 3


def test_secretary_imports_a_roster_file(cast, phone_page, live_server, tmp_path):
    page = phone_page
    browser_login(page, live_server, "secretary")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["姓名", "性别", "入党日期", "手机"], ["新导入", "女", "2020-07-01", "13700000000"]]
    )
    path = tmp_path / "roster.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    page.goto(f"{live_server.url}/members/roster/import/")
    page.set_input_files("input[type=file]", str(path))
    page.locator("input[type=submit][name=upload]").click()
    page.locator("input[name=token]").wait_for(state="attached")
    assert no_sideways_scroll(page)
    screenshot(page, "members-import-preview-phone")
    page.locator("form:has(input[name=token]) button[type=submit]").click()
    page.wait_for_url("**/members/roster/?branch=*")
    assert Member.objects.filter(full_name="新导入", branch=cast.branch).exists()
