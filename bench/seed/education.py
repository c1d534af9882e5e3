"""Bulk seeding of study sessions for the scale benchmark (`python -m bench.seed`, bench/).

For every branch of the foundation (bench.seed.members), the twelve months up to `today` of the
regular-meeting cadence (DESIGN.md "Domain rules"): a theme Party day and a branch committee
meeting every month, Party group meetings every month in branches with groups, a branch
general meeting and a Party lecture every quarter — a few of them missed, so the compliance
grid shows gaps. Sessions later than now this month are planned (members see them coming
up). Attendance for every expected active member with a realistic present / late / excused /
absent mix (each member has their own reliability), credited hours, some make-up study for
missed sessions (most confirmed), so some members are ahead of the year's pace and some
behind. Sessions and BranchYearMeetings are streamed with COPY (bench.seed.members.insert),
the session plan of a branch replayed from its own random seed rather than kept; attendance,
make-ups and MemberYearHours are written on PostgreSQL by set-based SQL (INSERT ... SELECT,
branch chunk by branch chunk), so at N = 1 000 000 (about 28 million attendance rows) no row
passes through Python and memory stays flat.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from random import Random

from django.db import connection, transaction
from django.utils import timezone

from bench.seed import bulk_session, in_parallel
from bench.seed.members import allocate_ids, insert, other_columns, reset_sequences
from education.dates import local_tz
from education.models import (
    SESSION_FIELDS,
    AttendanceStatus,
    BranchYearMeetings,
    Makeup,
    MakeupState,
    MemberYearHours,
    Session,
    SessionKind,
    SessionState,
    Topic,
)
from education.models import Attendance as AttendanceModel
from members.models import ACTIVE_STATUSES, Member, Position, Role

# kind -> (hours in tenths, title pattern, start hour, duration in minutes)
KINDS = {
    SessionKind.THEME_DAY: (20, "{y}年{m}月主题党日", 14, 120),
    SessionKind.COMMITTEE_MEETING: (10, "{y}年{m}月支部委员会", 9, 60),
    SessionKind.GROUP_MEETING: (15, "{y}年{m}月党小组会", 16, 90),
    SessionKind.GENERAL_MEETING: (20, "{y}年第{q}季度支部党员大会", 9, 120),
    SessionKind.PARTY_LECTURE: (20, "{y}年第{q}季度党课", 14, 120),
}
SKIP_RATE = 0.04  # share of required meetings a branch misses
MAKEUP_RATE = 0.15  # share of missed sessions made up
PLACES = ("党员活动室", "会议室", "线上", "党群服务中心")
LECTURERS = ("支部书记", "党委书记", "党校教师", "")
TOPICS = [t.value for t in Topic if t != Topic.OTHER]

# The make-up's own columns (who, which session, what was studied); the seeders add the rest.
MAKEUP_STUDY_COLUMNS = ("member_id", "session_id", "description", "studied_on", "hours")
# A member's yearly hours row, in the order both seeders write it.
HOURS_COLUMNS = (
    "member_id",
    "year",
    "attended_hours",
    "makeup_hours",
    "sessions_held",
    "sessions_attended",
)


def _months(today):
    """The twelve (year, month) pairs ending with today's month."""
    y, m = today.year, today.month
    out = []
    for _ in range(12):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


def _plan(info, base, months):
    """The sessions of one branch: (kind, organization_id, group_index, y, m, day) in order.
    Deterministic for (base, branch id): replayed by each pass."""
    rng = Random(f"{base}:{info.id}")  # noqa: S311 - made-up data
    general_at, lecture_at = rng.randrange(3), rng.randrange(3)
    out = []
    for y, m in months:
        day = rng.randint(3, 26)
        if rng.random() > SKIP_RATE:
            out.append((SessionKind.THEME_DAY, info.id, None, y, m, day))
        if rng.random() > SKIP_RATE:
            out.append((SessionKind.COMMITTEE_MEETING, info.id, None, y, m, max(1, day - 2)))
        for g, group_id in enumerate(info.group_ids):
            if rng.random() > SKIP_RATE:
                out.append((SessionKind.GROUP_MEETING, group_id, g, y, m, min(28, day + 1)))
        if (m - 1) % 3 == general_at and rng.random() > SKIP_RATE:
            out.append((SessionKind.GENERAL_MEETING, info.id, None, y, m, min(28, day + 2)))
        if (m - 1) % 3 == lecture_at and rng.random() > SKIP_RATE:
            out.append((SessionKind.PARTY_LECTURE, info.id, None, y, m, min(28, day + 3)))
    return out


def _starts(y, m, day, kind, tz):
    _tenths, _title, hour, _minutes = KINDS[kind]
    return datetime(y, m, day, hour, 0, tzinfo=tz)


def seed(*, n_members: int, rng, today: date, context, **_options) -> dict:
    """Write a year of sessions, attendance, make-ups and the summaries; rows per table.

    The sessions are committed before the attendance, which PostgreSQL loads on several
    connections at once (see _set_based)."""
    with transaction.atomic():
        counts, plan = _sessions(rng, today, context)
    if connection.vendor == "postgresql":
        counts.update(_set_based(context, today, local_tz()))
    else:
        with transaction.atomic():
            counts.update(_row_by_row(context, *plan))
    reset_sequences(Session, AttendanceModel, Makeup, MemberYearHours, BranchYearMeetings)
    context.extra["education_year"] = today.year
    return counts


def _sessions(rng, today, context):
    """Sessions, the branches they count for, BranchYearMeetings (COPY, streamed); returns
    the rows written and what the row-by-row attendance needs to replay the plan."""
    tz = local_tz()
    now = max(timezone.now(), datetime(today.year, today.month, today.day, 12, tzinfo=tz))
    now = min(now, datetime(today.year, today.month, today.day, 23, 59, tzinfo=tz))
    months = _months(today)
    base = rng.random()
    first_id = allocate_ids(Session, 0).start
    counts = {}
    masks = defaultdict(lambda: dict.fromkeys(KINDS, 0))  # (branch, year) -> kind -> months

    def sessions():
        sid = first_id
        for info in context.branches:
            place = PLACES[info.id % len(PLACES)]
            groups_met = defaultdict(set)  # (year, month) -> indexes of groups that met
            for kind, org_id, g, y, m, day in _plan(info, base, months):
                tenths, title, _hour, minutes = KINDS[kind]
                starts = _starts(y, m, day, kind, tz)
                ends = starts + timedelta(minutes=minutes)
                state = SessionState.HELD if ends <= now else SessionState.PLANNED
                if state == SessionState.HELD and kind == SessionKind.GROUP_MEETING:
                    # Each group must meet: the month counts once every group has.
                    met = groups_met[(y, m)]
                    met.add(g)
                    if len(met) == len(info.group_ids):
                        masks[(info.id, y)][kind] |= 1 << (m - 1)
                elif state == SessionState.HELD:
                    masks[(info.id, y)][kind] |= 1 << (m - 1)
                # id, organization, what describes a session (SESSION_FIELDS, in order), state
                yield (
                    sid,
                    org_id,
                    kind,
                    title.format(y=y, m=m, q=(m - 1) // 3 + 1),
                    [TOPICS[(sid + k) % len(TOPICS)] for k in range(1 + sid % 2)],
                    starts,
                    ends,
                    place,
                    "",
                    LECTURERS[sid % len(LECTURERS)] if kind == SessionKind.PARTY_LECTURE else "",
                    f"{tenths / 10:.1f}",
                    "会议按议程进行，记录见附件。" if state == SessionState.HELD else "",
                    state,
                )
                sid += 1

    counts["session"] = insert(
        Session, ("id", "organization_id", *SESSION_FIELDS, "state"), sessions()
    )

    def through():
        sid = first_id
        for info in context.branches:
            for _plan_row in _plan(info, base, months):
                yield (sid, info.id)
                sid += 1

    counts["session_branches"] = insert(
        Session.branches.through, ("session_id", "organization_id"), through()
    )

    counts["branch_year_meetings"] = insert(
        BranchYearMeetings,
        ("branch_id", "year", *[str(k) for k in KINDS]),
        ((bid, y, *[v[k] for k in KINDS]) for (bid, y), v in sorted(masks.items())),
    )
    masks.clear()
    reset_sequences(Session)
    # Attendance, make-ups and the members' yearly hours: set-based SQL inside PostgreSQL
    # (elsewhere: the same rules row by row), chunk by chunk of branches.
    return counts, (base, months, now, today, tz, first_id)


BRANCH_CHUNK = 1000  # branches per INSERT ... SELECT of attendance (~600 000 rows)
LEADER_ROLES = (
    Role.SECRETARY,
    Role.DEPUTY_SECRETARY,
    Role.ORGANIZATION_OFFICER,
    Role.PUBLICITY_OFFICER,
    Role.DISCIPLINE_OFFICER,
)


def _tables():
    def t(model):
        return connection.ops.quote_name(model._meta.db_table)

    return {
        "attendance": t(AttendanceModel),
        "session": t(Session),
        "through": t(Session.branches.through),
        "member": t(Member),
        "position": t(Position),
        "makeup": t(Makeup),
        "hours": t(MemberYearHours),
    }


def _set_based(context, today, tz):
    """Attendance for every expected active member of every session (PENDING before it is
    held), a realistic mix (each member has their own reliability: 65 % turn up 96 % of the
    time, 25 % 82 %, 10 % 55 %), make-up study for some missed sessions and MemberYearHours,
    written by PostgreSQL itself (INSERT ... SELECT), branch chunk by branch chunk: no row
    passes through Python. Expected: every active member for a theme day, a general meeting
    or a Party lecture; the branch committee (open leadership positions) for a committee
    meeting; the group's members for a group meeting. Random draws from PostgreSQL's
    random() after setseed (the same run of statements gives the same rows)."""
    tables = _tables()
    counts = {"attendance": 0}
    tzname = str(tz)
    params = {
        "active": list(map(str, ACTIVE_STATUSES)),
        "leader_roles": list(map(str, LEADER_ROLES)),
        "held": str(SessionState.HELD),
        "group": str(SessionKind.GROUP_MEETING),
        "committee": str(SessionKind.COMMITTEE_MEETING),
        "now": timezone.now(),
    }
    att_cols, att_vals, att_params = other_columns(
        AttendanceModel, ("session_id", "member_id", "status", "hours", "checked_in_at", "note")
    )
    params.update(att_params)
    attendance_sql = f"""
        INSERT INTO {tables["attendance"]}
            (session_id, member_id, status, hours, checked_in_at, note{att_cols})
        SELECT x.sid, x.mid,
            CASE WHEN NOT x.held THEN 'pending'
                 WHEN x.u < x.rel THEN CASE WHEN x.u > x.rel * 0.93 THEN 'late' ELSE 'present' END
                 WHEN x.v < 0.6 THEN 'excused' ELSE 'absent' END,
            CASE WHEN x.held AND x.u < x.rel THEN x.hours ELSE 0 END,
            CASE WHEN x.held AND x.u < x.rel * 0.4
                 THEN x.starts_at - make_interval(mins => floor(x.u * 20)::int) END,
            CASE WHEN x.held AND x.u >= x.rel AND x.v < 0.6 THEN '请假' ELSE '' END
            {att_vals}
        FROM (
            SELECT s.id AS sid, m.id AS mid, s.state = %(held)s AS held, s.hours, s.starts_at,
                random() AS u, random() AS v,
                CASE WHEN (m.id * 7919) %% 100 < 65 THEN 0.96
                     WHEN (m.id * 7919) %% 100 < 90 THEN 0.82 ELSE 0.55 END AS rel
            FROM {tables["through"]} sb
            JOIN {tables["session"]} s ON s.id = sb.session_id
            JOIN {tables["member"]} m ON m.branch_id = sb.organization_id
            WHERE sb.organization_id BETWEEN %(lo)s AND %(hi)s
              AND m.branch_id BETWEEN %(lo)s AND %(hi)s
              AND m.status = ANY(%(active)s)
              AND CASE s.kind
                  WHEN %(group)s THEN m.group_id = s.organization_id
                  WHEN %(committee)s THEN EXISTS (
                      SELECT 1 FROM {tables["position"]} p
                      WHERE p.member_id = m.id AND p.organization_id = sb.organization_id
                        AND p.role = ANY(%(leader_roles)s) AND p.ended_on IS NULL)
                  ELSE true END
            ORDER BY s.id, m.id
        ) x
    """
    branches = context.branches
    chunks = [
        (k, branches[start].id, branches[min(start + BRANCH_CHUNK, len(branches)) - 1].id)
        for k, start in enumerate(range(0, len(branches), BRANCH_CHUNK))
    ]
    with connection.cursor() as cursor:
        bulk_session(cursor)
        # Fresh statistics: the planner must know the tables just written are large.
        for name in ("member", "position", "session", "through"):
            cursor.execute(f"ANALYZE {tables[name]}")

    def load(chunk):
        k, lo, hi = chunk
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [((k * 7919) % 10000) / 10000])
            cursor.execute(attendance_sql, {**params, "lo": lo, "hi": hi})
            return cursor.rowcount

    counts["attendance"] = sum(in_parallel(load, chunks))
    with connection.cursor() as cursor:
        bulk_session(cursor)
        cursor.execute(f"ANALYZE {tables['attendance']}")
        reviewed_at = datetime(today.year, today.month, today.day, 9, tzinfo=tz)
        # Make-up study for 15 % of the missed sessions, studied 2-20 days later (not after
        # today): 70 % confirmed, 20 % waiting, 10 % rejected.
        mk_cols, mk_vals, mk_params = other_columns(
            Makeup,
            (*MAKEUP_STUDY_COLUMNS, "state", "reviewed_at", "review_note"),
        )
        cursor.execute(
            f"""
            INSERT INTO {tables["makeup"]}
                (member_id, session_id, description, studied_on, hours, state,
                 reviewed_at, review_note{mk_cols})
            SELECT y.member_id, y.session_id, '自学会议精神并撰写学习体会', y.studied_on,
                y.hours, y.state,
                CASE WHEN y.state = 'submitted' THEN NULL ELSE %(reviewed_at)s END,
                CASE WHEN y.state = 'rejected' THEN '材料不全' ELSE '' END
                {mk_vals}
            FROM (
                SELECT a.member_id, a.session_id, s.hours,
                    (s.starts_at AT TIME ZONE %(tz)s)::date + (2 + floor(random() * 19))::int
                        AS studied_on,
                    CASE WHEN r < 0.7 THEN 'confirmed' WHEN r < 0.9 THEN 'submitted'
                         ELSE 'rejected' END AS state
                FROM (
                    SELECT a.member_id, a.session_id, random() AS r, random() AS pick
                    FROM {tables["attendance"]} a
                    WHERE a.status IN ('excused', 'absent')
                ) a
                JOIN {tables["session"]} s ON s.id = a.session_id
                WHERE a.pick < 0.15
            ) y
            WHERE y.studied_on <= %(today)s
            ORDER BY y.member_id, y.session_id
            """,
            {"reviewed_at": reviewed_at, "tz": tzname, "today": today, **mk_params},
        )
        counts["makeup"] = cursor.rowcount
        # The members' yearly hours, from the rows just written (as summaries.rebuild would).
        h_cols, h_vals, h_params = other_columns(MemberYearHours, HOURS_COLUMNS)
        cursor.execute(
            f"""
            INSERT INTO {tables["hours"]}
                (member_id, year, attended_hours, makeup_hours, sessions_held,
                 sessions_attended{h_cols})
            SELECT member_id, year, sum(attended), sum(makeup), sum(held), sum(came)
                {h_vals}
            FROM (
                SELECT a.member_id,
                    extract(year FROM s.starts_at AT TIME ZONE %(tz)s)::int AS year,
                    a.hours AS attended, 0 AS makeup, 1 AS held,
                    (a.status IN ('present', 'late'))::int AS came
                FROM {tables["attendance"]} a
                JOIN {tables["session"]} s ON s.id = a.session_id
                WHERE s.state = %(held)s
                UNION ALL
                SELECT mk.member_id, extract(year FROM mk.studied_on)::int, 0, mk.hours, 0, 0
                FROM {tables["makeup"]} mk WHERE mk.state = 'confirmed'
            ) t
            GROUP BY member_id, year
            ORDER BY member_id, year
            """,
            {"tz": tzname, "held": params["held"], **h_params},
        )
        counts["member_year_hours"] = cursor.rowcount
    return counts


def _row_by_row(context, base, months, now, today, tz, first_id):
    """Attendance, make-ups and MemberYearHours generated in Python (SQLite: the tests'
    embedded database). The same rules as _set_based."""
    # Attendance, with the summaries and make-ups gathered on the way.
    inactive = context.inactive_member_ids
    counts = {}
    hours_acc = defaultdict(lambda: [0, 0, 0, 0])  # (member, year) -> tenths, tenths, n, n
    makeups = []
    arng = Random(f"{base}:attendance")  # noqa: S311 - made-up data

    def attendance():
        sid = first_id
        for info in context.branches:
            active = [i for i in info.member_ids if i not in inactive]
            reliability = {}
            for mid in active:
                roll = arng.random()
                reliability[mid] = 0.96 if roll < 0.65 else 0.82 if roll < 0.9 else 0.55
            by_group = defaultdict(list)
            if info.group_ids:
                for mid in active:
                    by_group[(mid - info.first_member_id) % len(info.group_ids)].append(mid)
            leaders = [i for i in info.leader_ids if i not in inactive]
            for kind, _org, g, y, m, day in _plan(info, base, months):
                tenths, _title, _hour, minutes = KINDS[kind]
                starts = _starts(y, m, day, kind, tz)
                held = starts + timedelta(minutes=minutes) <= now
                if kind == SessionKind.COMMITTEE_MEETING:
                    expected = leaders
                elif kind == SessionKind.GROUP_MEETING:
                    expected = by_group[g]
                else:
                    expected = active
                for mid in expected:
                    if not held:
                        yield (sid, mid, AttendanceStatus.PENDING, "0.0", None, "")
                        continue
                    acc = hours_acc[(mid, y)]
                    acc[2] += 1
                    u = arng.random()
                    if u < reliability[mid]:
                        late = u > reliability[mid] * 0.93
                        acc[0] += tenths
                        acc[3] += 1
                        checked = (
                            starts - timedelta(minutes=int(u * 20))
                            if u < reliability[mid] * 0.4
                            else None
                        )
                        yield (
                            sid,
                            mid,
                            AttendanceStatus.LATE if late else AttendanceStatus.PRESENT,
                            f"{tenths / 10:.1f}",
                            checked,
                            "",
                        )
                        continue
                    excused = arng.random() < 0.6
                    yield (
                        sid,
                        mid,
                        AttendanceStatus.EXCUSED if excused else AttendanceStatus.ABSENT,
                        "0.0",
                        None,
                        "请假" if excused else "",
                    )
                    if arng.random() < MAKEUP_RATE:
                        studied = starts.date() + timedelta(days=arng.randint(2, 20))
                        if studied > today:
                            continue
                        roll = arng.random()
                        state = (
                            MakeupState.CONFIRMED
                            if roll < 0.7
                            else MakeupState.SUBMITTED
                            if roll < 0.9
                            else MakeupState.REJECTED
                        )
                        if state == MakeupState.CONFIRMED:
                            hours_acc[(mid, studied.year)][1] += tenths
                        makeups.append((mid, sid, studied, tenths, state))
                sid += 1

    counts["attendance"] = insert(
        AttendanceModel,
        ("session_id", "member_id", "status", "hours", "checked_in_at", "note"),
        attendance(),
    )
    reviewed_at = datetime(today.year, today.month, today.day, 9, tzinfo=tz)
    counts["makeup"] = insert(
        Makeup,
        (*MAKEUP_STUDY_COLUMNS, "state", "reviewed_at", "review_note"),
        (
            (
                mid,
                sid,
                "自学会议精神并撰写学习体会",
                studied,
                f"{tenths / 10:.1f}",
                state,
                None if state == MakeupState.SUBMITTED else reviewed_at,
                "材料不全" if state == MakeupState.REJECTED else "",
            )
            for mid, sid, studied, tenths, state in makeups
        ),
    )
    makeups.clear()
    counts["member_year_hours"] = insert(
        MemberYearHours,
        HOURS_COLUMNS,
        (
            (mid, y, f"{v[0] / 10:.1f}", f"{v[1] / 10:.1f}", v[2], v[3])
            for (mid, y), v in sorted(hours_acc.items())
        ),
    )
    hours_acc.clear()
    return counts
