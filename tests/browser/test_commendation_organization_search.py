"""An organizer over more organizations than a select can hold finds one by name on a phone:
types part of the name, chooses among the matches, and the list shows that organization's
commendations."""

from django.urls import reverse

from appraisal.commendations import filters
from tests.appraisal.commendation_helpers import published
from tests.browser.conftest import browser_login, screenshot


def test_an_organizer_finds_an_organization_by_name_on_a_phone(
    phone_page, live_server, cast, monkeypatch
):
    monkeypatch.setattr(filters, "MAX_LISTED_ORGANIZATIONS", 2)
    published(cast.member, cast.branch)
    published(cast.other_member, cast.other_branch)
    page = phone_page
    browser_login(page, live_server, "organizer")
    page.goto(f"{live_server.url}{reverse('appraisal:commendation_list')}")
    table = page.get_by_test_id("commendation-table")
    assert cast.member.full_name in table.inner_text()
    assert cast.other_member.full_name in table.inner_text()

    search = page.locator("input[name=organization_name]")
    assert search.bounding_box()["height"] >= 38  # Bootstrap's form-control, full width
    search.fill("支部")
    search.press("Enter")
    page.wait_for_load_state()
    matches = page.get_by_test_id("organization-matches").locator("a")
    assert matches.count() == 2
    for i in range(2):
        assert matches.nth(i).bounding_box()["height"] >= 44
    screenshot(page, "commendation-organization-matches-phone")

    page.get_by_test_id("organization-matches").get_by_text(cast.other_branch.name).click()
    page.wait_for_load_state()
    assert page.input_value("input[name=organization_name]") == cast.other_branch.name
    text = page.get_by_test_id("commendation-table").inner_text()
    assert cast.other_member.full_name in text and cast.member.full_name not in text
