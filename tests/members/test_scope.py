from datetime import date

from members.models import Member, Role
from members.permissions import forget_scope, members_visible_to, scope_for
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
    with django_assert_num_queries(2):
        scope_for(user)
        scope_for(user)


def test_admin_scope_survives_being_ored_with_another_condition(cast):
    from django.db.models import Q

    from members.permissions import organization_scope_q

    q = organization_scope_q(cast.users["admin"], prefix="branch__") | Q(pk=cast.member.pk)
    assert Member.objects.filter(q).count() == Member.objects.count()
