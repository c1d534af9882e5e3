"""Browser fixtures: Playwright driving Debian's Chromium (/usr/bin/chromium).

Playwright's sync API runs an event loop in the test thread, which makes Django refuse ORM
calls from it; tests here create data with the ORM, so async-unsafe calls are allowed.
Tests marked `browser` are deselected where Chromium is absent (and fail in CI).

Every page these fixtures (and `tab`) open fails its test at teardown if Chromium reported a
Content-Security-Policy violation or any other error on the console. `deployed` opens pages of
the server .ci/deploy.sh deployed (tests marked `deployed`).
"""

import os
import re
from contextlib import contextmanager

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
    # broken feature, and so is any other error on the console (a script that threw, a file
    # that did not load): Chromium reports them, for every tab of the context, and the test
    # fails at teardown.
    page.csp_violations = []
    page.console_errors = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            page.csp_violations.append(f"{message.text} ({message.location.get('url')})")
        elif message.type == "error":
            page.console_errors.append(f"{message.text} ({message.location.get('url')})")

    context.on("console", on_console)
    context.on("weberror", lambda error: page.console_errors.append(str(error.error)))
    return context, page


def _close(context, page):
    violations, errors = page.csp_violations, page.console_errors
    context.close()
    assert violations == [], f"blocked by the Content-Security-Policy: {violations}"
    assert errors == [], f"errors on the browser console: {errors}"


@contextmanager
def tab(browser, viewport, **options):
    """A page in a context of its own, checked like the fixtures' pages when it closes."""
    context, page = _page(browser, viewport, **options)
    try:
        yield page
    except BaseException:
        context.close()
        raise
    _close(context, page)


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


def browser_login(page, server, username, password="pw-Test-123"):
    """Log in through the real login form; returns once the app has redirected away.
    `server`: live_server, or the address of a deployed server."""
    page.goto(f"{getattr(server, 'url', server)}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name):
    """Save a screenshot under test-results/ for a person to look at."""
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


# --- the deployed server (.ci/deploy.sh; tests marked `deployed`) ---------------------------

DEPLOYED = os.environ.get("BRANCHSITE_BROWSER_BASE_URL", "").rstrip("/")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "branchsite-demo")
HASHED_STATIC = re.compile(r"/static/.+\.[0-9a-f]{12}\.[a-z0-9]+$")


@pytest.fixture(scope="session")
def deployed_logins():
    """{username: (the browser's cookies after logging in, its authenticator)}: each demo
    login logs in (and sets up two-step login where its role needs it) once per run."""
    return {}


@pytest.fixture
def deployed(browser, deployed_logins):
    """deployed(username=None, viewport=PHONE) -> a page of the deployed server in a context
    of its own, logged in as that demo login. At teardown, besides the console checks, every
    static file the pages loaded must have had a hashed name from the manifest."""
    from tests.browser.journeys import log_in

    opened = []

    def open_page(username=None, viewport=PHONE):
        known = deployed_logins.get(username)
        context, page = _page(
            browser, viewport, ignore_https_errors=True, storage_state=known and known[0]
        )
        page.static_files = []
        context.on(
            "response",
            lambda r: page.static_files.append((r.url, r.status)) if "/static/" in r.url else None,
        )
        opened.append((context, page))
        if username and not known:
            totp = log_in(page, DEPLOYED, username, DEMO_PASSWORD)
            deployed_logins[username] = (context.storage_state(), totp)
        return page

    yield open_page
    problems = []
    for context, page in opened:
        problems += [
            f"not from the manifest: {u} ({s})"
            for u, s in page.static_files
            if s != 200 or not HASHED_STATIC.search(u.split("?")[0])
        ]
        try:
            _close(context, page)
        except AssertionError as error:
            problems.append(str(error))
    assert problems == [], problems
