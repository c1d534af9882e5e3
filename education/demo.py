"""Education demo data: from January of last year to today, every branch's regular meetings
(with a few left out, so the compliance grid shows gaps), study and training sessions with
attendance, some make-up study, and a few sessions still to come.

Members differ in how often they attend, so some are ahead of the hours requirement and some
behind. Idempotent: a second run finds sessions and stops.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from members.models import COMMITTEE_ROLES, Member, Organization, OrganizationKind, Position

from .dates import local_tz
from .models.makeups import Makeup
from .models.sessions import AttendanceStatus, Session, SessionKind, Topic
from .services import attendance as attendance_services
from .services import makeups as makeups_services
from .services import sessions as sessions_services

# (kind, months it is held in, day of month, hours, title)
PLAN = [
    (SessionKind.COMMITTEE_MEETING, range(1, 13), 5, "1.0", "支委会：研究{month}月党建工作"),
    (SessionKind.THEME_DAY, range(1, 13), 20, "2.0", "{month}月主题党日活动"),
    (SessionKind.GENERAL_MEETING, (2, 5, 8, 11), 15, "1.5", "第{quarter}季度支部党员大会"),
    (SessionKind.PARTY_LECTURE, (3, 6, 9, 12), 25, "2.0", "第{quarter}季度书记讲党课"),
    (SessionKind.STUDY, (1, 4, 7, 10), 8, "2.0", "依规依法上网用网专题学习"),
    (SessionKind.ONLINE_COURSE, (3, 9), 12, "3.0", "网络素养与技能在线课程"),
    (SessionKind.TRAINING, (6,), 18, "8.0", "党员集中轮训"),
]
TOPICS = {
    SessionKind.STUDY: [Topic.LAWFUL_INTERNET, Topic.ONLINE_LITERACY],
    SessionKind.ONLINE_COURSE: [Topic.ONLINE_LITERACY],
    SessionKind.TRAINING: [Topic.THEORY, Topic.PARTY_RULES, Topic.LAWFUL_INTERNET],
    SessionKind.PARTY_LECTURE: [Topic.PARTY_HISTORY],
    SessionKind.THEME_DAY: [Topic.POLICY],
}
SKIP_RATE = 0.07


def _at(day, hour=14, minute=30):
    return datetime.combine(day, time(hour, minute), tzinfo=local_tz())


def _status(rng, diligence):
    r = rng.random()
    if r < diligence:
        return AttendanceStatus.PRESENT
    if r < diligence + 0.05:
        return AttendanceStatus.LATE
    if r < diligence + 0.15:
        return AttendanceStatus.EXCUSED
    return AttendanceStatus.ABSENT


def _log(rng, organization, kind, when, hours, title, members, diligence):
    if not members:
        return None
    return attendance_services.session_log(
        organization=organization,
        attendance={m.pk: (_status(rng, diligence[m.pk]), None) for m in members},
        kind=kind,
        title=title,
        topics=[str(t) for t in TOPICS.get(kind, [])],
        starts_at=when,
        ends_at=when + timedelta(hours=max(float(hours), 1.0)),
        place="党员活动室" if kind != SessionKind.ONLINE_COURSE else "",
        online_url="https://study.example.org/course" if kind == SessionKind.ONLINE_COURSE else "",
        lecturer="党支部书记" if kind == SessionKind.PARTY_LECTURE else "",
        hours=Decimal(hours),
        minutes="会议按议程进行，与会党员进行了交流发言。",
    )


@transaction.atomic
def seed(*, rng, today):
    """Sessions with attendance for every branch; returns False when already seeded."""
    if Session.objects.exists():
        return False
    now = timezone.now()
    branches = list(Organization.objects.filter(kind=OrganizationKind.BRANCH).order_by("path"))
    for branch in branches:
        members = list(Member.objects.active().filter(branch=branch).order_by("pk"))
        # Each member attends with their own habit: some keep up, some fall behind.
        diligence = {m.pk: rng.choice((0.95, 0.9, 0.85, 0.75, 0.6, 0.45)) for m in members}
        leader_ids = set(
            Position.objects.current()
            .filter(organization=branch, role__in=COMMITTEE_ROLES)
            .values_list("member_id", flat=True)
        )
        leaders = [m for m in members if m.pk in leader_ids] or members[:3]
        groups = list(Organization.objects.get_children(branch).filter(kind=OrganizationKind.GROUP))
        for year in (today.year - 1, today.year):
            for kind, months, day, hours, title in PLAN:
                for month in months:
                    when = _at(date(year, month, day))
                    if when >= now or rng.random() < SKIP_RATE:
                        continue
                    expected = leaders if kind == SessionKind.COMMITTEE_MEETING else members
                    label = title.format(month=month, quarter=(month - 1) // 3 + 1)
                    _log(rng, branch, kind, when, hours, label, expected, diligence)
            for group in groups:
                group_members = [m for m in members if m.group_id == group.pk]
                for month in range(1, 13):
                    when = _at(date(year, month, 12), 19)
                    if when >= now or rng.random() < SKIP_RATE:
                        continue
                    _log(
                        rng,
                        group,
                        SessionKind.GROUP_MEETING,
                        when,
                        "1.0",
                        f"{group.name}{month}月组织生活",
                        group_members,
                        diligence,
                    )
        _makeups(rng, branch, leaders[0] if leaders else None, today)
        _upcoming(branch, now)
    return True


def _makeups(rng, branch, reviewer, today):
    """A few absent members record make-up study; the secretary confirms most of them."""
    from .models.sessions import Attendance

    missed = list(
        Attendance.objects.filter(
            session__organization=branch, status=AttendanceStatus.ABSENT
        ).select_related("session", "member")[:6]
    )
    account = reviewer.account if reviewer else None
    for i, row in enumerate(missed):
        studied_on = min(row.session.starts_at.date() + timedelta(days=7), today)
        makeup = makeups_services.makeup_submit(
            member=row.member,
            session=row.session,
            description=f"自学《{row.session.title}》会议材料并撰写心得",
            studied_on=studied_on,
            hours=row.session.hours,
        )
        # Nobody confirms their own make-up study: the secretary's own rows stay waiting.
        if i % 3 != 2 and (reviewer is None or row.member_id != reviewer.pk):
            makeups_services.makeup_confirm(makeup=makeup, actor=account)
    return Makeup.objects.filter(member__branch=branch).count()


def _upcoming(branch, now):
    """Sessions still to come: one today (the check-in screen has something to show) and two
    in the next weeks."""
    soon = now.astimezone(local_tz()).replace(second=0, microsecond=0)
    for offset, kind, title, hours in (
        (timedelta(minutes=20), SessionKind.STUDY, "网络安全法专题学习（签到演示）", "2.0"),
        (timedelta(days=1, hours=2), SessionKind.PARTY_LECTURE, "党课：党员网络行为规范", "2.0"),
        (timedelta(days=9), SessionKind.THEME_DAY, "主题党日：网上正能量", "2.0"),
    ):
        starts = soon + offset
        sessions_services.session_plan(
            organization=branch,
            kind=kind,
            title=title,
            topics=[Topic.LAWFUL_INTERNET.value],
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            hours=Decimal(hours),
            place="党员活动室",
        )
