"""Role × page for the pages branchsite owns, and a guard that every view is in some matrix."""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ROLES

EVERYONE = {role: 200 for role in ROLES} | {"anonymous": 302}
MEMBERS_ONLY = EVERYONE | {"outsider": 404, "admin": 404}
# Those who run a branch or oversee organizations (and the site admin).
LEADERS = EVERYONE | {"outsider": 403, "member": 403, "peer": 403}

PAGES = {
    "home": (lambda c: reverse("home"), EVERYONE),
    "home_work": (lambda c: reverse("home_work"), LEADERS),
    "my_record": (lambda c: reverse("my_record"), MEMBERS_ONLY),
    "password_change": (lambda c: reverse("password_change"), EVERYONE),
    "healthz": (lambda c: reverse("healthz"), {role: 200 for role in ROLES}),
    "favicon": (lambda c: reverse("favicon"), {role: 301 for role in ROLES}),
    # Anyone logged in may set up an authenticator; without one, verifying sends them there.
    "second_factor_setup": (lambda c: reverse("second_factor_setup"), EVERYONE),
    "second_factor_verify": (
        lambda c: reverse("second_factor_verify"),
        {role: 302 for role in ROLES},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_role_page_status(login, cast, settings, page, role):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # healthz: no broker needed in this matrix
    url, expected = PAGES[page]
    response = login(role).get(url(cast))
    assert response.status_code == expected[role], (page, role)


@pytest.mark.parametrize("role", ROLES)
def test_mark_read_is_post_only_and_for_members(login, cast, role):
    client = login(role)
    expected = MEMBERS_ONLY[role]
    response = client.post(reverse("members:inbox_mark_read"))
    assert response.status_code == (302 if expected == 200 else expected), role
    assert client.get(reverse("members:inbox_mark_read")).status_code in (302, 405)


# --- every named view appears in a role × page test ----------------------------------------

# Views that are deliberately open or that belong to Django itself.
EXEMPT = {
    "login",
    "logout",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "javascript-catalog",
    "bench_floor",
}


def _names(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin" or p.app_name == "admin":
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace + p.name


def test_every_named_view_is_in_a_role_page_test():
    sources = "\n".join(
        path.read_text("utf-8")
        for path in Path(__file__).resolve().parents[1].rglob("test_*.py")
        if re.search(r"permission|matrix", path.name)
    )
    missing = []
    for full in sorted(set(_names(get_resolver().url_patterns))):
        name = full.rsplit(":", 1)[-1]
        if name in EXEMPT:
            continue
        if not re.search(rf"[\"':]{re.escape(name)}[\"']", sources):
            missing.append(full)
    assert not missing, f"views without a role × page test: {missing}"
