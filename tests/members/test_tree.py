"""The organization tree: roots per role, counts, lazy children, scope, query count."""

import pytest
from django.urls import reverse

from members.models import MemberStatus, OrganizationKind
from tests.factories import make_member, make_members, make_org, propagate_figures

TREE = reverse("members:tree")


def children_url(org):
    return reverse("members:tree_children", args=[org.pk])


def counts(children):
    return {c.name: c.n_members for c in children}


def test_organizer_tree_starts_at_their_committee(cast, login):
    make_member(cast.branch, "已故者", status=MemberStatus.DECEASED)  # not counted
    response = login("organizer").get(TREE)
    roots = response.context["roots"]
    assert [r.name for r in roots] == ["第一党委"]
    assert roots[0].n_members == 7
    assert counts(roots[0].children_with_counts) == {"第一支部": 4, "第二支部": 3}
    content = response.content.decode()
    assert "第二党委" not in content and "远方支部" not in content
    # Each node links to its roster and lazily loads its children.
    assert f"{reverse('members:roster')}?branch={cast.branch.pk}" in content
    assert f'hx-get="{children_url(cast.branch)}"' in content


def test_admin_tree_starts_at_the_roots(cast, login):
    roots = login("admin").get(TREE).context["roots"]
    assert [r.name for r in roots] == ["测试市委"]
    assert roots[0].n_members == 9
    assert counts(roots[0].children_with_counts) == {"第一党委": 7, "第二党委": 2}


def test_children_partial_for_htmx(cast, login):
    client = login("organizer")
    response = client.get(children_url(cast.c1), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert counts(response.context["children"]) == {"第一支部": 4, "第二支部": 3}
    # A branch's children are its groups, counted by group membership.
    response = client.get(children_url(cast.branch), HTTP_HX_REQUEST="true")
    assert counts(response.context["children"]) == {"第一党小组": 2}
    assert f"?org={cast.group.pk}" in response.content.decode()


def test_children_page_without_htmx_has_breadcrumbs_in_scope(cast, login):
    response = login("organizer").get(children_url(cast.branch))
    content = response.content.decode()
    assert "<html" in content
    assert [a.name for a in response.context["ancestors"]] == ["第一党委"]
    assert "测试市委" not in content  # above the organizer's reach
    assert response.context["figures"].members == 4


def test_children_outside_scope_is_404(cast, login):
    assert login("organizer").get(children_url(cast.c2)).status_code == 404
    assert login("organizer").get(children_url(cast.root)).status_code == 404
    assert login("other_organizer").get(children_url(cast.branch)).status_code == 404


def test_branch_leader_cannot_open_the_tree(cast, login):
    assert login("secretary").get(TREE).status_code == 403
    assert login("secretary").get(children_url(cast.branch)).status_code == 403


def _grow_tree(cast, n_branches, n_members):
    for i in range(n_branches):
        branch = make_org(f"加支部{i}", OrganizationKind.BRANCH, parent=cast.c1)
        make_members(branch, n_members // n_branches)
    propagate_figures()


@pytest.mark.parametrize(
    "page",
    [
        lambda c: TREE,
        lambda c: children_url(c.c1),
        lambda c: children_url(c.c1) + "?page=2",
        lambda c: children_url(c.branch),
    ],
)
def test_tree_pages_cost_the_same_at_any_size(cast, login, django_assert_num_queries, page):
    """Exact pins, the same with 2 or 32 branches: counts come from the member figures
    and children are paginated. Session, user, scope with the unread badge (1), and the page:
    tree 2 (roots with figures, their children); a node 4 (breadcrumbs, figures, children
    count and page)."""
    expected = {TREE: 5}.get(page(cast), 7)
    _grow_tree(cast, 2, 10)
    client = login("organizer")
    with django_assert_num_queries(expected):
        assert client.get(page(cast)).status_code == 200
    _grow_tree(cast, 30, 300)
    client = login("organizer")
    with django_assert_num_queries(expected):
        assert client.get(page(cast)).status_code == 200


def test_tree_children_are_paginated(cast, login):
    _grow_tree(cast, 60, 60)
    client = login("organizer")
    first = client.get(children_url(cast.c1)).context["children"]
    second = client.get(children_url(cast.c1) + "?page=2").context["children"]
    assert len(first) == 50 and len(second) == 12
    assert not {c.pk for c in first} & {c.pk for c in second}
    tree = client.get(TREE)
    assert len(tree.context["roots"][0].children_with_counts) == 20
    assert "?page=2" in client.get(children_url(cast.c1)).content.decode()


def test_counts_follow_member_changes_made_by_the_services(cast, login):
    """A branch's count changes in the write's transaction; the rows above once the
    propagation task has run (on commit, or the beat sweep)."""
    from datetime import date

    from members import services

    client = login("organizer")

    def c1_counts():
        return counts(client.get(children_url(cast.c1), HTTP_HX_REQUEST="true").context["children"])

    assert c1_counts() == {"第一支部": 4, "第二支部": 3}
    services.member_transfer(
        member=cast.peer,
        to_organization=cast.other_branch,
        transferred_on=date(2024, 3, 1),
        actor=cast.organizer.account,
    )
    assert c1_counts() == {"第一支部": 3, "第二支部": 4}
    services.member_update(member=cast.peer, status=MemberStatus.DECEASED)
    assert c1_counts() == {"第一支部": 3, "第二支部": 3}
    make_members(cast.branch, 5)
    assert c1_counts() == {"第一支部": 8, "第二支部": 3}
    assert login("organizer").get(TREE).context["roots"][0].n_members == 7  # not yet above
    propagate_figures()
    assert login("organizer").get(TREE).context["roots"][0].n_members == 11


def test_each_organization_lists_its_own_first_children_by_kind_and_name(cast):
    """The overview's children query keeps the first `limit` children of each organization
    (in the order children_of lists them) and reads no others, for several at once."""
    from members.selectors import children_of, children_with_member_counts

    for i in range(5):
        make_org(f"乙支部{i}", OrganizationKind.BRANCH, parent=cast.c2)
        make_org(f"甲总支{i}", OrganizationKind.GENERAL_BRANCH, parent=cast.c1)
    make_org("丙支部", OrganizationKind.BRANCH, parent=cast.c1)
    cast.c1.refresh_from_db()
    cast.c2.refresh_from_db()
    shown = children_with_member_counts([cast.c1, cast.c2], limit=3)
    for org in (cast.c1, cast.c2):
        assert children_of(org).count() > 3
        assert [c.pk for c in shown[org.pk]] == [c.pk for c in children_of(org)[:3]]
