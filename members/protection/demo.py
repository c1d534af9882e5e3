"""Demo protection cases on top of the foundation demo (members/demo.py).

The organizer login is designated to handle cases for the committee; the member login has a
case in progress with a timeline; another member's case was resolved with a clarification
they agreed to show; the secretary login has opened one on a member's behalf that waits to
be accepted. Idempotent: does nothing once any case exists.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from members.models import Member, Organization, OrganizationKind, Position, Role

from . import services
from .models import ProtectionCase


def _member_of(username):
    return Member.objects.select_related("branch").filter(account__username=username).first()


@transaction.atomic
def seed(*, rng, today):
    if ProtectionCase.objects.exists():
        return False
    organizer = _member_of("organizer")
    member = _member_of("member")
    secretary = _member_of("secretary")
    committee = Organization.objects.filter(kind=OrganizationKind.COMMITTEE, depth=1).first()
    if not (organizer and member and secretary and committee):
        return False
    if not Position.objects.filter(member=organizer, role=Role.CASE_HANDLER).exists():
        services.handler_designate(member=organizer, organization=committee, note="组织部指定")
    handler = get_user_model().objects.get(pk=organizer.account_id)

    # 1. The member login's own case, in progress.
    case = services.case_open(
        actor=member.account,
        member=member,
        kind="cyberbullying",
        description="我在单位公众号发表关于网络文明的评论文章后，多个匿名账号在评论区和私信中辱骂、"
        "并散布我“收钱写稿”的不实说法。",
        place="单位微信公众号评论区、个人微博私信",
        occurred_on=today - timedelta(days=20),
        occurred_note="持续约两周",
        evidence_text="私信内容：“拿了多少钱写这种文章？”等十余条。",
        evidence_links="https://mp.example/article/2024-08\nhttps://weibo.example/u/anon123",
        help_requested="请组织协调平台处理辱骂内容，并视情况澄清。",
        files=[
            SimpleUploadedFile(
                "私信截图说明.txt",
                "共14条私信，截图已保存，时间从8月3日至8月16日。".encode(),
                content_type="text/plain",
            )
        ],
    )
    services.case_accept(actor=handler, case=case)
    services.case_action_record(
        actor=handler,
        case=case,
        kind="talk",
        acted_on=today - timedelta(days=12),
        description="与本人谈心谈话，了解情况并做好心理疏导。",
        outcome="本人情绪稳定，提供了完整截图。",
    )
    services.case_action_record(
        actor=handler,
        case=case,
        kind="platform_removal",
        acted_on=today - timedelta(days=8),
        description="致函平台，要求删除辱骂和不实信息。",
        outcome="平台已受理，删除部分评论。",
        follow_up_due=today + timedelta(days=3),
        follow_up_note="确认剩余内容处理结果",
    )

    # 2. A resolved case with a clarification the member agreed to show.
    branches = list(Organization.objects.filter(kind=OrganizationKind.BRANCH).order_by("path"))
    other = (
        Member.objects.active()
        .filter(branch=branches[-2] if len(branches) > 1 else member.branch)
        .exclude(pk__in=[member.pk, organizer.pk])
        .order_by("id")
        .first()
    )
    if other is not None:
        resolved = services.case_open(
            actor=handler,
            member=other,
            kind="false_accusation",
            description="有人在论坛发帖，捏造本人“违规操作项目”的情节并配以拼接图片。",
            place="本地生活论坛",
            occurred_on=today - timedelta(days=90),
            help_requested="请组织调查核实，还本人清白。",
        )
        services.case_accept(actor=handler, case=resolved)
        services.case_action_record(
            actor=handler,
            case=resolved,
            kind="referral",
            acted_on=today - timedelta(days=80),
            description="将线索移交网信部门和公安机关。",
            outcome="发帖人已被依法处理，帖子已删除。",
        )
        clarification = services.clarification_record(
            actor=handler,
            case=resolved,
            text=f"经组织调查核实，网传{other.full_name}同志“违规操作项目”一事纯属捏造，特此澄清。",
            issued_on=today - timedelta(days=60),
            published_where="党委会议、单位内网",
            published_to="全体党员干部",
            approving_organization=committee,
            approval_reference="党委会议纪要",
        )
        services.case_transition(actor=handler, case=resolved, action="resolve")
        clarification.member_consents = True
        clarification.save(update_fields=["member_consents"])

    # 3. Opened by the secretary on a member's behalf; waits to be accepted.
    behalf = (
        Member.objects.active()
        .filter(branch=secretary.branch)
        .exclude(pk__in=[member.pk, secretary.pk])
        .order_by("-id")
        .first()
    )
    if behalf is not None:
        services.case_open(
            actor=secretary.account,
            member=behalf,
            kind="threat",
            description="本人在网上揭露电信诈骗手法后，收到匿名恐吓电话和短信。",
            place="手机短信、电话",
            occurred_on=today - timedelta(days=2),
            help_requested="请协调公安机关处理，保护本人及家人安全。",
        )
    return True
