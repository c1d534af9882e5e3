"""Member detail, edit, add and transfer pages."""

from datetime import date, timedelta

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from members.models import Member, MemberStatus, OrganizationKind, Position, Role, Transfer
from tests.factories import make_member, make_members, make_org, make_position


def detail_url(member):
    return reverse("members:member_detail", args=[member.pk])


def edit_data(member, **changes):
    data = {
        "full_name": member.full_name,
        "gender": member.gender,
        "birth_date": "",
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "email": member.email,
        "joined_on": member.joined_on.isoformat(),
        "full_member_on": member.full_member_on.isoformat() if member.full_member_on else "",
        "status": member.status,
        "group": member.group_id or "",
    }
    data.update(changes)
    return data


# --- detail ----------------------------------------------------------------------------


def _transferred_in(cast, **fields):
    """The cast's member came to their branch from the other branch in March 2019."""
    return Transfer.objects.create(
        member=cast.member,
        from_organization=cast.other_branch,
        to_organization=cast.branch,
        transferred_on=date(2019, 3, 1),
        **fields,
    )


def test_detail_shows_details_positions_transfers_and_history(cast, login):
    make_position(cast.member, cast.group, Role.GROUP_LEADER)
    _transferred_in(cast, note="介绍信 12 号")
    client = login("secretary")
    client.post(
        reverse("members:member_edit", args=[cast.member.pk]),
        edit_data(cast.member, phone="13800001111"),
    )
    response = client.get(detail_url(cast.member))
    content = response.content.decode()
    assert response.status_code == 200
    assert "张伟" in content and "第一党小组" in content
    assert "13800001111" in content
    assert "介绍信 12 号" in content  # branch history
    assert "第二支部" in content
    history = response.context["history"]
    assert history[0].actor_name == "李娜"
    assert any("13800001111" in new for _label, _old, new in history[0].changes)
    # Edit/transfer buttons only for someone who may write.
    assert reverse("members:member_edit", args=[cast.member.pk]) in content


def test_member_reads_own_record_without_write_buttons(cast, login):
    response = login("member").get(detail_url(cast.member))
    assert response.status_code == 200
    assert reverse("members:member_edit", args=[cast.member.pk]) not in response.content.decode()


def test_detail_costs_the_same_exact_queries_with_more_history_and_members(
    cast, login, django_assert_num_queries
):
    client = login("organizer")
    phones = iter(range(100))

    def edit(times):
        for _ in range(times):
            client.post(
                reverse("members:member_edit", args=[cast.member.pk]),
                edit_data(cast.member, phone=f"1380000{next(phones):04d}"),
            )

    edit(5)
    with django_assert_num_queries(9):
        assert client.get(detail_url(cast.member)).status_code == 200
    # More of everything the page lists or could count: edits, positions, transfers, members.
    edit(5)
    make_position(cast.member, cast.group, Role.GROUP_LEADER)
    _transferred_in(cast)
    make_members(cast.branch, 30)
    with django_assert_num_queries(9):
        assert client.get(detail_url(cast.member)).status_code == 200


# --- edit ------------------------------------------------------------------------------


def test_secretary_edits_member_and_is_redirected_with_message(cast, login):
    client = login("secretary")
    url = reverse("members:member_edit", args=[cast.member.pk])
    response = client.post(url, edit_data(cast.member, phone="+86 139-0000-1234", group=""))
    assert response.status_code == 302
    assert response["Location"] == detail_url(cast.member)
    cast.member.refresh_from_db()
    assert cast.member.phone == "+86 139-0000-1234"
    assert cast.member.group is None
    assert cast.member.history.first().history_user == cast.secretary.account
    assert [m.level for m in get_messages(response.wsgi_request)] == [messages.SUCCESS]


def test_bad_input_keeps_what_was_typed(cast, login):
    client = login("secretary")
    url = reverse("members:member_edit", args=[cast.member.pk])
    response = client.post(url, edit_data(cast.member, full_name="张伟伟", phone="call me"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "phone" in form.errors
    content = response.content.decode()
    assert 'value="张伟伟"' in content  # nothing typed is lost
    assert 'value="call me"' in content
    assert response.context["member"].full_name == "张伟"  # heading shows the saved name
    cast.member.refresh_from_db()
    assert cast.member.full_name == "张伟"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "probationary"}, "full_member_on"),  # probationary with a full date
        ({"full_member_on": "2001-01-01"}, None),  # before joining: model constraint
        ({"group": "999999"}, "group"),
    ],
)
def test_invalid_combinations_are_refused(cast, login, changes, field):
    client = login("secretary")
    response = client.post(
        reverse("members:member_edit", args=[cast.member.pk]), edit_data(cast.member, **changes)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    if field:
        assert field in errors


def test_group_choices_are_the_members_branch_groups(cast, login):
    other_group = make_org("第二党小组", OrganizationKind.GROUP, parent=cast.other_branch)
    client = login("organizer")
    form = client.get(reverse("members:member_edit", args=[cast.member.pk])).context["form"]
    assert list(form.fields["group"].queryset) == [cast.group]
    response = client.post(
        reverse("members:member_edit", args=[cast.member.pk]),
        edit_data(cast.member, group=other_group.pk),
    )
    assert "group" in response.context["form"].errors


def test_unchanged_edit_does_not_write_history(cast, login):
    before = cast.member.history.count()
    response = login("secretary").post(
        reverse("members:member_edit", args=[cast.member.pk]), edit_data(cast.member)
    )
    assert response.status_code == 302
    assert cast.member.history.count() == before


# --- add -------------------------------------------------------------------------------


def add_data(branch, **changes):
    data = {
        "branch": branch.pk,
        "full_name": "新党员",
        "gender": "female",
        "birth_date": "1995-05-04",
        "ethnicity": "回族",
        "education": "bachelor",
        "phone": "13700000000",
        "email": "new@example.org",
        "joined_on": "2020-07-01",
        "full_member_on": "2021-07-01",
        "status": "full",
        "group": "",
    }
    data.update(changes)
    return data


def test_add_form_preselects_and_narrows(cast, login):
    client = login("organizer")
    form = client.get(reverse("members:member_add") + f"?branch={cast.branch.pk}").context["form"]
    assert set(form.fields["branch"].queryset) == {cast.branch, cast.other_branch}
    assert str(form["branch"].value()) == str(cast.branch.pk)
    assert list(form.fields["group"].queryset) == [cast.group]
    form = login("secretary").get(reverse("members:member_add")).context["form"]
    assert list(form.fields["branch"].queryset) == [cast.branch]


def test_add_group_list_refreshes_with_htmx(cast, login):
    make_org("乙党小组", OrganizationKind.GROUP, parent=cast.other_branch)
    response = login("organizer").get(
        reverse("members:member_add") + f"?branch={cast.other_branch.pk}", HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert 'id="div_id_group"' in content
    assert "乙党小组" in content and "第一党小组" not in content


def test_add_member(cast, login):
    response = login("secretary").post(
        reverse("members:member_add"), add_data(cast.branch, group=cast.group.pk)
    )
    member = Member.objects.get(full_name="新党员")
    assert response.status_code == 302
    assert response["Location"] == detail_url(member)
    assert member.branch == cast.branch and member.group == cast.group
    assert member.ethnicity == "回族"
    assert member.history.first().history_user == cast.secretary.account


@pytest.mark.parametrize(
    ("role", "branch_attr", "group_attr", "field"),
    [
        ("secretary", "other_branch", None, "branch"),  # not a branch they manage
        ("secretary", "far_branch", None, "branch"),
        ("organizer", "other_branch", "group", "group"),  # group of another branch
    ],
)
def test_add_refuses_out_of_scope_choices(cast, login, role, branch_attr, group_attr, field):
    data = add_data(getattr(cast, branch_attr))
    if group_attr:
        data["group"] = getattr(cast, group_attr).pk
    response = login(role).post(reverse("members:member_add"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Member.objects.filter(full_name="新党员").exists()


def test_add_missing_required_fields(cast, login):
    response = login("secretary").post(
        reverse("members:member_add"), add_data(cast.branch, full_name="", joined_on="")
    )
    errors = response.context["form"].errors
    assert "full_name" in errors and "joined_on" in errors
    assert 'value="13700000000"' in response.content.decode()


# --- transfer --------------------------------------------------------------------------


def transfer(client, member, **data):
    payload = {
        "destination": "branch",
        "to_organization": "",
        "transferred_on": "2024-03-01",
        "note": "",
    }
    payload.update(data)
    return client.post(reverse("members:member_transfer", args=[member.pk]), payload)


def test_transfer_to_any_branch_ends_positions(cast, login):
    make_position(cast.member, cast.group, Role.GROUP_LEADER)
    client = login("secretary")
    form = client.get(reverse("members:member_transfer", args=[cast.member.pk])).context["form"]
    targets = set(form.fields["to_organization"].queryset)
    assert cast.far_branch in targets and cast.branch not in targets
    response = transfer(client, cast.member, to_organization=cast.far_branch.pk, note="介绍信")
    # The member is now beyond the secretary's reach: back to the roster.
    assert response.status_code == 302
    assert response["Location"] == reverse("members:roster")
    cast.member.refresh_from_db()
    assert cast.member.branch == cast.far_branch
    assert cast.member.group is None
    t = Transfer.objects.get(member=cast.member)
    assert (t.from_organization, t.to_organization, t.note) == (
        cast.branch,
        cast.far_branch,
        "介绍信",
    )
    assert t.recorded_by == cast.secretary.account
    assert Position.objects.get(member=cast.member).ended_on == date(2024, 3, 1)
    assert client.get(detail_url(cast.member)).status_code == 404


def test_organizer_transfer_within_reach_returns_to_detail(cast, login):
    response = transfer(login("organizer"), cast.member, to_organization=cast.other_branch.pk)
    assert response["Location"] == detail_url(cast.member)


def test_transfer_out_of_the_system(cast, login):
    response = transfer(login("secretary"), cast.member, destination="out")
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.status == MemberStatus.TRANSFERRED_OUT
    assert cast.member.branch == cast.branch
    assert Transfer.objects.get(member=cast.member).to_organization is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "to_organization"),  # branch destination without a branch
        ({"to_organization": "__self__"}, "to_organization"),  # its own branch
        ({"destination": "out", "transferred_on": "1999-01-01"}, "transferred_on"),
        ({"destination": "out", "transferred_on": "tomorrow"}, "transferred_on"),
    ],
)
def test_transfer_refusals(cast, login, data, field):
    if data.get("to_organization") == "__self__":
        data["to_organization"] = cast.branch.pk
    if data.get("transferred_on") == "tomorrow":
        data["transferred_on"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = transfer(login("secretary"), cast.member, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    cast.member.refresh_from_db()
    assert cast.member.branch == cast.branch and cast.member.is_active


def test_former_member_cannot_be_transferred(cast, login):
    gone = make_member(cast.branch, "已转出者", status=MemberStatus.TRANSFERRED_OUT)
    client = login("secretary")
    page = client.get(reverse("members:member_transfer", args=[gone.pk]))
    assert 'name="destination"' not in page.content.decode()  # a notice instead of the form
    response = transfer(client, gone, destination="out")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Transfer.objects.filter(member=gone).exists()
