"""Foundation demo data: a committee, a general branch, four branches with groups, ~60 members.

Deterministic (seeded random) and idempotent: a second run finds the committee and stops.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import Member, MemberStatus, Organization, OrganizationKind, Role

ROOT_NAME = "中共示范区科技局委员会"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "建国",
    "志强",
    "海燕",
    "晓东",
    "丹",
    "萍",
    "鹏",
    "辉",
    "玲",
    "宁",
    "建军",
    "晓明",
    "雪",
    "婷",
    "浩然",
    "子涵",
    "思远",
    "雨桐",
    "欣怡",
    "梓萱",
    "俊杰",
    "嘉怡",
    "博文",
    "佳琪",
]
ETHNICITIES = ["汉族"] * 12 + ["回族", "满族", "蒙古族", "壮族", "土家族"]
STRUCTURE = [
    # (parent name or None for the committee, name, kind, groups)
    ("机关党总支", "机关第一党支部", ["第一党小组", "第二党小组"]),
    ("机关党总支", "机关第二党支部", ["第一党小组", "第二党小组"]),
    (None, "信息中心党支部", ["研发党小组", "运维党小组"]),
    (None, "离退休干部党支部", ["第一党小组", "第二党小组"]),
]
MEMBERS_PER_BRANCH = 15
DEMO_LOGINS = ("admin", "organizer", "secretary", "member")


def _name(rng, used):
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _account(username, *, superuser=False):
    User = get_user_model()
    user, _created = User.objects.get_or_create(username=username)
    user.set_password(settings.DEMO_PASSWORD)
    user.is_staff = user.is_superuser = superuser
    user.save()
    return user


@transaction.atomic
def seed(*, rng, today):
    """Build the organization tree, members, positions and the four demo logins."""
    _account("admin", superuser=True)
    if Organization.objects.filter(name=ROOT_NAME, depth=1).exists():
        return False
    committee = services.organization_create(
        parent=None,
        name=ROOT_NAME,
        kind=OrganizationKind.COMMITTEE,
        code="KJJ",
        established_on=date(1998, 7, 1),
    )
    general = services.organization_create(
        parent=committee, name="机关党总支", kind=OrganizationKind.GENERAL_BRANCH
    )
    used = set()
    branches = []
    for parent_name, name, group_names in STRUCTURE:
        parent = general if parent_name else committee
        branch = services.organization_create(
            parent=parent, name=name, kind=OrganizationKind.BRANCH
        )
        groups = [
            services.organization_create(parent=branch, name=g, kind=OrganizationKind.GROUP)
            for g in group_names
        ]
        retired = "离退休" in name
        members = []
        for i in range(MEMBERS_PER_BRANCH):
            age = rng.randint(62, 85) if retired else rng.randint(24, 58)
            birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            joined = birth + timedelta(days=365 * rng.randint(19, max(20, min(age - 2, 40))))
            joined = min(joined, today - timedelta(days=200))
            probationary = not retired and i >= MEMBERS_PER_BRANCH - 2
            if probationary:
                joined = today - timedelta(days=rng.randint(60, 300))
            full_on = None if probationary else joined + timedelta(days=365)
            members.append(
                services.member_create(
                    full_name=_name(rng, used),
                    gender=rng.choice(["male", "female"]),
                    birth_date=birth,
                    ethnicity=rng.choice(ETHNICITIES),
                    education=rng.choice(
                        ["bachelor", "bachelor", "master", "vocational", "doctorate"]
                    ),
                    phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                    email=f"demo{len(used)}@branchsite.local",
                    joined_on=joined,
                    full_member_on=full_on,
                    status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
                    branch=branch,
                    group=groups[i % len(groups)],
                )
            )
        start = date(today.year - 2, 3, 1)
        leaders = [
            (0, branch, Role.SECRETARY),
            (1, branch, Role.DEPUTY_SECRETARY),
            (2, branch, Role.ORGANIZATION_OFFICER),
            (3, branch, Role.PUBLICITY_OFFICER),
            (4, branch, Role.DISCIPLINE_OFFICER),
            (5, groups[0], Role.GROUP_LEADER),
            (6, groups[1], Role.GROUP_LEADER),
        ]
        for index, org, role in leaders:
            services.position_assign(
                member=members[index], organization=org, role=role, started_on=start
            )
        branches.append((branch, members))

    first_branch, first_members = branches[0]
    # The demo logins: the secretary and an ordinary member of 机关第一党支部, and an organizer
    # of the committee's organization department (a member of 机关第二党支部).
    _link(first_members[0], "secretary")
    _link(first_members[8], "member")
    organizer_member = branches[1][1][10]
    services.position_assign(
        member=organizer_member,
        organization=committee,
        role=Role.ORGANIZER,
        started_on=date(today.year - 3, 1, 1),
    )
    services.position_assign(
        member=branches[1][1][11],
        organization=committee,
        role=Role.SECRETARY,
        started_on=date(today.year - 3, 1, 1),
    )
    _link(organizer_member, "organizer")
    # One past transfer so the branch history shows something real.
    mover = first_members[9]
    services.member_transfer(
        member=mover,
        to_organization=branches[2][0],
        transferred_on=date(today.year - 1, 9, 1),
        note="工作调动",
    )
    services.member_transfer(
        member=mover,
        to_organization=first_branch,
        transferred_on=date(today.year - 1, 12, 15),
        note="借调结束",
    )
    return True


def _link(member: Member, username: str):
    member.account = _account(username)
    member.save(update_fields=["account"])
