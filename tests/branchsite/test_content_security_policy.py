"""A strict Content-Security-Policy on every page: scripts and styles from our own files only,
and no template that would need anything else (inline <script>, <style>, style="", on...=)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

# E-mail bodies are read in mail clients, which do not apply the site's policy.
NOT_SERVED = ("members/email/",)
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>"),
    "<style> element": re.compile(r"<style\b"),
    'style="" attribute': re.compile(r"""\sstyle\s*=\s*["']"""),
    "inline event handler": re.compile(r"""\son[a-z]+\s*=\s*["']"""),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _policy(response):
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_no_template_needs_inline_script_or_style():
    found = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        rel = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
        if rel.startswith(NOT_SERVED):
            continue
        text = path.read_text("utf-8")
        found += [f"{rel}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == []


def test_the_scan_finds_what_it_looks_for():
    samples = {
        "inline <script>": "<script>alert(1)</script>",
        "<style> element": "<style>p{}</style>",
        'style="" attribute': '<p style="color:red">',
        "inline event handler": '<button onclick="go()">',
        "javascript: URL": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert INLINE[what].search(sample), what
    assert not INLINE["inline <script>"].search('<script src="/static/x.js"></script>')


@pytest.mark.parametrize(
    "url,role",
    [
        ("login", None),
        ("password_reset", None),
        ("home", "secretary"),
        ("my_record", "member"),
        ("members:roster", "organizer"),
        ("admin:index", "admin"),
    ],
)
def test_every_page_carries_the_strict_policy(login, cast, url, role):
    client = login(role) if role else login("anonymous")
    response = client.get(reverse(url))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_error_pages_carry_the_policy_too(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert _policy(response)["script-src"] == ["'self'"]


def test_htmx_is_told_not_to_inject_styles_or_eval(login, cast):
    html = login("member").get(reverse("home")).content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_every_page_that_loads_htmx_configures_it():
    """A page with a head of its own (the check-in kiosk) loaded htmx without the
    configuration, and Chromium blocked htmx's indicator styles there."""
    templates = Path(settings.BASE_DIR, "templates")
    missing = [
        path.relative_to(templates).as_posix()
        for path in sorted(templates.rglob("*.html"))
        if "htmx.min.js" in (text := path.read_text("utf-8")) and "_htmx_config.html" not in text
    ]
    assert missing == []
