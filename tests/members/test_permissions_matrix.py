"""Role × page: the exact status every member page answers each role of the standing cast.

403 = logged in without the role the page needs; 404 = the object is outside the user's
scope (its existence is not disclosed); 302 = anonymous, sent to the login page.
"""

import pytest
from django.urls import reverse

from tests.conftest import ROLES

LEADERS = {"secretary", "committee_member", "other_secretary", "organizer", "other_organizer"}


def _expect(**by_role):
    """Full row of expectations: named roles, the rest from `default`."""
    default = by_role.pop("default")
    row = {role: default for role in ROLES}
    row.update(by_role)
    row["anonymous"] = 302
    return row


# Pages that need a leadership role (any branch or organizer) and no object.
LEADER_PAGE = _expect(default=403, admin=200, **{r: 200 for r in LEADERS})
# cast.member's pages that need write access: the branch's leaders, organizer above, admin.
MEMBER_WRITE = _expect(default=404, secretary=200, committee_member=200, organizer=200, admin=200)

PAGES = {
    "roster": (lambda c: reverse("members:roster"), LEADER_PAGE),
    "export": (lambda c: reverse("members:roster_export") + "?format=csv", LEADER_PAGE),
    "import": (lambda c: reverse("members:roster_import"), LEADER_PAGE),
    "import_template": (lambda c: reverse("members:roster_import_template"), LEADER_PAGE),
    "add": (lambda c: reverse("members:member_add"), LEADER_PAGE),
    "detail": (
        lambda c: reverse("members:member_detail", args=[c.member.pk]),
        _expect(
            default=404, member=200, **{r: MEMBER_WRITE[r] for r in MEMBER_WRITE if r != "member"}
        ),
    ),
    "detail_far": (
        lambda c: reverse("members:member_detail", args=[c.far_member.pk]),
        _expect(default=404, other_organizer=200, admin=200),
    ),
    "edit": (lambda c: reverse("members:member_edit", args=[c.member.pk]), MEMBER_WRITE),
    "transfer": (lambda c: reverse("members:member_transfer", args=[c.member.pk]), MEMBER_WRITE),
    "tree": (
        lambda c: reverse("members:tree"),
        _expect(default=403, organizer=200, other_organizer=200, admin=200),
    ),
    "tree_children": (
        lambda c: reverse("members:tree_children", args=[c.c1.pk]),
        _expect(default=403, organizer=200, other_organizer=404, admin=200),
    ),
    "inbox": (
        lambda c: reverse("members:inbox"),
        _expect(default=200, outsider=404, admin=404),
    ),
    # A branch's group robots and delivery log: its committee, the organizer above, admin.
    "channel_settings": (
        lambda c: reverse("members:channel_settings", args=[c.branch.pk]),
        _expect(default=404, secretary=200, committee_member=200, organizer=200, admin=200),
    ),
    "delivery_log": (
        lambda c: reverse("members:delivery_log", args=[c.branch.pk]),
        _expect(default=404, secretary=200, committee_member=200, organizer=200, admin=200),
    ),
    # Not a branch: no robots there, for anyone.
    "channel_settings_committee": (
        lambda c: reverse("members:channel_settings", args=[c.c1.pk]),
        _expect(default=404),
    ),
    "my_channels": (
        lambda c: reverse("my_channels"),
        _expect(default=200, outsider=404, admin=404),
    ),
    # cast.member's own notification: only they may open it.
    "inbox_open": (
        lambda c: reverse("members:inbox_open", args=[c.notification.pk]),
        _expect(default=404, member=302),
    ),
}

CASES = [(page, role) for page in PAGES for role in ROLES]


@pytest.fixture(autouse=True)
def _member_notification(cast):
    from datetime import date

    from members import services

    cast.notification = services.notify(
        kind="test.matrix",
        subject=cast.branch,
        recipient=cast.member,
        due_date=date(2026, 1, 1),
        title="测试通知",
        url=reverse("my_record"),
    )


@pytest.mark.parametrize(("page", "role"), CASES, ids=[f"{p}-{r}" for p, r in CASES])
def test_role_page_status(cast, login, page, role):
    url_for, expected = PAGES[page]
    url = url_for(cast)
    response = login(role).get(url)
    assert response.status_code == expected[role], (page, role, response.status_code)
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_opening_a_notification_marks_it_read_and_follows_only_local_links(cast, login):
    client = login("member")
    response = client.get(reverse("members:inbox_open", args=[cast.notification.pk]))
    assert response["Location"] == reverse("my_record")
    cast.notification.refresh_from_db()
    assert cast.notification.read_at is not None
    cast.notification.url = "https://evil.example/phish"
    cast.notification.save()
    response = client.get(reverse("members:inbox_open", args=[cast.notification.pk]))
    assert response["Location"] == reverse("members:inbox")


def test_matrix_expectations_spelled_out(cast):
    """A few cells stated plainly, so that the tables above cannot drift unnoticed."""
    assert PAGES["detail"][1]["member"] == 200
    assert PAGES["detail"][1]["peer"] == 404
    assert PAGES["detail"][1]["other_organizer"] == 404
    assert PAGES["roster"][1]["member"] == 403
    assert PAGES["edit"][1]["other_secretary"] == 404


@pytest.mark.parametrize(
    ("role", "url_name", "query"),
    [
        ("other_secretary", "members:roster", ""),
        ("other_secretary", "members:roster", "?status=all"),
        ("other_secretary", "members:roster_export", "?format=csv"),
        ("other_secretary", "members:roster_export", "?format=csv&status=all"),
        ("other_organizer", "members:roster", "?q=张伟"),
        ("other_organizer", "members:roster_export", "?format=csv&q=张伟"),
    ],
)
def test_roster_and_export_do_not_leak(cast, login, role, url_name, query):
    response = login(role).get(reverse(url_name) + query)
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert reverse("members:member_detail", args=[cast.member.pk]) not in body
    assert cast.member.email not in body
    if "q=" not in query:  # a search box echoes its own text
        assert cast.member.full_name not in body


@pytest.mark.parametrize("param", ["branch", "org", "group"])
def test_out_of_scope_filter_value_shows_nothing(cast, login, param):
    """A crafted ?branch=<someone else's branch> is refused, not applied or widened."""
    target = {"branch": cast.branch, "org": cast.branch, "group": cast.group}[param]
    client = login("other_secretary")
    extra = f"&branch={cast.branch.pk}" if param == "group" else ""
    for name in ("members:roster", "members:roster_export"):
        response = client.get(reverse(name) + f"?{param}={target.pk}{extra}&format=csv")
        assert response.status_code == 200
        body = response.content.decode("utf-8-sig")
        assert cast.member.full_name not in body
        assert cast.other_member.full_name not in body  # nothing, not "everything I see"


@pytest.mark.parametrize(
    "role", ["secretary", "organizer", "admin", "other_secretary", "other_organizer"]
)
def test_post_to_write_pages_outside_scope_is_404(cast, login, role):
    client = login(role)
    expected = 200 if role in ("secretary", "organizer", "admin") else 404
    for name in ("members:member_edit", "members:member_transfer"):
        response = client.post(reverse(name, args=[cast.member.pk]), {})
        assert response.status_code == expected
    cast.member.refresh_from_db()
    assert cast.member.branch == cast.branch
