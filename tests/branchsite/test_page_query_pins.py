"""Exact query pins on member, branch and organizer pages: the same number of queries with
little data and with more (members, sessions, branches, figures), at most 10 a page.

Three of each page's queries are the request's own: the session, the user, and the user's
member with their positions and unread count (members.permissions.scope_for).
"""

import pytest
from django.urls import reverse

from education.services.attendance import attendance_mark
from members.models import OrganizationKind
from tests.education.helpers import at, held
from tests.education.test_queries import grow
from tests.factories import make_members, make_org, propagate_figures


def _more(cast, n):
    grow(cast, n)
    for i in range(3):
        general = make_org(f"加总支{n}-{i}", OrganizationKind.GENERAL_BRANCH, parent=cast.c1)
        make_members(make_org(f"加支部{n}-{i}", parent=general), 4)
    propagate_figures()


PAGES = [
    # (role, url, exact queries)
    ("organizer", lambda c: reverse("education:hours_rollup") + f"?org={c.c1.pk}&year=2025", 6),
    ("organizer", lambda c: reverse("education:hours_rollup") + f"?org={c.c1.pk}&page=2", 6),
    ("organizer", lambda c: reverse("education:compliance_rollup") + f"?org={c.c1.pk}", 8),
    ("organizer", lambda c: reverse("members:tree"), 5),
    ("organizer", lambda c: reverse("members:tree_children", args=[c.c1.pk]), 7),
    ("secretary", lambda c: reverse("members:roster"), 6),
    ("secretary", lambda c: reverse("members:member_detail", args=[c.member.pk]), 9),
    ("secretary", lambda c: reverse("education:hours_branch") + "?year=2025", 6),
    (
        "organizer",
        lambda c: reverse("education:hours_branch") + f"?branch={c.other_branch.pk}&year=2025",
        6,
    ),
    ("member", lambda c: reverse("education:hours_member", args=[c.member.pk]), 7),
    ("secretary", lambda c: reverse("education:hours_member", args=[c.member.pk]), 7),
    ("secretary", lambda c: reverse("education:compliance") + "?year=2025", 6),
    ("secretary", lambda c: reverse("education:session_list") + "?year=2025", 5),
    ("secretary", lambda c: reverse("education:session_detail", args=[c.session.pk]), 9),
    ("member", lambda c: reverse("education:session_detail", args=[c.session.pk]), 7),
    ("secretary", lambda c: reverse("appraisal:commendation_list"), 6),
    ("secretary", lambda c: reverse("members:case_list"), 5),
    ("member", lambda c: reverse("members:inbox"), 4),
]


@pytest.mark.parametrize(("role", "build", "queries"), PAGES)
def test_page_costs_the_same_queries_at_two_sizes(
    login, cast, django_assert_num_queries, role, build, queries
):
    cast.session = held(cast.branch, starts_at=at(2025, 6, 1))
    _more(cast, 3)
    client = login(role)
    url = build(cast)
    client.get(url)  # per-process caches (content types, translations) warm
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _more(cast, 30)
    make_members(cast.branch, 40)
    for m in cast.branch.members.all()[:30]:
        attendance_mark(session=cast.session, member=m, status="present")
    propagate_figures()
    client = login(role)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_branch_picker_stays_small_for_an_organizer_of_many_branches(login, cast):
    for i in range(55):
        last = make_org(f"多支部{i}", parent=cast.c1)
    client = login("organizer")
    body = client.get(reverse("education:hours_branch")).content.decode()
    assert 'id="id_branch"' not in body  # no <select> of every branch below
    assert reverse("education:hours_rollup") in body
    response = client.get(reverse("education:hours_branch") + f"?branch={last.pk}")
    assert response.status_code == 200 and response.context["branch"] == last
    assert (
        client.get(reverse("education:hours_branch") + f"?branch={cast.far_branch.pk}").status_code
        == 404
    )
