"""Browser fixtures: Playwright driving Debian's Chromium (/usr/bin/chromium).

Playwright's sync API runs an event loop in the test thread, which makes Django refuse ORM
calls from it; tests here create data with the ORM, so async-unsafe calls are allowed.
Tests marked `browser` are deselected where Chromium is absent (and fail in CI).
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this closed network
# refuses (machine notes); --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOT_DIR", "test-results")


def pytest_collection_modifyitems(items):
    # A conftest hook sees every collected item, not only this folder's.
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _page(browser, viewport, **options):
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, timezone_id="Asia/Shanghai", **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Whatever the Content-Security-Policy blocked (an inline script or style, an eval) is a
    # broken feature: Chromium reports it on the console, and the test fails at teardown.
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return context, page


def _close(context, page):
    violations = page.csp_violations
    context.close()
    assert violations == [], f"blocked by the Content-Security-Policy: {violations}"


@pytest.fixture
def browser_page(browser, live_server):
    """A desktop-sized page whose browser asks for Chinese, as these users' browsers do."""
    context, page = _page(browser, DESKTOP)
    yield page
    _close(context, page)


@pytest.fixture
def phone_page(browser, live_server):
    """A 375 px wide page (a phone)."""
    context, page = _page(browser, PHONE)
    yield page
    _close(context, page)


def browser_login(page, live_server, username, password="pw-Test-123"):
    """Log in through the real login form; returns once the app has redirected away."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name):
    """Save a screenshot under test-results/ for a person to look at."""
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)
