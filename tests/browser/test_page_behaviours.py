"""Behaviours that used to be inline scripts and handlers, now in static files under the
Content-Security-Policy (any violation fails the test at teardown)."""

from django.urls import reverse

from tests.browser.conftest import browser_login


def test_the_commendation_form_shows_the_field_for_the_recipient_kind(
    phone_page, live_server, cast
):
    page = phone_page
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}{reverse('appraisal:commendation_propose')}")
    assert page.locator("#div_id_member").is_visible()
    assert not page.locator("#div_id_organization").is_visible()
    page.check("input[name=recipient_kind][value=organization]")
    assert page.locator("#div_id_organization").is_visible()
    assert not page.locator("#div_id_member").is_visible()


def test_the_calendar_address_is_selected_when_tapped(phone_page, live_server, cast):
    page = phone_page
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}{reverse('education:calendar')}")
    if page.locator("#feed-url").count() == 0:
        page.locator("form[action$='regenerate/'] button[type=submit]").first.click()
        page.wait_for_load_state()
    page.click("#feed-url")
    selected = page.evaluate(
        "(() => { const i = document.getElementById('feed-url');"
        " return i.value.substring(i.selectionStart, i.selectionEnd); })()"
    )
    assert selected.endswith(".ics") and selected == page.input_value("#feed-url")
