"""Scale seeder (`python -m bench.seed`, bench/README.md): commendations across the tree.

About 3 % of members commended this year or last, and about one branch in twenty commended as
a collective (advanced grassroots organization); awarded by the branch itself or by the
committee above; in every state (proposed, approved, published, rejected with a reason).
The bench branch always has a few, one in each state, and a proposal awarded by the branch
waits for its secretary. Bulk writes only (bench.seed.members.insert).
"""

from datetime import date, timedelta

from django.db import transaction

from appraisal.commendations.models import Commendation, CommendationStatus, CommendationTitle
from bench.seed.members import aware, choose, insert
from members.models import Organization, OrganizationKind

MEMBER_SHARE = 0.03
COLLECTIVE_SHARE = 0.05
STATUSES = (
    (CommendationStatus.PUBLISHED, 0.55),
    (CommendationStatus.APPROVED, 0.10),
    (CommendationStatus.PROPOSED, 0.20),
    (CommendationStatus.REJECTED, 0.15),
)
MEMBER_TITLES = (
    (CommendationTitle.OUTSTANDING_MEMBER, "年度", 0.5),
    (CommendationTitle.POSITIVE_ONLINE_CONTENT, "年度", 0.25),
    (CommendationTitle.OUTSTANDING_PARTY_WORKER, "", 0.15),
    (CommendationTitle.OTHER, "抗洪抢险先进个人", 0.10),
)
REASONS = (
    "在本职岗位上勤勉敬业，带头完成急难险重任务，群众评价好。",
    "积极参与网络文明建设，撰写正面评论文章多篇，被主流媒体转载。",
    "担任党小组长期间组织学习扎实，带领小组成员完成年度学习任务。",
    "在疫情防控和社区志愿服务中表现突出，服务群众时长超过二百小时。",
)
COLLECTIVE_REASON = "支部班子团结有力，“三会一课”落实到位，党员教育管理规范，发挥了战斗堡垒作用。"
REJECTION = "事迹材料不够具体，请补充后重新推荐。"
FIELDS = (
    "member_id",
    "organization_id",
    "home_organization_id",
    "title",
    "title_detail",
    "awarding_organization_id",
    "reason",
    "awarded_on",
    "status",
    "proposed_by_id",
    "proposed_at",
    "decided_by_id",
    "decided_at",
    "rejection_reason",
    "published_by_id",
    "published_at",
)


def _row(
    rng,
    today,
    *,
    member_id,
    organization_id,
    home_id,
    awarding_id,
    title,
    detail,
    status,
    reason,
    awarded_on,
    proposer=None,
    decider=None,
):
    proposed = aware(awarded_on - timedelta(days=rng.randint(10, 40)), rng.randint(8, 17))
    decided = published = None
    if status != CommendationStatus.PROPOSED:
        decided = proposed + timedelta(days=rng.randint(2, 9))
    if status == CommendationStatus.PUBLISHED:
        published = decided + timedelta(days=1)
    return (
        member_id,
        organization_id,
        home_id,
        title,
        detail,
        awarding_id,
        reason,
        awarded_on,
        status,
        proposer,
        proposed,
        decider if decided else None,
        decided,
        REJECTION if status == CommendationStatus.REJECTED else "",
        decider if published else None,
        published,
    )


def _rows(rng, today, context, parent_of):
    years = (today.year - 1, today.year)
    for index, info in enumerate(context.branches):
        active = context.active_member_ids(info)
        n = sum(1 for _ in active if rng.random() < MEMBER_SHARE)
        chosen = rng.sample(active, min(n, len(active)))
        if index == 0:  # the bench branch: one in each state, one waiting for its secretary
            chosen = active[3:7]
        for k, member_id in enumerate(chosen):
            title, detail, _w = choose(rng, MEMBER_TITLES)
            status = choose(rng, STATUSES)[0] if index else STATUSES[k % len(STATUSES)][0]
            year = rng.choice(years)
            awarded_on = date(year, rng.choice((6, 7, 12)), rng.randint(1, 28))
            if awarded_on > today or status == CommendationStatus.PROPOSED:
                awarded_on = today - timedelta(days=rng.randint(1, 60))
            own = rng.random() < 0.4 or (index == 0 and status == CommendationStatus.PROPOSED)
            yield _row(
                rng,
                today,
                member_id=member_id,
                organization_id=None,
                home_id=info.id,
                awarding_id=info.id if own else parent_of(info.path),
                title=title.value,
                detail=f"{year}{detail}" if detail == "年度" else detail,
                status=status,
                reason=rng.choice(REASONS),
                awarded_on=awarded_on,
            )
        if index == 0 or rng.random() < COLLECTIVE_SHARE:
            status = choose(rng, STATUSES)[0] if index else CommendationStatus.PUBLISHED
            year = rng.choice(years)
            awarded_on = min(today - timedelta(days=1), date(year, 6, 30))
            yield _row(
                rng,
                today,
                member_id=None,
                organization_id=info.id,
                home_id=info.id,
                awarding_id=parent_of(info.path),
                title=CommendationTitle.ADVANCED_ORGANIZATION.value,
                detail=f"{year}年度",
                status=status,
                reason=COLLECTIVE_REASON,
                awarded_on=awarded_on,
            )


@transaction.atomic
def seed(*, n_members, rng, today, context, **_options) -> dict:
    """Commendations of members and branches across the tree; rows written per table."""
    above = dict(
        Organization.objects.filter(
            kind__in=(OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH)
        ).values_list("path", "pk")
    )
    step = Organization.steplen

    def parent_of(path):
        # The committee (or general branch) right above; the root when that is a general
        # branch half the time, so awards come from more than one level.
        parent = path[:-step]
        if len(parent) > step and rng.random() < 0.3:
            parent = parent[:step]
        return above.get(parent) or above[path[:step]]

    written = insert(Commendation, FIELDS, _rows(rng, today, context, parent_of))
    return {"commendation": written}
