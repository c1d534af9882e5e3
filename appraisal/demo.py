"""Demo data for appraisal (Art. 27): one closed cycle from last year, cycles in progress this
year, and a life meeting with rectification items. Built through the services, on top of the
foundation demo (members/demo.py)."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from members.models import Organization, OrganizationKind

from .models.cycles import AppraisalCycle, Grade, Participant, Step
from .services.ballot import ballot_cast
from .services.cycles import cycle_open
from .services.meetings import life_meeting_save, rectification_add, rectification_complete
from .services.moves import cycle_move
from .services.participation import peer_review_save, self_assessment_save, talk_log
from .services.rating import rating_decide, rating_submit, ratings_save

STUDY = [
    "系统学习了党的二十大精神和《中国共产党党员网络行为规定》，按时完成支部集中学习。",
    "参加主题党日和专题党课，坚持每周在学习平台自学，记了学习笔记。",
    "学习了党章党规，重点学习了网络意识形态工作的有关要求。",
]
DUTIES = [
    "立足岗位，按时完成本职工作，积极参加志愿服务。",
    "承担了科室的重点任务，主动帮助新同事熟悉业务。",
    "认真履行党员义务，按时足额交纳党费。",
]
DISCIPLINE = [
    "严守政治纪律和政治规矩，遵守中央八项规定精神。",
    "遵守组织纪律，按时参加组织生活，没有违纪行为。",
]
ONLINE = [
    "在网络上谨言慎行，不转发未经核实的信息，积极传播正能量。",
    "工作群和朋友圈发言注意身份，没有发表不当言论；有时转发前核实不够。",
    "主动在网上宣传单位的好人好事，对网上错误言论不附和、不传播。",
]
IMPROVE = [
    "加强理论学习的系统性，提高运用理论解决实际问题的能力。",
    "转发网络信息前先核实来源，更好地发挥党员在网络空间的作用。",
    "进一步改进工作作风，多联系群众。",
]


def _move(*, cycle, to_step, **kwargs):
    cycle_move(cycle=cycle, to_step=to_step, **kwargs)
    cycle.refresh_from_db()


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _fill_self_assessments(rng, cycle, participants, *, submit_share=1.0, skip=()):
    for p in participants:
        if p.member_id in skip:
            continue
        self_assessment_save(
            cycle=cycle,
            member=p.member,
            submit=rng.random() < submit_share,
            study=rng.choice(STUDY),
            duties=rng.choice(DUTIES),
            discipline=rng.choice(DISCIPLINE),
            online_conduct=rng.choice(ONLINE),
            improvements=rng.choice(IMPROVE),
        )


def _talks(rng, cycle, participants, talker, on, share=1.0):
    for p in participants:
        if p.member_id != talker.pk and rng.random() < share:
            talk_log(
                cycle=cycle,
                talker=talker,
                talked_with=p.member,
                held_on=on - timedelta(days=rng.randint(0, 6)),
                note="谈思想、谈工作、谈网络言行",
            )


def _vote(rng, cycle, voters, graded_ids, favourites):
    for voter in voters:
        grades = {}
        for pk in graded_ids:
            roll = rng.random()
            if pk in favourites:
                grades[pk] = Grade.EXCELLENT if roll < 0.7 else Grade.QUALIFIED
            else:
                grades[pk] = Grade.EXCELLENT if roll < 0.1 else Grade.QUALIFIED
        ballot_cast(cycle=cycle, voter=voter, grades=grades)


def _open(branch, year, first_day, actor):
    return cycle_open(
        branch=branch,
        year=year,
        self_assessment_due=first_day,
        peer_review_due=first_day + timedelta(days=7),
        ballot_opens_on=first_day + timedelta(days=9),
        ballot_closes_on=first_day + timedelta(days=14),
        rating_due=first_day + timedelta(days=25),
        actor=actor,
    )


def _closed_cycle(rng, branch, year, secretary_user, organizer_user):
    """Last year's appraisal, carried all the way through to the records."""
    first_day = branch_day = date(year, 12, 10)
    cycle = _open(branch, year, first_day, secretary_user)
    people = list(Participant.objects.filter(cycle=cycle).select_related("member"))
    _fill_self_assessments(rng, cycle, people)
    _move(cycle=cycle, to_step=Step.PEER_REVIEW, actor=secretary_user)
    leader = people[0].member
    _talks(rng, cycle, people, leader, branch_day + timedelta(days=5))
    others = [p for p in people if p.member_id != leader.pk]
    if others:
        talk_log(
            cycle=cycle,
            talker=others[0].member,
            talked_with=leader,
            held_on=branch_day + timedelta(days=5),
        )
    for p in people[:6]:
        target = rng.choice([q for q in people if q.member_id != p.member_id])
        peer_review_save(
            cycle=cycle,
            reviewer=p.member,
            reviewed=target.member,
            comment=rng.choice(["工作认真负责，乐于助人。", "学习主动，网上发言注意分寸。"]),
        )
    _move(cycle=cycle, to_step=Step.BALLOT, actor=secretary_user)
    graded = [p.member_id for p in people if p.graded]
    favourites = set(rng.sample(graded, k=min(3, len(graded))))
    voters = [p.member for p in people if p.votes]
    turnout = voters[: max(len(voters) - 2, len(voters) // 2 + 1)]
    _vote(rng, cycle, turnout, graded, favourites)
    _move(cycle=cycle, to_step=Step.RATING, actor=secretary_user)
    cap = cycle.excellent_cap(len(graded))
    entries = {pk: (Grade.QUALIFIED, "") for pk in graded}
    for pk in sorted(favourites)[:cap]:
        entries[pk] = (Grade.EXCELLENT, "")
    ratings_save(cycle=cycle, entries=entries, actor=secretary_user)
    rating_submit(cycle=cycle, actor=secretary_user)
    rating_decide(cycle=cycle, approve=True, actor=organizer_user)
    publicity_day = first_day + timedelta(days=30)
    _move(cycle=cycle, to_step=Step.PUBLICITY, actor=secretary_user, today=publicity_day)
    cycle.refresh_from_db()
    _move(cycle=cycle, to_step=Step.CLOSED, actor=None, today=cycle.publicity_ends_on)
    return cycle, people


def _running_cycle(rng, branch, year, today, secretary_user, member_login):
    """This year's appraisal, at the ballot: the demo member can still cast theirs."""
    cycle = _open(branch, year, today - timedelta(days=12), secretary_user)
    people = list(Participant.objects.filter(cycle=cycle).select_related("member"))
    login_member = getattr(member_login, "member", None) if member_login else None
    skip = {login_member.pk} if login_member else set()
    _fill_self_assessments(rng, cycle, people, submit_share=0.85, skip=skip)
    _move(
        cycle=cycle,
        to_step=Step.PEER_REVIEW,
        actor=secretary_user,
        reason="个别党员外出学习，自评会后补交",
    )
    _talks(rng, cycle, people, people[0].member, today - timedelta(days=3), share=0.8)
    _move(
        cycle=cycle,
        to_step=Step.BALLOT,
        actor=secretary_user,
        reason="未谈话的党员在会前补谈",
    )
    graded = [p.member_id for p in people if p.graded]
    voters = [p.member for p in people if p.votes and p.member_id not in skip]
    _vote(rng, cycle, voters[: len(voters) // 2], graded, set(graded[:2]))
    return cycle


def _life_meeting(branch, cycle, people, today):
    held = cycle.rating_due
    meeting = life_meeting_save(
        organization=branch,
        kind="organizational_life_meeting",
        held_on=held,
        title=f"{cycle.year}年度组织生活会暨民主评议党员大会",
        topics="对照党章党规和《中国共产党党员网络行为规定》检视问题，"
        "包括网络言行；开展批评和自我批评；民主评议党员。",
        self_examination=True,
        online_conduct=True,
        minutes="支部书记代表支委会作对照检查；党员逐一发言，开展批评和自我批评。"
        "有同志指出个别党员转发网络信息前核实不够，当事人作了自我批评。",
        attendees=[p.member for p in people],
        cycle=cycle,
    )
    done = rectification_add(
        meeting=meeting,
        description="组织一次网络信息核实和网络安全专题学习",
        owner=people[0].member,
        due_on=held + timedelta(days=30),
    )
    rectification_complete(
        rectification=done, done_on=held + timedelta(days=21), note="已举办专题学习，全员参加"
    )
    rectification_add(
        meeting=meeting,
        description="完善支部微信群管理办法",
        owner=people[min(1, len(people) - 1)].member,
        due_on=max(today + timedelta(days=10), held + timedelta(days=60)),
    )
    return meeting


@transaction.atomic
def seed(*, rng, today):
    """Returns False when the appraisal demo already exists."""
    if AppraisalCycle.objects.exists():
        return False
    branches = list(Organization.objects.filter(kind=OrganizationKind.BRANCH).order_by("path"))
    if not branches:
        return False
    secretary_user = _user("secretary")
    organizer_user = _user("organizer")
    member_login = _user("member")
    first = branches[0]
    closed, people = _closed_cycle(rng, first, today.year - 1, secretary_user, organizer_user)
    _life_meeting(first, closed, people, today)
    _running_cycle(rng, first, today.year, today, secretary_user, member_login)
    for branch in branches[1:3]:
        _open(branch, today.year, today + timedelta(days=10), organizer_user)
    return True
