"""Demo commendations on top of the foundation demo (members/demo.py).

Published ones from last year and this year (individual and collective), one proposal
waiting for the organizer login, one rejected with its reason. Idempotent: does nothing once
any commendation exists.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from members.models import Member, Organization, OrganizationKind

from . import services
from .models import Commendation, CommendationTitle


def _user(username):
    return get_user_model().objects.filter(username=username).first()


@transaction.atomic
def seed(*, rng, today):
    if Commendation.objects.exists():
        return False
    organizer, secretary, admin = _user("organizer"), _user("secretary"), _user("admin")
    committee = Organization.objects.filter(kind=OrganizationKind.COMMITTEE, depth=1).first()
    member = Member.objects.select_related("branch").filter(account__username="member").first()
    if not (organizer and secretary and admin and committee and member):
        return False
    branches = list(Organization.objects.filter(kind=OrganizationKind.BRANCH).order_by("path"))
    last_year = today.year - 1

    def done(commendation, approver):
        services.commendation_approve(actor=approver, commendation=commendation)
        services.commendation_publish(actor=approver, commendation=commendation)

    # Published: the member login, this year, for positive online content (proposed by the
    # branch secretary, approved by the committee's organizer).
    c = services.commendation_propose(
        actor=secretary,
        member=member,
        title=CommendationTitle.POSITIVE_ONLINE_CONTENT,
        title_detail=f"{today.year}年度",
        awarding_organization=committee,
        reason="撰写网络文明系列评论文章6篇，被多家媒体转载，在网上积极宣传党的创新理论。",
        awarded_on=min(today, date(today.year, 6, 28)),
        documents=[
            SimpleUploadedFile(
                "事迹材料.pdf", b"%PDF-1.4\n% demo\n", content_type="application/pdf"
            )
        ],
    )
    done(c, organizer)

    # Published last year: outstanding members across the branches, and a collective award.
    for branch in branches:
        candidates = list(
            Member.objects.active().filter(branch=branch).exclude(pk=member.pk).order_by("id")
        )
        if not candidates:
            continue
        pick = rng.choice(candidates[5:] or candidates)
        c = services.commendation_propose(
            actor=organizer,
            member=pick,
            title=rng.choice(
                [CommendationTitle.OUTSTANDING_MEMBER, CommendationTitle.OUTSTANDING_PARTY_WORKER]
            ),
            title_detail=f"{last_year}年度",
            awarding_organization=committee,
            reason="立足岗位作表率，带头学习贯彻党的理论，网上网下言行一致。",
            awarded_on=date(last_year, 6, 28),
        )
        done(c, admin)
    if len(branches) > 2:
        c = services.commendation_propose(
            actor=organizer,
            organization=branches[2],
            title=CommendationTitle.ADVANCED_ORGANIZATION,
            title_detail=f"{last_year}年度",
            awarding_organization=committee,
            reason="支部“三会一课”规范，网络阵地建设成效明显。",
            awarded_on=date(last_year, 6, 28),
        )
        done(c, admin)

    # Waiting: proposed by the secretary, for the organizer login to decide.
    others = list(
        Member.objects.active().filter(branch=member.branch).exclude(pk=member.pk).order_by("id")
    )
    if len(others) > 3:
        services.commendation_propose(
            actor=secretary,
            member=others[3],
            title=CommendationTitle.OUTSTANDING_MEMBER,
            title_detail=f"{today.year}年度",
            awarding_organization=committee,
            reason="在防汛抗灾中冲锋在前，及时在网上发布权威信息、澄清谣言。",
            awarded_on=today,
        )
        # Rejected, with its reason kept.
        rejected = services.commendation_propose(
            actor=secretary,
            member=others[4],
            title=CommendationTitle.OTHER,
            title_detail="网络宣传先进个人",
            awarding_organization=committee,
            reason="积极转发单位信息。",
            awarded_on=today,
        )
        services.commendation_reject(
            actor=organizer,
            commendation=rejected,
            reason="事迹不够突出，请补充具体材料后在下次评选时重新推荐。",
        )
    return True
