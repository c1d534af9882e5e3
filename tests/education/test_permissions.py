"""Role × page: every education view, for every role of the standing cast."""

import pytest
from django.urls import reverse

from tests.conftest import ROLES

OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# Shorthands for the common shapes of a row.
MANAGERS_ONLY = {  # branch A's managers; others in scope but without rights get 403
    "anonymous": LOGIN,
    "outsider": FORBIDDEN,
    "member": FORBIDDEN,
    "peer": FORBIDDEN,
    "secretary": OK,
    "committee_member": OK,
    "other_secretary": OK,
    "organizer": OK,
    "other_organizer": OK,
    "admin": OK,
}
BRANCH_A_SESSION = {  # a session of branch A, seen by attendees and managers
    "anonymous": LOGIN,
    "outsider": NOT_FOUND,
    "member": OK,
    "peer": OK,
    "secretary": OK,
    "committee_member": OK,
    "other_secretary": NOT_FOUND,
    "organizer": OK,
    "other_organizer": NOT_FOUND,
    "admin": OK,
}
BRANCH_A_SESSION_WRITE = {**BRANCH_A_SESSION, "member": FORBIDDEN, "peer": FORBIDDEN}
BRANCH_A_TABLE = {  # a branch table: managers of A only; a member gets 403, others 404
    **MANAGERS_ONLY,
    "other_secretary": NOT_FOUND,
    "other_organizer": NOT_FOUND,
}
MEMBER_RECORD = {  # the record of cast.member
    **BRANCH_A_SESSION,
    "peer": NOT_FOUND,
}
OWN_PAGES = {  # pages about oneself: need a member record
    "anonymous": LOGIN,
    "outsider": NOT_FOUND,
    "admin": NOT_FOUND,
    **{r: OK for r in ROLES if r not in ("anonymous", "outsider", "admin")},
}
ROLLUP = {
    "anonymous": LOGIN,
    "outsider": FORBIDDEN,
    "member": FORBIDDEN,
    "peer": FORBIDDEN,
    "secretary": FORBIDDEN,
    "committee_member": FORBIDDEN,
    "other_secretary": FORBIDDEN,
    "organizer": OK,
    "other_organizer": OK,
    "admin": OK,
}
ROLLUP_C1 = {**ROLLUP, "other_organizer": NOT_FOUND}
SETTINGS_A = {**BRANCH_A_TABLE, "outsider": NOT_FOUND, "member": NOT_FOUND, "peer": NOT_FOUND}


def pages(cast, edu):
    a = f"?branch={cast.branch.pk}"
    return {
        "session_list": (reverse("education:session_list"), MANAGERS_ONLY),
        "session_create": (reverse("education:session_create"), MANAGERS_ONLY),
        "session_log_new": (
            reverse("education:session_log_new") + f"?org={cast.branch.pk}",
            {**BRANCH_A_TABLE, "other_secretary": NOT_FOUND},
        ),
        "session_detail": (
            reverse("education:session_detail", args=[edu.planned.pk]),
            BRANCH_A_SESSION,
        ),
        "session_ics": (reverse("education:session_ics", args=[edu.planned.pk]), BRANCH_A_SESSION),
        "material_download": (
            reverse("education:material_download", args=[edu.material.pk]),
            BRANCH_A_SESSION,
        ),
        "session_edit": (
            reverse("education:session_edit", args=[edu.planned.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "session_cancel_confirm": (
            reverse("education:session_cancel", args=[edu.planned.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "session_expected": (
            reverse("education:session_expected", args=[edu.planned.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "session_log": (
            reverse("education:session_log", args=[edu.past.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "checkin_screen": (
            reverse("education:checkin_screen", args=[edu.planned.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "checkin_qr": (
            reverse("education:checkin_qr", args=[edu.planned.pk]),
            BRANCH_A_SESSION_WRITE,
        ),
        "hours_member": (reverse("education:hours_member", args=[cast.member.pk]), MEMBER_RECORD),
        "hours_member_export": (
            reverse("education:hours_member_export", args=[cast.member.pk]),
            MEMBER_RECORD,
        ),
        "makeup_evidence": (
            reverse("education:makeup_evidence", args=[edu.makeup.pk]),
            {**MEMBER_RECORD, "outsider": NOT_FOUND},
        ),
        "hours_branch": (reverse("education:hours_branch") + a, BRANCH_A_TABLE),
        "hours_branch_export": (reverse("education:hours_branch_export") + a, BRANCH_A_TABLE),
        "compliance": (reverse("education:compliance") + a, BRANCH_A_TABLE),
        "makeup_review_list": (reverse("education:makeup_review_list"), MANAGERS_ONLY),
        "hours_rollup": (reverse("education:hours_rollup"), ROLLUP),
        "hours_rollup_c1": (reverse("education:hours_rollup") + f"?org={cast.c1.pk}", ROLLUP_C1),
        "hours_rollup_export": (
            reverse("education:hours_rollup_export") + f"?org={cast.c1.pk}",
            ROLLUP_C1,
        ),
        "compliance_rollup": (
            reverse("education:compliance_rollup") + f"?org={cast.c1.pk}",
            ROLLUP_C1,
        ),
        "settings": (reverse("education:settings", args=[cast.branch.pk]), SETTINGS_A),
        "makeup_list": (reverse("education:makeup_list"), OWN_PAGES),
        "makeup_create": (reverse("education:makeup_create"), OWN_PAGES),
        "calendar": (reverse("education:calendar"), OWN_PAGES),
    }


PAGE_NAMES = [
    "session_list",
    "session_create",
    "session_log_new",
    "session_detail",
    "session_ics",
    "material_download",
    "session_edit",
    "session_cancel_confirm",
    "session_expected",
    "session_log",
    "checkin_screen",
    "checkin_qr",
    "hours_member",
    "hours_member_export",
    "makeup_evidence",
    "hours_branch",
    "hours_branch_export",
    "compliance",
    "makeup_review_list",
    "hours_rollup",
    "hours_rollup_c1",
    "hours_rollup_export",
    "compliance_rollup",
    "settings",
    "makeup_list",
    "makeup_create",
    "calendar",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_role_page_matrix(login, cast, edu, role, page):
    url, expected = pages(cast, edu)[page]
    response = login(role).get(url)
    assert response.status_code == expected[role], (page, role, response.status_code)


POSTS = {
    # name: (url builder, expected by role) — writes refused outside the right roles
    "session_cancel": (
        lambda cast, edu: reverse("education:session_cancel", args=[edu.planned.pk]),
        {**BRANCH_A_SESSION_WRITE, "member": FORBIDDEN, "secretary": LOGIN},
    ),
    "session_mark": (
        lambda cast, edu: reverse("education:session_mark", args=[edu.planned.pk]),
        {**BRANCH_A_SESSION_WRITE, "secretary": LOGIN},
    ),
    "session_close": (
        lambda cast, edu: reverse("education:session_close", args=[edu.planned.pk]),
        {**BRANCH_A_SESSION_WRITE, "secretary": LOGIN},
    ),
    "material_delete": (
        lambda cast, edu: reverse("education:material_delete", args=[edu.material.pk]),
        {**BRANCH_A_SESSION_WRITE, "secretary": LOGIN},
    ),
    "material_add": (
        lambda cast, edu: reverse("education:material_add", args=[edu.planned.pk]),
        {**BRANCH_A_SESSION_WRITE, "secretary": LOGIN},
    ),
    "makeup_review": (
        lambda cast, edu: reverse("education:makeup_review", args=[edu.makeup.pk]),
        {
            **BRANCH_A_SESSION,
            "member": NOT_FOUND,
            "peer": NOT_FOUND,
            "secretary": LOGIN,
        },
    ),
    "calendar_regenerate": (
        lambda cast, edu: reverse("education:calendar_regenerate"),
        {**OWN_PAGES, "member": LOGIN},
    ),
    "calendar_revoke": (
        lambda cast, edu: reverse("education:calendar_revoke"),
        {**OWN_PAGES, "member": LOGIN},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(POSTS))
def test_role_post_matrix(login, cast, edu, role, name):
    build, expected = POSTS[name]
    data = {"action": "confirm", "confirm": "yes", "mark": f"{cast.member.pk}:present"}
    response = login(role).post(build(cast, edu), data)
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
        return
    want = expected[role]
    if want in (OK, LOGIN):  # an allowed role: the write is done and redirects back
        assert response.status_code == 302
    else:
        assert response.status_code == want, (name, role, response.status_code)


def test_member_cannot_read_another_members_attendance(login, cast, edu):
    response = login("peer").get(reverse("education:session_detail", args=[edu.past.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="own-attendance"' in body
    assert cast.member.full_name not in body  # 张伟 was absent; the peer must not see that
    assert 'id="attendance-heading"' not in body
    secretary_view = login("secretary").get(reverse("education:session_detail", args=[edu.past.pk]))
    assert cast.member.full_name in secretary_view.content.decode()


def test_member_cannot_read_another_members_hours(login, cast, edu):
    client = login("member")
    assert client.get(reverse("education:hours_member", args=[cast.peer.pk])).status_code == 404
    assert (
        client.get(reverse("education:hours_member_export", args=[cast.peer.pk])).status_code == 404
    )
    assert client.get(reverse("education:hours_branch")).status_code == 403


def test_secretary_only_sees_their_branch(login, cast, edu):
    client = login("secretary")
    other = f"?branch={cast.other_branch.pk}"
    assert client.get(reverse("education:hours_branch") + other).status_code == 404
    assert client.get(reverse("education:compliance") + other).status_code == 404
    assert client.get(reverse("education:session_detail", args=[edu.far.pk])).status_code == 404
    assert (
        client.get(reverse("education:hours_member", args=[cast.other_member.pk])).status_code
        == 404
    )
    listing = client.get(reverse("education:session_list")).content.decode()
    assert edu.planned.title in listing and edu.far.title not in listing
