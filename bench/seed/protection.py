"""Scale seeder (`python -m bench.seed`, bench/README.md): protection cases (Art. 24).

About 0.3 % of members have a case (this year or last), in every status, with the actions
taken, the handlers assigned (the branch secretary, and a designated handler above), a
clarification for some resolved ones, and who viewed them. Every committee and general
branch designates a handler (its deputy secretary, or its secretary); bench_organizer is
designated over the root committee, so their case list shows every case of the tree. In the
bench branch, bench_member has a case of their own and bench_secretary is assigned to it and
to another one. No evidence files (nothing to store on disk). Bulk writes only.
"""

from datetime import date, timedelta

from django.db import transaction

from bench.seed.members import (
    allocate_ids,
    aware,
    branch_of,
    choose,
    form_columns,
    insert,
    reset_sequences,
)
from members.models import Organization, Position, Role
from members.protection.forms import CaseActionForm, ClarificationForm
from members.protection.models import (
    CaseAction,
    CaseActionKind,
    CaseAssignment,
    CaseKind,
    CaseStatus,
    CaseView,
    Clarification,
    ProtectionCase,
)

CASE_SHARE = 0.003
STATUSES = (
    (CaseStatus.REPORTED, 0.12),
    (CaseStatus.ACCEPTED, 0.13),
    (CaseStatus.IN_PROGRESS, 0.25),
    (CaseStatus.RESOLVED, 0.20),
    (CaseStatus.CLOSED, 0.25),
    (CaseStatus.DECLINED, 0.05),
)
KINDS = (
    (CaseKind.CYBERBULLYING, "微信群", "在单位工作群和朋友圈被他人辱骂、散布不实言论。"),
    (CaseKind.FALSE_ACCUSATION, "信访平台", "被匿名举报收受财物，举报内容与事实不符。"),
    (CaseKind.THREAT, "短视频平台", "发布正面评论后收到私信威胁，对方扬言上门报复。"),
    (CaseKind.OTHER, "本地论坛", "个人信息被他人在论坛上公开。"),
)
ACTIONS = (
    (CaseActionKind.TALK, "与当事党员谈心谈话，了解事情经过。", "党员情绪稳定。"),
    (CaseActionKind.PLATFORM_REMOVAL, "联系平台删除相关不实内容。", "平台已删除三条内容。"),
    (CaseActionKind.REFERRAL, "将线索移交公安机关网安部门。", ""),
    (CaseActionKind.LEGAL_HELP, "联系法律顾问为党员提供咨询。", "已提供法律意见书。"),
)
CASE_FIELDS = (
    "id",
    "member_id",
    "kind",
    "description",
    "place",
    "occurred_on",
    "help_requested",
    "status",
    "decline_reason",
    "opened_by_id",
    "opened_on_behalf",
    "reported_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "occurred_note",
    "evidence_text",
    "evidence_links",
)


def _handlers(context, today):
    """Case-handler positions: one per committee / general branch, bench_organizer at the root.

    Returns (rows, {organization id: member id}).
    """
    org_ids = set(context.committee_ids) | set(context.general_branch_ids)
    preference = {Role.DEPUTY_SECRETARY: 0, Role.COMMITTEE_MEMBER: 1, Role.SECRETARY: 2}
    chosen = {}
    for member_id, org_id, role in (
        Position.objects.filter(
            organization_id__in=org_ids, ended_on__isnull=True, role__in=list(preference)
        )
        .order_by("organization_id", "member_id")
        .values_list("member_id", "organization_id", "role")
    ):
        best = chosen.get(org_id)
        if best is None or preference[role] < best[1]:
            chosen[org_id] = (member_id, preference[role])
    by_org = {org_id: member_id for org_id, (member_id, _p) in chosen.items()}
    started = date(today.year - 1, 3, 1)
    rows = [(m, o, Role.CASE_HANDLER, started, "组织指定") for o, m in sorted(by_org.items())]
    organizer = context.members.get("organizer")
    if organizer and by_org.get(context.root_id) != organizer:
        rows.append((organizer, context.root_id, Role.CASE_HANDLER, started, "组织部指定（基准）"))
    return rows, by_org


@transaction.atomic
def seed(*, n_members, rng, today, context, **_options) -> dict:
    """Protection cases with their timeline, handlers and view log; rows written per table."""
    counts = {}
    designations, handler_by_org = _handlers(context, today)
    org_by_path = dict(
        Organization.objects.filter(pk__in=[*handler_by_org, context.root_id]).values_list(
            "path", "pk"
        )
    )
    counts["casehandler"] = insert(
        Position, ("member_id", "organization_id", "role", "started_on", "note"), designations
    )
    branches = context.branches
    if not branches:
        return counts
    first = branches[0].first_member_id
    last = branches[-1].first_member_id + branches[-1].size
    n_cases = max(2, round(n_members * CASE_SHARE))
    bench = context.bench_branch
    subjects = [
        context.members.get("member") or bench.first_member_id + 5,
        bench.first_member_id + 9,
    ]
    seen = set(subjects)
    while len(subjects) < n_cases:
        member_id = rng.randrange(first, last)
        if member_id in seen or member_id in context.inactive_member_ids:
            continue
        seen.add(member_id)
        subjects.append(member_id)

    case_ids = allocate_ids(ProtectionCase, len(subjects))
    users = context.users
    organizer_member = context.members.get("organizer")
    cases, actions, assignments, clarifications, views = [], [], [], [], []
    for k, (case_id, member_id) in enumerate(zip(case_ids, subjects, strict=True)):
        info = branch_of(branches, member_id)
        status = CaseStatus.IN_PROGRESS if k < 2 else choose(rng, STATUSES)[0]
        kind, place, text = rng.choice(KINDS)
        reported = aware(today - timedelta(days=rng.randint(3, 540)), rng.randint(8, 20))
        accepted = resolved = closed = None
        if status not in (CaseStatus.REPORTED, CaseStatus.DECLINED):
            accepted = reported + timedelta(days=rng.randint(1, 5))
        if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            resolved = accepted + timedelta(days=rng.randint(10, 60))
        if status == CaseStatus.CLOSED:
            closed = resolved + timedelta(days=rng.randint(3, 20))
        on_behalf = rng.random() < 0.2
        cases.append(
            (
                case_id,
                member_id,
                kind.value,
                text,
                place,
                (reported - timedelta(days=rng.randint(1, 20))).date(),
                "请求组织调查核实并为本人澄清正名。",
                status.value,
                "经核实不属于本规定保护范围。" if status == CaseStatus.DECLINED else "",
                None,
                on_behalf,
                reported,
                accepted,
                resolved,
                closed,
                "持续约两周" if rng.random() < 0.3 else "",
                "对方在群聊中的相关发言已截图保存。",
                "",
            )
        )
        if accepted is None:
            continue
        # Handlers: the branch secretary, and the designated handler of the organization above.
        step = len(info.path) - 4
        above = None
        for depth_end in range(step, 0, -4):
            above = handler_by_org.get(org_by_path.get(info.path[:depth_end]))
            if above:
                break
        handlers = [info.secretary_id] if info.secretary_id != member_id else []
        if above and above != member_id and above not in handlers:
            handlers.append(above)
        if info is bench and k < 2 and context.members.get("secretary") not in handlers:
            handlers.insert(0, context.members["secretary"])
        for handler in handlers:
            removed = closed + timedelta(days=1) if closed else None
            assignments.append((case_id, handler, accepted, removed))
        # Actions on the timeline.
        n_actions = rng.randint(1, 4)
        day = accepted.date()
        for i in range(n_actions):
            action_kind, what, outcome = ACTIONS[i % len(ACTIONS)] if i else ACTIONS[0]
            day = day + timedelta(days=rng.randint(1, 10))
            open_case = status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
            follow_up = day + timedelta(days=14) if open_case and i == n_actions - 1 else None
            actions.append(
                (  # the case, what CaseActionForm asks (in its order), when it was recorded
                    case_id,
                    action_kind.value,
                    day,
                    what,
                    outcome,
                    follow_up,
                    "跟进平台处理结果" if follow_up else "",
                    aware(day, 16),
                )
            )
        if resolved and rng.random() < 0.5:
            clarifications.append(
                (  # the case, what ClarificationForm asks (in its order), the member's consent
                    case_id,
                    "经组织调查核实，网上流传的有关该同志的说法与事实不符，特此澄清。",
                    resolved.date(),
                    "支部党员大会",
                    "支部全体党员",
                    info.id,
                    "支部委员会会议决定",
                    rng.random() < 0.6,
                )
            )
        # Who looked: handlers, and now and then bench_organizer.
        for _ in range(rng.randint(1, 5)):
            viewer = users.get("organizer") if organizer_member else None
            views.append(
                (
                    case_id,
                    viewer,
                    "bench_organizer",
                    accepted + timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 8)),
                )
            )

    fields = CASE_FIELDS
    if "branch_id" in {f.attname for f in ProtectionCase._meta.concrete_fields}:
        # The member's branch when the case was opened, where the model keeps it.
        branch_id_of = {m: branch_of(branches, m).id for m in subjects}
        fields = (*CASE_FIELDS, "branch_id")
        cases = [(*row, branch_id_of[row[1]]) for row in cases]
    counts["protectioncase"] = insert(ProtectionCase, fields, cases)
    reset_sequences(ProtectionCase)
    counts["caseassignment"] = insert(
        CaseAssignment, ("case_id", "handler_id", "assigned_at", "removed_at"), assignments
    )
    counts["caseaction"] = insert(
        CaseAction, ("case_id", *form_columns(CaseActionForm), "recorded_at"), actions
    )
    counts["clarification"] = insert(
        Clarification,
        ("case_id", *form_columns(ClarificationForm), "member_consents"),
        clarifications,
    )
    counts["caseview"] = insert(
        CaseView, ("case_id", "viewer_id", "viewer_name", "viewed_at"), views
    )
    return counts
