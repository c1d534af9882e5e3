"""Scale seeder (`python -m bench.seed`, bench/README.md): this year's democratic appraisal in
every branch, at the ballot step or later.

Per branch: a cycle with its participants (the active members; probationary ones vote but
are not graded), self-assessments, heart-to-heart talks, the cycle's moves, its ballot box,
ballot participation rows and the per-member grade counters — consistent with each other:
every graded member's counters add up to the number of participation rows (every ballot
grades every appraised member). Cycles past the ballot have ratings; publicity and closed
ones have approved ratings; closed ones have their records.

The bench branch's cycle is at the rating step with the ballot closed and a draft rating
half done, so the tally and rating pages show real data; its id goes to
`context.extra["appraisal_cycle_id"]`. Bulk writes only (bench.seed.members.insert); branches are
processed in chunks so memory stays flat.
"""

from datetime import timedelta

from django.db import transaction

from appraisal.models import (
    AppraisalCycle,
    AppraisalRecord,
    AssessmentStatus,
    BallotBox,
    BallotCount,
    BallotParticipation,
    CycleMove,
    Grade,
    HeartToHeartTalk,
    Participant,
    Rating,
    RatingState,
    SelfAssessment,
    Step,
)
from bench.seed.members import allocate_ids, aware, insert, reset_sequences

CHUNK = 400  # branches per round of COPYs
# Share of cycles at each step (the bench branch's is always at the rating step).
STEP_SHARES = (
    (Step.BALLOT, 0.25),
    (Step.RATING, 0.30),
    (Step.PUBLICITY, 0.15),
    (Step.CLOSED, 0.30),
)
# How far back (days) a cycle at that step started, relative to a ballot-step cycle.
STEP_LAG = {Step.BALLOT: 0, Step.RATING: 10, Step.PUBLICITY: 20, Step.CLOSED: 35}
GRADES = (Grade.EXCELLENT, Grade.QUALIFIED, Grade.BASICALLY_QUALIFIED, Grade.UNQUALIFIED)

STUDY = (
    "认真学习党的二十大精神和党章党规，按时参加“三会一课”，完成年度集中学习学时。",
    "坚持自学与集中学习相结合，通过学习强国平台学习理论文章，撰写学习心得三篇。",
    "参加支部组织的专题学习和主题党日活动，学习《中国共产党党员网络行为规定》。",
)
DUTIES = (
    "立足本职岗位，完成年度工作任务，在急难险重任务中发挥党员先锋模范作用。",
    "认真履行岗位职责，积极参与志愿服务，帮助身边群众解决实际困难。",
    "主动承担支部分配的工作，按时交纳党费，参加组织生活。",
)
DISCIPLINE = (
    "严守政治纪律和政治规矩，遵守中央八项规定精神，无违规违纪行为。",
    "自觉遵守党的纪律，廉洁自律，如实向组织报告个人有关事项。",
)
ONLINE = (
    "在网上发言遵守法律法规和党的纪律，不传播未经核实的信息，积极转发正面内容。",
    "注意网络言行，不在网上妄议中央大政方针，对错误言论敢于发声亮剑。",
    "使用社交媒体时注意保守秘密，不在工作群中发布与工作无关的内容。",
)
IMPROVE = (
    "理论学习的系统性还不够，下一步制定学习计划，提高学习的深度。",
    "联系群众还不够紧密，今后多走访、多倾听群众意见。",
    "工作中有时存在畏难情绪，今后要增强担当意识。",
)
TALK_NOTES = ("谈工作和思想情况", "交流学习体会", "听取对支部工作的意见建议", "")
LOW_REASON = "年度内多次无故不参加组织生活，经谈心谈话仍未改正。"


def _pick_step(rng):
    roll, acc = rng.random(), 0.0
    for step, share in STEP_SHARES:
        acc += share
        if roll < acc:
            return step
    return Step.CLOSED


def _votes(rng, turnout):
    """One graded member's counters (excellent, qualified, basically, unqualified) summing to
    turnout: most ballots say qualified, some excellent, a few lower."""
    if turnout == 0:
        return (0, 0, 0, 0)
    profile = rng.random()
    if profile < 0.25:  # well regarded
        e = round(turnout * rng.uniform(0.4, 0.9))
    else:
        e = round(turnout * rng.uniform(0.0, 0.3))
    left = turnout - e
    b = 0
    if profile > 0.95:
        b = min(left, round(turnout * rng.uniform(0.1, 0.5)))
    left -= b
    u = min(left, rng.choice((0, 0, 0, 1))) if profile > 0.98 else 0
    return (e, left - u, b, u)


class _Rows:
    """One chunk's rows, per table."""

    def __init__(self):
        self.participants = []
        self.assessments = []
        self.talks = []
        self.moves = []
        self.boxes = []
        self.participation = []
        self.counts = []
        self.ratings = []
        self.records = []

    def flush(self, counts):
        plan = (
            (Participant, ("cycle_id", "member_id", "graded", "votes"), self.participants),
            (
                SelfAssessment,
                (
                    "cycle_id",
                    "member_id",
                    "study",
                    "duties",
                    "discipline",
                    "online_conduct",
                    "improvements",
                    "status",
                    "submitted_at",
                    "return_comment",
                ),
                self.assessments,
            ),
            (
                HeartToHeartTalk,
                ("cycle_id", "talker_id", "talked_with_id", "held_on", "note", "created_at"),
                self.talks,
            ),
            (CycleMove, ("cycle_id", "from_step", "to_step", "moved_at", "reason"), self.moves),
            (BallotBox, ("cycle_id", "opened_at", "closed_at"), self.boxes),
            (BallotParticipation, ("cycle_id", "voter_id"), self.participation),
            (BallotCount, ("cycle_id", "member_id", "grade", "count"), self.counts),
            (Rating, ("cycle_id", "member_id", "grade", "reason"), self.ratings),
            (
                AppraisalRecord,
                ("cycle_id", "member_id", "year", "graded", "grade", "reason", "created_at"),
                self.records,
            ),
        )
        for model, fields, rows in plan:
            key = model._meta.model_name
            counts[key] = counts.get(key, 0) + insert(model, fields, rows)
        self.__init__()


def _cycle_row(cycle_id, info, year, step, rating_state, today):
    lag = timedelta(days=STEP_LAG[step])
    publicity_start = publicity_end = closed_at = None
    if step == Step.PUBLICITY:
        publicity_start, publicity_end = today - timedelta(days=2), today + timedelta(days=3)
    elif step == Step.CLOSED:
        publicity_start = today - timedelta(days=14)
        publicity_end = publicity_start + timedelta(days=5)
        closed_at = aware(publicity_end + timedelta(days=1), 9)
    decided_at = aware(today - timedelta(days=15)) if rating_state == RatingState.APPROVED else None
    return (
        cycle_id,
        info.id,
        year,
        step,
        today - timedelta(days=30) - lag,
        today - timedelta(days=20) - lag,
        today - timedelta(days=8) - lag,
        today + timedelta(days=4) - lag,
        today + timedelta(days=15) - lag,
        rating_state,
        "同意支部评定意见。" if rating_state == RatingState.APPROVED else "",
        decided_at,
        publicity_start,
        publicity_end,
        closed_at,
        aware(today - timedelta(days=40) - lag, 9),
    )


CYCLE_FIELDS = (
    "id",
    "branch_id",
    "year",
    "step",
    "self_assessment_due",
    "peer_review_due",
    "ballot_opens_on",
    "ballot_closes_on",
    "rating_due",
    "rating_state",
    "rating_comment",
    "rating_decided_at",
    "publicity_starts_on",
    "publicity_ends_on",
    "closed_at",
    "created_at",
)


def _branch(rows, rng, context, info, cycle_id, step, rating_state, today, year):
    lag = timedelta(days=STEP_LAG[step])
    active = context.active_member_ids(info)
    graded = [m for m in active if m not in context.probationary_member_ids]
    for member_id in active:
        rows.participants.append((cycle_id, member_id, member_id in graded, True))

    # Self-assessments: nearly everyone has submitted by the ballot; a few drafts, a few none.
    due = today - timedelta(days=30) - lag
    for member_id in active:
        roll = rng.random()
        if roll < 0.03:
            continue
        status = AssessmentStatus.DRAFT if roll < 0.08 else AssessmentStatus.SUBMITTED
        submitted = (
            aware(due - timedelta(days=rng.randint(0, 10)), rng.randint(8, 21))
            if status == AssessmentStatus.SUBMITTED
            else None
        )
        rows.assessments.append(
            (
                cycle_id,
                member_id,
                rng.choice(STUDY),
                rng.choice(DUTIES),
                rng.choice(DISCIPLINE),
                rng.choice(ONLINE),
                rng.choice(IMPROVE),
                status,
                submitted,
                "",
            )
        )

    # Talks: the secretary with about a third of the branch, and a few between members.
    secretary = info.secretary_id or info.first_member_id
    others = [m for m in active if m != secretary]
    for member_id in rng.sample(others, len(others) // 3):
        held = due + timedelta(days=rng.randint(1, 12))
        rows.talks.append(
            (cycle_id, secretary, member_id, held, rng.choice(TALK_NOTES), aware(held, 17))
        )

    # Moves up to the current step.
    reached = [Step.SELF_ASSESSMENT, Step.PEER_REVIEW, Step.BALLOT]
    if step != Step.BALLOT:
        reached.append(Step.RATING)
    if step in (Step.PUBLICITY, Step.CLOSED):
        reached.append(Step.PUBLICITY)
    if step == Step.CLOSED:
        reached.append(Step.CLOSED)
    move_days = (
        today - timedelta(days=29) - lag,
        today - timedelta(days=19) - lag,
        today - timedelta(days=8) - lag,
        today + timedelta(days=4) - lag,
        today - timedelta(days=14),
        today - timedelta(days=8),
    )
    for i in range(1, len(reached)):
        rows.moves.append((cycle_id, reached[i - 1], reached[i], aware(move_days[i], 18), ""))

    # The ballot: box, who took part, and the counters.
    ballot_open = today - timedelta(days=8) - lag
    ballot_closed = step != Step.BALLOT
    rows.boxes.append(
        (
            cycle_id,
            aware(ballot_open, 8),
            aware(today + timedelta(days=4) - lag, 18) if ballot_closed else None,
        )
    )
    share = rng.uniform(0.8, 1.0) if ballot_closed else rng.uniform(0.3, 0.9)
    voters = rng.sample(active, round(len(active) * share))
    for voter in voters:
        rows.participation.append((cycle_id, voter))
    turnout = len(voters)
    tallies = {}
    for member_id in graded:
        votes = _votes(rng, turnout)
        tallies[member_id] = votes
        for grade, n in zip(GRADES, votes, strict=True):
            rows.counts.append((cycle_id, member_id, grade.value, n))

    if not ballot_closed:
        return
    # Ratings: follow the ballot, with the excellent cap (one third) applied.
    cap = len(graded) // 3
    by_excellent = sorted(graded, key=lambda m: -tallies[m][0])
    excellent = {m for m in by_excellent[:cap] if turnout and tallies[m][0] * 2 > turnout}
    grades = {}
    for member_id in graded:
        _e, _q, b, u = tallies[member_id]
        if member_id in excellent:
            grades[member_id] = (Grade.EXCELLENT, "")
        elif turnout and u * 2 > turnout:
            grades[member_id] = (Grade.UNQUALIFIED, LOW_REASON)
        elif turnout and (b + u) * 3 > turnout:
            grades[member_id] = (Grade.BASICALLY_QUALIFIED, LOW_REASON)
        else:
            grades[member_id] = (Grade.QUALIFIED, "")
    if step == Step.RATING and rating_state in (RatingState.DRAFT, RatingState.RETURNED):
        rated = graded[: len(graded) // 2] if rating_state == RatingState.DRAFT else graded
    else:
        rated = graded
    for member_id in rated:
        grade, reason = grades[member_id]
        rows.ratings.append((cycle_id, member_id, grade.value, reason))
    if step == Step.CLOSED:
        created = aware(today - timedelta(days=8), 9)
        for member_id in active:
            grade, reason = grades.get(member_id, ("", ""))
            rows.records.append(
                (
                    cycle_id,
                    member_id,
                    year,
                    member_id in grades,
                    str(grade.value) if grade else "",
                    reason,
                    created,
                )
            )


@transaction.atomic
def seed(*, n_members, rng, today, context, **_options) -> dict:
    """This year's appraisal cycle in every branch; rows written per table."""
    year = today.year
    branches = context.branches
    cycle_ids = allocate_ids(AppraisalCycle, len(branches))
    plans = []
    for index, info in enumerate(branches):
        step = Step.RATING if index == 0 else _pick_step(rng)
        if step == Step.RATING:
            rating_state = (
                RatingState.DRAFT
                if index == 0
                else rng.choice(
                    (
                        RatingState.DRAFT,
                        RatingState.DRAFT,
                        RatingState.SUBMITTED,
                        RatingState.RETURNED,
                    )
                )
            )
        elif step in (Step.PUBLICITY, Step.CLOSED):
            rating_state = RatingState.APPROVED
        else:
            rating_state = RatingState.DRAFT
        plans.append((info, cycle_ids[index], step, rating_state))

    counts = {
        "appraisalcycle": insert(
            AppraisalCycle,
            CYCLE_FIELDS,
            (
                _cycle_row(cycle_id, info, year, step, state, today)
                for info, cycle_id, step, state in plans
            ),
        )
    }
    reset_sequences(AppraisalCycle)
    rows = _Rows()
    for start in range(0, len(plans), CHUNK):
        for info, cycle_id, step, state in plans[start : start + CHUNK]:
            _branch(rows, rng, context, info, cycle_id, step, state, today, year)
        rows.flush(counts)
    if branches:
        context.extra["appraisal_cycle_id"] = cycle_ids[0]
    return counts
