from datetime import date

import pytest
from django.db import IntegrityError

from members import services
from members.models import (
    MemberStatus,
    Organization,
    OrganizationKind,
    Position,
    Role,
    Transfer,
    subtree_range_q,
)
from tests.factories import make_member, make_org, make_position


def test_organization_tree_subtree_query(cast):
    below_c1 = set(Organization.objects.filter(cast.c1.subtree_q()).values_list("name", flat=True))
    assert below_c1 == {"第一党委", "第一支部", "第一党小组", "第二支部"}


def test_subtree_as_a_path_range_is_the_subtree(cast):
    """The range form (read in path order by an index) matches what the prefix form matches,
    for every organization, also where the last step of a path is the alphabet's last
    character (the upper bound carries into the step before)."""
    last = Organization.alphabet[-1]
    odd = make_org("末位支部", parent=cast.c1)
    Organization.objects.filter(pk=odd.pk).update(path=cast.c1.path + last * Organization.steplen)
    for org in Organization.objects.all():
        by_range = set(Organization.objects.filter(subtree_range_q(org.path)).values_list("pk"))
        by_prefix = set(Organization.objects.filter(org.subtree_q()).values_list("pk"))
        assert by_range == by_prefix, org.path


def test_a_group_cannot_hold_a_branch(cast):
    with pytest.raises(services.DomainError):
        services.organization_create(parent=cast.group, name="x", kind=OrganizationKind.BRANCH)


def test_transfer_moves_member_and_keeps_history(cast):
    secretary = cast.secretary
    services.member_transfer(
        member=secretary,
        to_organization=cast.other_branch,
        transferred_on=date(2026, 3, 1),
        note="工作调动",
    )
    secretary.refresh_from_db()
    assert secretary.branch == cast.other_branch
    assert secretary.group is None
    transfer = Transfer.objects.get(member=secretary)
    assert (transfer.from_organization, transfer.to_organization) == (
        cast.branch,
        cast.other_branch,
    )
    # The old branch's position ends on the transfer date; history keeps both branches.
    assert Position.objects.get(member=secretary, role=Role.SECRETARY).ended_on == date(2026, 3, 1)
    assert [h.branch_id for h in secretary.history.order_by("history_date")][-2:] == [
        cast.branch.pk,
        cast.other_branch.pk,
    ]


def test_transfer_out_of_the_system(cast):
    services.member_transfer(
        member=cast.peer, to_organization=None, transferred_on=date(2026, 3, 1)
    )
    cast.peer.refresh_from_db()
    assert cast.peer.status == MemberStatus.TRANSFERRED_OUT


def test_transfer_to_the_same_branch_or_a_group_is_refused(cast):
    with pytest.raises(services.DomainError):
        services.member_transfer(
            member=cast.peer, to_organization=cast.branch, transferred_on=date(2026, 1, 1)
        )
    with pytest.raises(services.DomainError):
        services.member_transfer(
            member=cast.peer, to_organization=cast.group, transferred_on=date(2026, 1, 1)
        )


def test_member_must_belong_to_a_branch_and_a_group_of_it(cast):
    with pytest.raises(services.DomainError):
        services.member_create(
            full_name="孙悟空",
            gender="male",
            joined_on=date(2000, 1, 1),
            branch=cast.c1,
        )
    with pytest.raises(services.DomainError):
        services.member_update(member=cast.far_member, group=cast.group)


def test_database_refuses_full_membership_before_joining(cast):
    with pytest.raises(IntegrityError):
        make_member(cast.branch, joined_on=date(2020, 1, 1), full_member_on=date(2019, 1, 1))


def test_database_refuses_two_open_positions_of_the_same_role(cast):
    with pytest.raises(IntegrityError):
        make_position(cast.secretary, cast.branch, Role.SECRETARY, started_on=date(2024, 1, 1))


def test_member_changes_keep_history_with_the_actor(cast):
    services.member_update(member=cast.member, phone="13900001111", actor=cast.secretary.account)
    latest = cast.member.history.latest()
    assert latest.phone == "13900001111"
    assert latest.history_user == cast.secretary.account


def test_org_paths_are_unique_under_the_same_parent(cast):
    a = make_org("甲", OrganizationKind.BRANCH, parent=cast.c2)
    b = make_org("乙", OrganizationKind.BRANCH, parent=cast.c2)
    assert a.path != b.path and a.path.startswith(cast.c2.path)
