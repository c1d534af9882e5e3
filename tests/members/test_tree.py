"""The organization tree: roots per role, counts, lazy children, scope, query count."""

import pytest
from django.urls import reverse

from members.models import MemberStatus, OrganizationKind
from tests.factories import make_member, make_members, make_org

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
    assert response.context["n_members"] == 4


def test_children_outside_scope_is_404(cast, login):
    assert login("organizer").get(children_url(cast.c2)).status_code == 404
    assert login("organizer").get(children_url(cast.root)).status_code == 404
    assert login("other_organizer").get(children_url(cast.branch)).status_code == 404


def test_branch_leader_cannot_open_the_tree(cast, login):
    assert login("secretary").get(TREE).status_code == 403
    assert login("secretary").get(children_url(cast.branch)).status_code == 403


@pytest.mark.parametrize(("n_branches", "n_members"), [(2, 10), (20, 200)])
def test_query_count_is_bounded(cast, login, django_assert_max_num_queries, n_branches, n_members):
    for i in range(n_branches):
        branch = make_org(f"加支部{i}", OrganizationKind.BRANCH, parent=cast.c1)
        make_members(branch, n_members // n_branches)
    client = login("organizer")
    # 11 = session, user, scope (2), tree (4 for one root), header of base.html (3).
    with django_assert_max_num_queries(11):
        assert client.get(TREE).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(children_url(cast.c1), HTTP_HX_REQUEST="true").status_code == 200
    # The page of its own adds breadcrumbs (1), the subtree count (1) and the header (3).
    with django_assert_max_num_queries(12):
        assert client.get(children_url(cast.c1)).status_code == 200


def test_counts_follow_member_changes_made_through_the_orm(cast, login):
    """Counts come from a cache stamped with the member tables: a change shows at once."""
    from datetime import date

    from members import services

    client = login("organizer")

    def c1_counts():
        return counts(client.get(children_url(cast.c1), HTTP_HX_REQUEST="true").context["children"])

    assert c1_counts() == {"第一支部": 4, "第二支部": 3}
    assert c1_counts() == {"第一支部": 4, "第二支部": 3}  # served from the cache
    services.member_transfer(
        member=cast.peer,
        to_organization=cast.other_branch,
        transferred_on=date(2024, 3, 1),
        actor=cast.organizer.account,
    )
    assert c1_counts() == {"第一支部": 3, "第二支部": 4}
    services.member_update(member=cast.peer, status=MemberStatus.DECEASED)
    assert c1_counts() == {"第一支部": 3, "第二支部": 3}
    make_members(cast.branch, 5)  # a bulk insert without history still moves the stamp
    assert c1_counts() == {"第一支部": 8, "第二支部": 3}
    assert login("organizer").get(TREE).context["roots"][0].n_members == 11


def test_subtree_counts_cover_every_level(cast):
    from members.selectors import subtree_member_counts

    deep = make_org(
        "深层支部",
        OrganizationKind.BRANCH,
        parent=make_org("总支", OrganizationKind.GENERAL_BRANCH, parent=cast.c1),
    )
    make_members(deep, 3)
    result = subtree_member_counts([cast.root, cast.c1, cast.c2, deep, cast.branch])
    assert result == {
        cast.root.pk: 12,
        cast.c1.pk: 10,
        cast.c2.pk: 2,
        deep.pk: 3,
        cast.branch.pk: 4,
    }
