"""Production smoke journeys against the server `.ci/deploy.sh` deployed as the README says
(gunicorn over TLS, a Celery worker and one beat, PostgreSQL, Redis, DEBUG off, hashed static
files through whitenoise, the demo data).

Marked `deployed`: they run only where BRANCHSITE_BROWSER_BASE_URL names such a server, and
use its demo logins; they never touch a test database. The users' journeys against the same
server are in test_deployed_journeys.py.
"""

import json
import os
import re
import ssl
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import DEMO_PASSWORD, DEPLOYED, browser_login
from tests.browser.journeys import case_open, fits, second_factor_set_up

pytestmark = pytest.mark.deployed

BASE = DEPLOYED
MAIL_DIR = Path(os.environ.get("BRANCHSITE_DEPLOY_MAIL_DIR", "/nonexistent"))
HEALTHZ_TOKEN = os.environ.get("BRANCHSITE_HEALTHZ_TOKEN", "")
# The deployment's certificate is self-signed (CI has no CA): check everything but that.
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def fetch(path, headers=None):
    request = urllib.request.Request(f"{BASE}{path}", headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, context=TLS, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def log_in(page, username):
    browser_login(page, BASE, username, DEMO_PASSWORD)


def test_pages_carry_the_production_headers():
    status, headers, _body = fetch("/accounts/login/")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Secure" in headers["Set-Cookie"] and "SameSite=Lax" in headers["Set-Cookie"]


def test_static_files_have_hashed_names_and_are_served_compressed_for_a_year():
    _status, _headers, body = fetch("/accounts/login/")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', body.decode())
    assert len(assets) >= 4, assets
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), f"not hashed: {asset}"
        status, headers, _ = fetch(asset, {"Accept-Encoding": "gzip"})
        assert status == 200, asset
        assert headers.get("Content-Encoding") == "gzip", asset
        assert (
            "immutable" in headers["Cache-Control"]
            and "max-age=315360000" in headers["Cache-Control"]
        )


def test_healthz_tells_anonymous_callers_the_status_and_the_monitor_the_workers():
    status, _headers, body = fetch("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _headers, body = fetch("/healthz", {"Authorization": f"Bearer {HEALTHZ_TOKEN}"})
    checks = json.loads(body)["checks"]
    assert checks["workers"]["ok"] is True and checks["broker"]["ok"] is True
    assert json.loads(body)["database_vendor"] == "postgresql"


def test_secretary_reads_pages_and_a_write_reaches_the_member_by_mail(deployed):
    page = deployed("secretary")
    for path, heading in (
        ("/", None),
        ("/me/", "我的档案"),
        ("/members/roster/", None),
        ("/education/sessions/", None),
    ):
        response = page.goto(f"{BASE}{path}")
        assert response.status == 200, path
        if heading:
            assert page.get_by_role("heading", name=heading).is_visible()
    fits(page)

    # A write whose e-mail only the deployed Celery worker sends: a protection case opened
    # on a member's behalf tells that member at once.
    before = set(MAIL_DIR.glob("*")) if MAIL_DIR.exists() else set()
    page.goto(f"{BASE}/members/cases/new/")
    first = page.locator("select[name=on_behalf_of] option").nth(1).inner_text()
    case_open(
        page,
        BASE,
        on_behalf_of=first.split(" · ")[0],
        kind="threat",
        description="部署冒烟测试：代为申请保护。",
        place="单位公众号",
        occurred_on=date.today(),
        help="请组织协调处理。",
    )

    deadline = time.time() + 60
    while time.time() < deadline:
        new = [p for p in set(MAIL_DIR.glob("*")) - before if p.is_file()]
        if any("/members/cases/" in p.read_text("utf-8", errors="replace") for p in new):
            break
        time.sleep(1)
    else:
        pytest.fail("the deployed worker sent no mail for the new case within 60 s")


def test_case_handlers_must_set_up_two_step_login(deployed):
    page = deployed()
    log_in(page, "organizer")  # the demo's designated case handler
    page.goto(f"{BASE}/")
    assert "/accounts/two-step/" in page.url


def test_admin_sets_up_two_step_login_then_logs_in_with_a_recovery_code(deployed):
    page = deployed()
    log_in(page, "admin")
    page.goto(f"{BASE}/admin/")
    assert "/accounts/two-step/" in page.url  # required for admins in production
    assert page.locator("[data-testid=second-factor-qr] svg").is_visible()
    _totp, codes = second_factor_set_up(page)
    assert len(codes) == 10
    page.goto(f"{BASE}/admin/")
    assert page.url.rstrip("/").endswith("/admin")
    assert page.locator("#site-name").is_visible()

    again = deployed()
    log_in(again, "admin")
    again.goto(f"{BASE}/admin/")
    assert "/accounts/two-step/verify/" in again.url
    again.fill("input[name=token]", codes[0])
    again.click("form:has(input[name=token]) button[type=submit]")
    again.wait_for_url(lambda url: "/two-step/" not in url)
    assert again.url.rstrip("/").endswith("/admin")
