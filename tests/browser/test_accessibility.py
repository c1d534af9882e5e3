"""axe-core in Chromium: every page, as each role that can open it, at 1366 and 375 px wide,
has no critical and no serious accessibility violation.

axe-core is vendored (tests/browser/vendor/axe.min.js, from the npm package axe-core) because
CI has no internet. One browser context per role, one tab reused for all its pages: each page
is loaded once, scanned at desktop width, resized to a phone and scanned again. A page whose
content has the same structure as one already scanned (another role seeing the same elements,
classes and attributes inside <main>, only other words, names or numbers) is not scanned twice.
The pages are scanned in SHARDS tests (by URL name), so pytest-xdist's workers share the scan.
"""

import hashlib
import json
import re
import time
import zlib
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from tests.browser.conftest import browser_login
from tests.browser.site_pages import ARGS, NOT_PAGES, named_patterns, page_urls, seed_world
from tests.conftest import ROLES

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = ({"width": 1366, "height": 900}, {"width": 375, "height": 812})
BLOCKING = ("serious", "critical")
SHARDS = 3

RUN_AXE = """async (blocking) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => blocking.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' : ' + n.failureSummary),
  }));
}"""


def _scan(page, label, failures):
    """Scan the loaded page at each width; record blocking violations under `label`."""
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        for v in page.evaluate(RUN_AXE, list(BLOCKING)):
            failures.append(f"{label} @{viewport['width']}px: {json.dumps(v, ensure_ascii=False)}")


def _is_page(response):
    if response.status not in (200, 400):
        return False
    if "text/html" not in response.headers.get("content-type", ""):
        return False
    return "<html" in response.text()[:500].lower()


def _structure(html):
    """The page's content (inside <main>) without its words, numbers and tokens: what axe's
    verdict on the content rests on. The header around it is the same on every page of a
    role, and is scanned with each role's first pages."""
    start, end = html.find("<main"), html.rfind("</main>")
    html = html[start:end] if start >= 0 and end > start else html
    html = re.sub(r">[^<]*<", "><", html)
    html = re.sub(r'(value|content|aria-label|title|alt|href|action)="[^"]*"', "", html)
    return hashlib.sha256(re.sub(r"\d+", "", html).encode()).hexdigest()


def _context(browser):
    # bypass_csp: axe is injected as an inline script, which a strict CSP would refuse.
    return browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=WIDTHS[0], bypass_csp=True
    )


def test_every_url_is_either_scanned_or_declared_not_a_page():
    unknown = [
        name
        for name, has_params in named_patterns().items()
        if has_params and name not in ARGS and name not in NOT_PAGES
    ]
    assert not unknown, f"give these pages arguments in site_pages.ARGS (or NOT_PAGES): {unknown}"


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_world(cast, settings.MEDIA_ROOT)


def _shard(name):
    return zlib.crc32(name.encode()) % SHARDS


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_serious_or_critical_violation_on_any_page_for_any_role(
    browser, live_server, world, shard
):
    urls = {url: name for url, name in page_urls(world).items() if _shard(name) == shard}
    failures, opened, scans, seen = [], {}, 0, set()
    started = time.monotonic()
    for role in ROLES:
        context = _context(browser)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if role != "anonymous":
            browser_login(page, live_server, world.cast.users[role].get_username())
        for url, name in urls.items():
            if url.startswith("/accounts/logout"):
                continue
            response = context.request.get(live_server.url + url, max_redirects=0)
            if not _is_page(response):
                continue
            opened.setdefault(name, set()).add(role)
            signature = (url, _structure(response.text()))
            if signature in seen:
                continue
            seen.add(signature)
            page.goto(live_server.url + url)
            _scan(page, f"{url} as {role}", failures)
            scans += 2
        if role == "member" and shard == 0:
            # The site's own error pages, in its layout.
            page.goto(live_server.url + "/no-such-page/")
            _scan(page, "404 page", failures)
            page.goto(live_server.url + "/members/roster/")
            _scan(page, "403 page", failures)
            page.set_viewport_size(WIDTHS[0])
            page.set_content(render_to_string("500.html"))
            _scan(page, "500 page", failures)
            scans += 6
        context.close()

    print(f"axe, shard {shard}: {scans} scans in {time.monotonic() - started:.0f}s")
    never_opened = sorted(set(urls.values()) - set(opened))
    assert not never_opened, f"no role could open these pages: {never_opened}"
    assert scans > 200 // SHARDS, scans
    assert not failures, f"{len(failures)} blocking violation(s):\n" + "\n".join(failures)
