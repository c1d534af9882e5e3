from datetime import date

from django.db.models import F

from members.models import Member, Position, Role
from members.permissions import (
    forget_scope,
    loaded_positions,
    members_visible_to,
    scope_for,
    unread_notification_count,
)
from members.services import notification_mark_read, notify
from tests.factories import make_position


def visible(cast, role):
    return set(members_visible_to(cast.users[role]).values_list("full_name", flat=True))


def test_member_sees_only_themself(cast):
    assert visible(cast, "member") == {"张伟"}


def test_secretary_sees_their_branch_only(cast):
    assert visible(cast, "secretary") == {"张伟", "王芳", "李娜", "刘洋"}
    assert visible(cast, "committee_member") == {"张伟", "王芳", "李娜", "刘洋"}


def test_organizer_sees_the_subtree_below_only(cast):
    assert visible(cast, "organizer") == {
        "张伟",
        "王芳",
        "李娜",
        "刘洋",
        "陈静",
        "杨磊",
        "赵敏",
    }
    assert visible(cast, "other_organizer") == {"黄强", "周杰"}


def test_admin_and_outsider(cast):
    assert visible(cast, "admin") == set(Member.objects.values_list("full_name", flat=True))
    assert visible(cast, "outsider") == set()


def test_an_ended_position_gives_no_reach(cast):
    position = cast.secretary.positions.get(role=Role.SECRETARY)
    position.ended_on = date(2021, 1, 1)
    position.save()
    user = cast.users["secretary"]
    forget_scope(user)
    assert not scope_for(user).is_branch_leader
    assert visible(cast, "secretary") == {"李娜"}


def test_a_committee_role_in_a_committee_makes_an_organizer(cast):
    make_position(cast.far_member, cast.c2, Role.COMMITTEE_MEMBER)
    from tests.factories import make_user

    cast.far_member.account = make_user("far")
    cast.far_member.save()
    assert scope_for(cast.far_member.account).organizer_paths == (cast.c2.path,)


def test_scope_is_computed_once_per_request(cast, django_assert_num_queries):
    user = cast.users["organizer"]
    forget_scope(user)
    with django_assert_num_queries(1):
        scope_for(user)
        scope_for(user)
        loaded_positions(user)
        unread_notification_count(user)


def test_the_scope_query_brings_every_position_with_its_organization_and_the_unread_count(
    cast, django_assert_num_queries
):
    member = cast.secretary
    make_position(
        member, cast.c2, Role.COMMITTEE_MEMBER, date(2019, 3, 1), ended_on=date(2021, 1, 1)
    )
    make_position(member, cast.c1, Role.ORGANIZER, date(2022, 5, 1), ended_on=date(2023, 1, 1))
    for day in (1, 2, 3):
        notify(
            kind="test.scope",
            subject=cast.branch,
            recipient=member,
            due_date=date(2026, 1, day),
            title=f"通知{day}",
        )
    notify(  # someone else's unread notice is not counted
        kind="test.scope",
        subject=cast.branch,
        recipient=cast.member,
        due_date=date(2026, 1, 1),
        title="别人",
    )
    notification_mark_read(member=member, notification_id=member.notifications.first().pk)
    expected = list(
        Position.objects.filter(member=member)
        .select_related("organization")
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on")
    )
    user = cast.users["secretary"]
    forget_scope(user)
    with django_assert_num_queries(1):
        positions = loaded_positions(user)
        assert [p.pk for p in positions] == [p.pk for p in expected]
        for got, want in zip(positions, expected, strict=True):
            assert (got.role, got.started_on, got.ended_on) == (
                want.role,
                want.started_on,
                want.ended_on,
            )
            assert got.organization == want.organization
            assert got.organization.path == want.organization.path
            assert got.organization.kind == want.organization.kind
            assert got.organization.is_active is want.organization.is_active
        assert unread_notification_count(user) == 2
        assert scope_for(user).led_branch_ids == {cast.branch.pk}
        assert scope_for(user).organizer_paths == ()  # both roles above have ended


def test_admin_scope_survives_being_ored_with_another_condition(cast):
    from django.db.models import Q

    from members.permissions import organization_scope_q

    q = organization_scope_q(cast.users["admin"], prefix="branch__") | Q(pk=cast.member.pk)
    assert Member.objects.filter(q).count() == Member.objects.count()
