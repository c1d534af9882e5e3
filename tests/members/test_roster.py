"""The branch roster: scope, search, filters, pagination, query count."""

import pytest
from django.urls import reverse

from members.models import MemberStatus, OrganizationKind, Role
from tests.factories import make_member, make_members, make_org, make_position

ROSTER = reverse("members:roster")


def names(response):
    return [m.full_name for m in response.context["page"].object_list]


def test_secretary_sees_own_branch_only(cast, login):
    response = login("secretary").get(ROSTER)
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(["张伟", "王芳", "李娜", "刘洋"])
    content = response.content.decode()
    assert reverse("members:member_detail", args=[cast.member.pk]) in content
    assert "杨磊" not in content


def test_organizer_sees_every_branch_below(cast, login):
    response = login("organizer").get(ROSTER)
    assert set(names(response)) == {"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏"}


def test_admin_sees_everyone(cast, login):
    response = login("admin").get(ROSTER)
    assert "周杰" in names(response)
    assert len(names(response)) == 9


def test_search_by_name_and_phone(cast, login):
    cast.peer.phone = "13912345678"
    cast.peer.save()
    client = login("secretary")
    assert names(client.get(ROSTER + "?q=张")) == ["张伟"]
    assert names(client.get(ROSTER + "?q=1234567")) == ["王芳"]
    assert names(client.get(ROSTER + "?q=周杰")) == []


def test_status_filter_defaults_to_current_members(cast, login):
    make_member(cast.branch, "离开者", status=MemberStatus.TRANSFERRED_OUT)
    make_member(cast.branch, "预备者", status=MemberStatus.PROBATIONARY)
    client = login("secretary")
    assert "离开者" not in names(client.get(ROSTER))
    assert "预备者" in names(client.get(ROSTER))
    assert "离开者" in names(client.get(ROSTER + "?status=all"))
    assert names(client.get(ROSTER + "?status=probationary")) == ["预备者"]
    assert names(client.get(ROSTER + "?status=transferred_out")) == ["离开者"]


def test_role_filter_uses_current_positions(cast, login):
    from datetime import date

    make_position(cast.peer, cast.branch, Role.DISCIPLINE_OFFICER, ended_on=date(2021, 1, 1))
    client = login("secretary")
    assert names(client.get(ROSTER + "?role=secretary")) == ["李娜"]
    assert names(client.get(ROSTER + "?role=discipline_officer")) == []


def test_branch_and_group_filters(cast, login):
    client = login("organizer")
    assert set(names(client.get(ROSTER + f"?branch={cast.other_branch.pk}"))) == {
        "陈静",
        "杨磊",
        "赵敏",
    }
    response = client.get(ROSTER + f"?branch={cast.branch.pk}&group={cast.group.pk}")
    assert set(names(response)) == {"张伟", "王芳"}
    # A tree link: a committee's or a group's subtree.
    assert len(names(client.get(ROSTER + f"?org={cast.c1.pk}"))) == 7
    assert set(names(client.get(ROSTER + f"?org={cast.group.pk}"))) == {"张伟", "王芳"}


def test_branch_choices_are_narrowed_to_managed_branches(cast, login):
    form = login("secretary").get(ROSTER).context["filter"].form
    assert list(form.fields["branch"].queryset) == [cast.branch]
    form = login("organizer").get(ROSTER).context["filter"].form
    assert set(form.fields["branch"].queryset) == {cast.branch, cast.other_branch}


def test_group_choices_follow_the_chosen_branch(cast, login):
    make_org("第二党小组", OrganizationKind.GROUP, parent=cast.other_branch)
    client = login("organizer")
    form = client.get(ROSTER).context["filter"].form
    assert form.fields["group"].disabled
    second = make_org("第三党小组", OrganizationKind.GROUP, parent=cast.branch)
    form = client.get(ROSTER + f"?branch={cast.branch.pk}").context["filter"].form
    assert list(form.fields["group"].queryset) == [cast.group, second]
    # The select offers the chosen branch's groups (read with the branches), by name.
    assert form.fields["group"].listed == [cast.group, second]
    assert [b.pk for b in form.fields["branch"].listed] == [cast.branch.pk, cast.other_branch.pk]
    form = client.get(ROSTER + f"?branch={cast.other_branch.pk}").context["filter"].form
    assert [g.name for g in form.fields["group"].listed] == ["第二党小组"]


def test_values_outside_the_scope_are_refused_and_ids_read_as_numbers(cast, login):
    """The choices' querysets are built only when a value is looked up in them
    (members.filters.ListedModelChoiceField): a value outside them is still refused."""
    other_group = make_org("第二党小组", OrganizationKind.GROUP, parent=cast.other_branch)
    client = login("secretary")
    for query in (
        f"?branch={cast.other_branch.pk}",
        f"?org={cast.c2.pk}",
        f"?org={cast.other_branch.pk}",
        f"?branch={cast.branch.pk}&group={other_group.pk}",
    ):
        response = client.get(ROSTER + query)
        assert names(response) == [] and response.context["filter"].errors, query
    mine = names(client.get(ROSTER))
    assert names(client.get(ROSTER + f"?branch=0{cast.branch.pk}")) == mine
    assert names(client.get(ROSTER + f"?org=0{cast.branch.pk}")) == mine


def test_pagination_keeps_filters(cast, login):
    make_members(cast.branch, 60)
    client = login("secretary")
    response = client.get(ROSTER + "?q=批量")
    assert len(names(response)) == 50
    content = response.content.decode()
    assert "q=%E6%89%B9%E9%87%8F&amp;page=2" in content
    page2 = client.get(ROSTER + "?q=批量&page=2")
    assert len(names(page2)) == 10


def test_empty_state(cast, login):
    response = login("secretary").get(ROSTER + "?q=nobody-by-this-name")
    assert 'data-testid="roster-empty"' in response.content.decode()


def test_plain_member_gets_403(cast, login):
    assert login("member").get(ROSTER).status_code == 403


@pytest.mark.parametrize("n", [10, 200])
def test_query_count_does_not_grow_with_members(cast, login, django_assert_num_queries, n):
    make_members(cast.branch, n)
    client = login("secretary")
    with django_assert_num_queries(6):
        response = client.get(ROSTER)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_filtered_query_count_does_not_grow(cast, login, django_assert_num_queries, n):
    make_members(cast.other_branch, n)
    client = login("organizer")
    url = ROSTER + f"?branch={cast.branch.pk}&group={cast.group.pk}&role=secretary&q=x"
    # The branches and the chosen branch's groups are read in one query.
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(ROSTER + "?page=2").status_code == 200


@pytest.mark.parametrize(
    "role", ["secretary", "organizer", "other_secretary", "admin", "member", "outsider"]
)
def test_roster_selector_matches_the_visibility_rule(cast, role):
    """selectors.roster narrows on member columns; it must equal members_visible_to."""
    from members.models import Member
    from members.permissions import members_visible_to
    from members.selectors import roster

    make_member(cast.other_branch, "他处党员")
    user = cast.users[role]
    assert set(roster(user).values_list("pk", flat=True)) == set(
        members_visible_to(user, Member.objects.all()).values_list("pk", flat=True)
    )


def test_filter_fields_render_with_labels_and_bootstrap_classes(cast, login):
    content = login("organizer").get(ROSTER + "?status=probationary").content.decode()
    assert '<label for="id_q" class="form-label">' in content
    assert 'name="status" class="form-select" id="id_status"' in content
    assert '<option value="probationary" selected>' in content
    # No branch chosen: the group list waits for one, and says so.
    assert 'class="form-select" id="id_group" disabled>' in content
    assert 'aria-describedby="id_group_helptext"' in content
    assert 'id="more-filters" class="col-12 col-xl-8 collapse d-md-block show"' in content
    assert 'type="hidden" name="org"' in content


def test_a_row_shows_the_members_facts(cast, login):
    """The rows are written in Python (members/templatetags/roster.py): the same cells."""
    cast.member.phone = "13912345678"
    cast.member.save()
    probationer = make_member(cast.branch, "预备<者>", status=MemberStatus.PROBATIONARY)
    content = login("secretary").get(ROSTER).content.decode()
    url = reverse("members:member_detail", args=[cast.member.pk])
    assert (
        f'<tr data-filter-item data-name="张伟" data-pinyin="zhangwei zw">'
        f'<td><a href="{url}" class="fw-semibold text-decoration-none">张伟</a>'
        f'<div class="small text-muted d-md-none">{cast.branch.name} · 第一党小组</div></td>'
        '<td class="d-none d-sm-table-cell">男</td>'
        '<td><span class="badge text-bg-success">正式党员</span></td>'
        f'<td class="d-none d-md-table-cell">{cast.branch.name}</td>'
        '<td class="d-none d-lg-table-cell">第一党小组</td>'
        '<td class="text-nowrap"><a href="tel:13912345678" class="text-decoration-none">'
        "13912345678</a></td>"
        f'<td class="d-none d-md-table-cell text-nowrap">{cast.member.joined_on:%Y-%m-%d}</td>'
        "</tr>"
    ) in content
    url = reverse("members:member_detail", args=[probationer.pk])
    assert f'<a href="{url}" class="fw-semibold text-decoration-none">预备&lt;者&gt;</a>' in content
    assert '<span class="badge text-bg-warning">预备党员</span>' in content
    assert f'<div class="small text-muted d-md-none">{cast.branch.name}</div>' in content
