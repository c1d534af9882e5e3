"""Reads behind education pages and exports; query counts independent of data size.

Study hours are summed by the database: a member's hours for a year are two correlated
subqueries (credited attendance at held sessions that started in that year in Asia/Shanghai,
plus confirmed make-up study dated in that year), and the required hours are a CASE over
whether the member held a committee role in a branch that year and over the requirement
that applies to their branch (the nearest organization above that sets one).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, ExtractMonth, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Member,
    Organization,
    OrganizationKind,
    Position,
    Role,
)
from members.pagination import NextPage
from members.permissions import loaded_positions, organizations_managed_by, scope_for

from .dates import month_bounds, quarter_months, year_bounds
from .figures import figures_for
from .models import (
    CREDITED_STATUSES,
    DEFAULT_CADENCE,
    REGULAR_KINDS,
    SESSION_FIELDS,
    Attendance,
    AttendanceStatus,
    ComplianceCadence,
    Frequency,
    HoursRequirement,
    Makeup,
    MakeupState,
    OrganizationStudyFigures,
    ReminderSettings,
    Session,
    SessionKind,
    SessionState,
    Topic,
)

DEFAULT_MEMBER_HOURS = Decimal("32.0")
DEFAULT_LEADER_HOURS = Decimal("56.0")
HOURS = DecimalField(max_digits=8, decimal_places=1)
ZERO = Value(Decimal("0.0"), output_field=HOURS)
STEPLEN = Organization.steplen


# --- settings that walk up the tree ---------------------------------------------------------


def _prefixes(path):
    """The paths of an organization and all its ancestors, nearest first."""
    return [path[:n] for n in range(len(path), 0, -STEPLEN)]


def _rows_by_path(queryset, roots, *, below=True):
    """{organization path: row} for rows on or above any of the root paths (and below them
    when `below`: pass below=False when the roots are the branches themselves)."""
    roots = list(roots)
    if not roots:
        return {}
    q = Q(organization__path__in={p for r in roots for p in _prefixes(r)})
    if below:
        for r in roots:
            q |= Q(organization__path__startswith=r)
    rows = queryset.filter(q).annotate(org_path=F("organization__path"))
    return {row.org_path: row for row in rows}


def _nearest(rows_by_path, path):
    for prefix in _prefixes(path):
        row = rows_by_path.get(prefix)
        if row is not None:
            return row
    return None


@dataclass(frozen=True)
class Requirement:
    member_hours: Decimal = DEFAULT_MEMBER_HOURS
    leader_hours: Decimal = DEFAULT_LEADER_HOURS


def requirements_by_path(roots, year, *, below=True):
    return _rows_by_path(HoursRequirement.objects.filter(year=year), roots, below=below)


def requirement_for(rows_by_path, path) -> Requirement:
    row = _nearest(rows_by_path, path)
    return Requirement(row.member_hours, row.leader_hours) if row else Requirement()


def hours_requirement(organization, year) -> Requirement:
    """The requirement for members of `organization` in `year` (one query)."""
    rows = requirements_by_path([organization.path], year, below=False)
    return requirement_for(rows, organization.path)


def cadence_for(rows_by_path, path):
    """{kind: frequency} for a branch: field by field, the nearest ancestor that sets it."""
    chain = [rows_by_path[p] for p in _prefixes(path) if p in rows_by_path]
    result = {}
    for kind in REGULAR_KINDS:
        for row in chain:
            value = getattr(row, kind)
            if value:
                result[kind] = value
                break
        else:
            result[kind] = DEFAULT_CADENCE[kind]
    return result


def reminder_settings_for(rows_by_path, path):
    return _nearest(rows_by_path, path) or ReminderSettings()


def reminder_settings_by_path(roots, *, below=True):
    return _rows_by_path(ReminderSettings.objects.all(), roots, below=below)


def cadences_by_path(roots, *, below=True):
    return _rows_by_path(ComplianceCadence.objects.all(), roots, below=below)


# --- study hours ----------------------------------------------------------------------------


def _summary_join(queryset, year):
    """LEFT JOIN each member's MemberYearHours row for `year` (alias `_yh`)."""
    return queryset.alias(_yh=FilteredRelation("year_hours", condition=Q(year_hours__year=year)))


def leader_ids(year):
    """Ids of members who held a committee role in a branch at some point of the year
    (uncorrelated, so PostgreSQL hashes it once rather than probing per member)."""
    return (
        Position.objects.filter(
            role__in=COMMITTEE_ROLES,
            organization__kind=OrganizationKind.BRANCH,
            started_on__lte=date(year, 12, 31),
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))
        .values("member_id")
    )


def leader_exists(year, *, hashed=False):
    """Held a committee role in a branch at some point of the year.

    A correlated EXISTS (an index probe per member: cheap for a branch or one member, and
    independent of the size of the tree), or with `hashed` an uncorrelated IN that
    PostgreSQL hashes once (cheaper when thousands of members are read)."""
    if hashed:
        return ExpressionWrapper(Q(pk__in=leader_ids(year)), output_field=BooleanField())
    return Exists(leader_ids(year).filter(member=OuterRef("pk")))


def _required_expr(requirement_of_branch, default=Requirement(), scale=lambda hours: hours):
    """CASE giving each member's required hours; requirement_of_branch: {branch_id: Req}.
    `scale` maps each requirement first (e.g. to the pace reached by this month)."""
    groups = {}
    for branch_id, req in requirement_of_branch.items():
        if req != default:
            groups.setdefault(req, []).append(branch_id)
    whens = []
    for req, ids in groups.items():
        whens.append(When(branch_id__in=ids, is_leader=True, then=Value(scale(req.leader_hours))))
        whens.append(When(branch_id__in=ids, then=Value(scale(req.member_hours))))
    whens.append(When(is_leader=True, then=Value(scale(default.leader_hours))))
    return Case(*whens, default=Value(scale(default.member_hours)), output_field=HOURS)


def with_hours(
    queryset,
    year,
    requirement_of_branch,
    *,
    alias=False,
    default=Requirement(),
    many=False,
    required=True,
):
    """Members with attended_hours, makeup_hours, total_hours, is_leader, required_hours.

    Hours come from the MemberYearHours summary (one LEFT JOIN), not from attendance."""
    qs = _summary_join(queryset, year)
    method = qs.alias if alias else qs.annotate
    qs = method(
        attended_hours=Coalesce(F("_yh__attended_hours"), ZERO, output_field=HOURS),
        makeup_hours=Coalesce(F("_yh__makeup_hours"), ZERO, output_field=HOURS),
        is_leader=leader_exists(year, hashed=many),
    )
    method = qs.alias if alias else qs.annotate
    qs = method(total_hours=F("attended_hours") + F("makeup_hours"))
    if not required:  # the caller works required_hours out from is_leader itself
        return qs
    method = qs.alias if alias else qs.annotate
    return method(required_hours=_required_expr(requirement_of_branch, default))


def pace_fraction(year, today=None):
    """Share of the year's requirement a member should have by now (whole months gone)."""
    today = today or timezone.localdate()
    if year < today.year:
        return Decimal(1)
    if year > today.year:
        return Decimal(0)
    return Decimal(today.month - 1) / 12


def _q1(value):
    """Hours to one decimal place (SQLite hands back sums without their scale)."""
    return Decimal(value or 0).quantize(Decimal("0.1"))


def _decorate(member, pace):
    for name in ("attended_hours", "makeup_hours", "total_hours", "required_hours"):
        setattr(member, name, _q1(getattr(member, name)))
    member.shortfall = max(member.required_hours - member.total_hours, Decimal(0))
    member.percent = (
        min(int(member.total_hours * 100 / member.required_hours), 100)
        if member.required_hours
        else 100
    )
    member.behind_pace = member.total_hours < (member.required_hours * pace).quantize(
        Decimal("0.1")
    )
    return member


def branch_hours_table(branch, year, requirement=None):
    """Every active member of the branch with their hours for the year. Two queries (one
    when the branch's `requirement` is given)."""
    req = requirement or hours_requirement(branch, year)
    qs = with_hours(
        Member.objects.active().filter(branch=branch).select_related("group"),
        year,
        {},
        required=False,  # one requirement for the branch: chosen below, not by SQL
    ).order_by("full_name", "id")
    pace = pace_fraction(year)
    rows = []
    for m in qs:
        m.required_hours = req.leader_hours if m.is_leader else req.member_hours
        rows.append(_decorate(m, pace))
    return rows


def _member_hours_row(member, year):
    """The member with their hours (summary row) and required hours, in one query: the
    requirement that applies (nearest organization above the branch that sets one) is
    read by two small subqueries rather than a query of its own."""
    nearest = (
        HoursRequirement.objects.filter(
            year=year, organization__path__in=_prefixes(member.branch.path)
        )
        .annotate(depth_len=Length("organization__path"))
        .order_by("-depth_len")
    )
    row = (
        with_hours(Member.objects.filter(pk=member.pk), year, {}, required=False)
        .annotate(
            req_member=Subquery(nearest.values("member_hours")[:1], output_field=HOURS),
            req_leader=Subquery(nearest.values("leader_hours")[:1], output_field=HOURS),
        )
        .get()
    )
    req = Requirement(
        row.req_member if row.req_member is not None else DEFAULT_MEMBER_HOURS,
        row.req_leader if row.req_leader is not None else DEFAULT_LEADER_HOURS,
    )
    row.required_hours = req.leader_hours if row.is_leader else req.member_hours
    return row


def member_hours(member, year, *, upcoming=False, now=None):
    """One member's hours for a year, with what is behind them. Three queries: the hours
    (summary row and requirement), the attendance rows (with, when `upcoming`, the planned
    sessions still ahead — read in the same query) and the make-up study."""
    row = _member_hours_row(member, year)
    _decorate(row, pace_fraction(year))
    start, end = year_bounds(year)
    now = now or timezone.now()
    in_year = Q(session__starts_at__gte=start, session__starts_at__lt=end) & ~Q(
        session__state=SessionState.CANCELLED
    )
    ahead = Q(session__state=SessionState.PLANNED, session__ends_at__gte=now)
    rows = list(
        Attendance.objects.filter(in_year | ahead if upcoming else in_year, member=member)
        .select_related("session", "session__organization")
        .order_by("-session__starts_at", "-session_id")
    )
    attendances = [
        a
        for a in rows
        if start <= a.session.starts_at < end and a.session.state != SessionState.CANCELLED
    ]
    coming = [a for a in reversed(rows) if a.session.is_planned and a.session.ends_at >= now]
    makeups = list(
        Makeup.objects.filter(
            member=member, studied_on__gte=date(year, 1, 1), studied_on__lt=date(year + 1, 1, 1)
        ).select_related("session")
    )
    open_makeup_ids = {m.session_id for m in makeups if m.state != MakeupState.REJECTED}
    for a in attendances:
        a.can_make_up = (
            a.session.is_held
            and a.status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
            and a.session_id not in open_makeup_ids
        )
    context = {"hours": row, "attendances": attendances, "makeups": makeups, "year": year}
    if upcoming:
        context["upcoming"] = coming[:5]
    return context


def branch_choices(user):
    """Branches whose hours and compliance the user may see."""
    return organizations_managed_by(
        user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
    ).order_by("path")


def rollup_roots(user):
    """The organizations an organizer's rollup starts from (admin: the tree's roots)."""
    scope = scope_for(user)
    if scope.is_admin:
        return list(Organization.objects.get_root_nodes())
    # The organizations came with the user's positions (scope_for): no query.
    by_path = {p.organization.path: p.organization for p in loaded_positions(user)}
    return [by_path[path] for path in sorted(scope.organizer_paths) if path in by_path]


def branches_below(organization):
    return Organization.objects.filter(
        organization.subtree_q(), kind=OrganizationKind.BRANCH
    ).order_by("path")


def child_branches(organization):
    """The branches directly under an organization (the org_depth_path index: no scan of
    the subtree)."""
    return Organization.objects.filter(
        path__startswith=organization.path,
        depth=organization.depth + 1,
        kind=OrganizationKind.BRANCH,
    ).order_by("path")


def _with_figures(org, row):
    """Copy a study figures row onto its organization as the rollup templates read it."""
    row = row or OrganizationStudyFigures(year=0)
    org.figures = row
    org.n_members = row.members
    org.n_leaders = row.leaders
    org.hours = _q1(row.hours)
    org.n_met = row.met
    org.n_behind = row.behind
    org.n_branches = row.branches
    org.average = (org.hours / row.members).quantize(Decimal("0.1")) if row.members else None
    return org


def hours_rollup(organization, branch_ids, year):
    """Per branch (ids given, e.g. a page of an export): members, leaders, hours, met,
    behind, from the branches' study figures. Two queries for any number of branches."""
    branches = list(Organization.objects.filter(pk__in=list(branch_ids)).order_by("path"))
    rows = figures_for([b.pk for b in branches], year)
    return [_with_figures(b, rows.get(b.pk)) for b in branches]


def rollup_totals(organization, year):
    """The organization's own figures row for the year (its whole subtree), on the
    organization (n_members, hours, n_behind, figures.computed_at...). One query."""
    return _with_figures(organization, figures_for([organization.pk], year).get(organization.pk))


def rollup_children(organization, year, *, page_number=None, per_page=50, branches=True):
    """One page of the organization's direct children (organizations, and branches unless
    `branches` is False) with their study figures, by path. One query (no count),
    whatever the size of the subtree: the children are found through the figures rows'
    parent."""
    rows = (
        OrganizationStudyFigures.objects.filter(parent=organization, year=year)
        .select_related("organization")
        .order_by("organization__path")
    )
    if not branches:
        rows = rows.exclude(organization__kind=OrganizationKind.BRANCH)
    page = NextPage(rows, page_number, per_page)
    page.object_list = [_with_figures(r.organization, r) for r in page.object_list]
    return page


# --- sessions -------------------------------------------------------------------------------


def session_list(queryset, *, year=None, state=None, organization=None):
    qs = queryset.select_related("organization").annotate(
        n_expected=Count("attendances"),
        n_present=Count("attendances", filter=Q(attendances__status__in=CREDITED_STATUSES)),
    )
    if year:
        start, end = year_bounds(year)
        qs = qs.filter(starts_at__gte=start, starts_at__lt=end)
    if state:
        qs = qs.filter(state=state)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    return qs.order_by("-starts_at", "-id")


def session_attendance(session):
    """Attendance rows of a session with their members, by name."""
    return list(
        session.attendances.select_related("member", "member__group").order_by(
            "member__full_name", "member_id"
        )
    )


def session_counts(session, *, rows=None):
    """Expected, present, late, excused, absent and pending: counted from the attendance
    `rows` when the caller has them (no query), else by the database."""
    if rows is not None:
        counts = dict.fromkeys(("present", "late", "excused", "absent", "pending"), 0)
        for a in rows:
            counts[a.status] = counts.get(a.status, 0) + 1
        return {"expected": len(rows), **counts}
    return session.attendances.aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        late=Count("pk", filter=Q(status=AttendanceStatus.LATE)),
        excused=Count("pk", filter=Q(status=AttendanceStatus.EXCUSED)),
        absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        pending=Count("pk", filter=Q(status=AttendanceStatus.PENDING)),
    )


def checkin_board(session):
    """What the check-in kiosk shows: {"expected", "arrived", "names"} with the names of the
    members who checked in or were marked present or late, newest first. One query."""
    rows = list(
        session.attendances.values_list("status", "checked_in_at", "member__full_name").order_by(
            F("checked_in_at").desc(nulls_last=True), "member__full_name"
        )
    )
    names = [name for status, _at, name in rows if status in CREDITED_STATUSES]
    return {"expected": len(rows), "arrived": len(names), "names": names}


def similar_sessions(organization, *, kind, starts_at, ends_at, limit=5):
    """Sessions (not cancelled) of `organization` of the same kind, starting the same day
    (Asia/Shanghai) and overlapping [starts_at, ends_at): probably the same one logged twice.
    One query."""
    if not (kind and starts_at and ends_at):
        return []
    day = timezone.localtime(starts_at).date()
    day_start = timezone.make_aware(timezone.datetime(day.year, day.month, day.day))
    return list(
        Session.objects.filter(
            Q(starts_at__lt=ends_at),
            organization=organization,
            kind=kind,
            starts_at__gte=day_start,
            starts_at__lt=day_start + timezone.timedelta(days=1),
            ends_at__gt=starts_at,
        )
        .exclude(state=SessionState.CANCELLED)
        .order_by("starts_at", "id")[:limit]
    )


def log_rows(session, organization):
    """What the logging page lists: every expected member plus the organization's other
    active members (unticked), so a secretary can mark anyone in one go. Two queries."""
    from .services import default_branches, default_expected_members

    rows = {}
    if session is not None:
        for a in session_attendance(session):
            rows[a.member_id] = {
                "member": a.member,
                "status": a.status,
                "hours": a.hours,
                "note": a.note,
            }
        branches = list(session.branches.all())
    else:
        branches = default_branches(organization)
    others = default_expected_members(organization, branches).exclude(pk__in=list(rows))
    for m in others.select_related("group").order_by("full_name", "id"):
        rows[m.pk] = {
            "member": m,
            "status": AttendanceStatus.PENDING if session is None else "",
            "hours": None,
            "note": "",
        }
    return sorted(rows.values(), key=lambda r: (r["member"].full_name, r["member"].pk))


def member_sessions_upcoming(member_id, *, limit=5, now=None):
    now = now or timezone.now()
    return list(
        Attendance.objects.filter(
            member_id=member_id, session__state=SessionState.PLANNED, session__ends_at__gte=now
        )
        .select_related("session", "session__organization")
        .order_by("session__starts_at")[:limit]
    )


def calendar_sessions(member_id, *, now=None, days_back=180):
    """Sessions a member is expected at, for their feed (recent past and the future)."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            attendances__member_id=member_id,
            starts_at__gte=now - timezone.timedelta(days=days_back),
        )
        .select_related("organization")
        .order_by("starts_at")
    )


def makeups_to_review(queryset):
    return (
        queryset.filter(state=MakeupState.SUBMITTED)
        .select_related("member", "member__branch", "session")
        .order_by("created_at", "id")
    )


# --- regular-meeting compliance -------------------------------------------------------------


CELL_OK, CELL_MISSING, CELL_DUE, CELL_FUTURE, CELL_NA = "ok", "missing", "due", "future", "na"


def _kind_label(kind):
    """The kind's label in the active language, as a plain string (cheap to join)."""
    return str(SessionKind(kind).label)


@dataclass
class BranchCompliance:
    branch: Organization
    cadence: dict
    # kind -> list of periods: {"months": range, "state": ..., "count": n}
    rows: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)

    @property
    def missing_total(self):
        return sum(self.missing.values())

    def month_cells(self):
        """For the organizer grid: per month, the kinds missing in a period ending then."""
        cells = [{"month": month, "missing": [], "due": []} for month in range(1, 13)]
        for kind, periods in self.rows.items():
            label = _kind_label(kind)
            for p in periods:
                if p["state"] == CELL_MISSING:
                    cells[p["months"][-1] - 1]["missing"].append(label)
                elif p["state"] == CELL_DUE:
                    cells[p["months"][-1] - 1]["due"].append(label)
        for cell in cells:
            cell["missing_text"] = "、".join(cell["missing"])
        return cells

    def due_now(self):
        return [
            SessionKind(kind).label
            for kind, periods in self.rows.items()
            if any(p["state"] == CELL_DUE and p["count"] == 0 for p in periods)
        ]


def _period_state(year, months, count, today):
    if count:
        return CELL_OK
    _, period_end = month_bounds(year, months[-1])
    start, _ = month_bounds(year, months[0])
    if period_end.date() <= today:
        return CELL_MISSING
    if start.date() <= today:
        return CELL_DUE
    return CELL_FUTURE


def compliance(branches, year, *, roots=None, today=None, counts=None, cadences=None):
    """Regular-meeting grid for each branch: five queries whatever the number of branches.

    One grouped count of held sessions by (branch, kind, month), the branches' Party groups
    and the group meetings each held (a month counts only when every group met), the
    branches that have Party groups (group meetings are only required there), and the
    cadence rows that apply.
    `roots` (organization paths containing every branch) lets the queries select by subtree
    rather than by a list of ids; without it the branches are selected by id.
    """
    today = today or timezone.localdate()
    branches = list(branches)
    start, end = year_bounds(year)
    through = Session.branches.through
    if roots is None:
        branch_q = Q(organization_id__in=[b.pk for b in branches])
        group_q = Q(parent_path__in=[b.path for b in branches])
    else:
        branch_q = group_q = Q(pk__in=[])
        for r in roots:
            branch_q |= Q(organization__path__startswith=r)
            group_q |= Q(path__startswith=r)
    if counts is not None:  # from BranchYearMeetings (compliance_page): no query here
        return _compliance_grid(branches, year, today, counts, cadences)
    counts = {}
    held = (
        through.objects.filter(
            branch_q,
            session__state=SessionState.HELD,
            session__kind__in=REGULAR_KINDS,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        )
        .annotate(month=ExtractMonth("session__starts_at"))
        .values("organization_id", "session__kind", "month")
        .annotate(n=Count("session_id", distinct=True))
        .order_by()
    )
    for r in held:
        counts[(r["organization_id"], r["session__kind"], r["month"])] = r["n"]
    # Group meetings are required of each Party group: a month counts when every group met.
    from .summaries import group_meeting_months

    gm_months, gm_branches = group_meeting_months(
        None, [year], paths={b.path: b.pk for b in branches}
    )
    for key in [k for k in counts if k[1] == SessionKind.GROUP_MEETING and k[0] in gm_branches]:
        del counts[key]
    for (branch_id, _y, month), n in gm_months.items():
        counts[(branch_id, SessionKind.GROUP_MEETING, month)] = n
    with_groups = set(
        Organization.objects.filter(kind=OrganizationKind.GROUP)
        .annotate(parent_path=Substr("path", 1, Length("path") - STEPLEN))
        .filter(group_q)
        .values_list("parent_path", flat=True)
        .distinct()
    )
    cadences = (
        cadences_by_path([b.path for b in branches], below=False)
        if roots is None
        else cadences_by_path(roots)
    )
    return _compliance_grid(branches, year, today, counts, cadences, with_groups)


def _compliance_grid(branches, year, today, counts, cadences, with_groups=None):
    """The grid from held counts {(branch_id, kind, month): n}; `with_groups` the paths of
    branches with Party groups (None: the branches' numchild tells)."""
    if with_groups is None:
        with_groups = {b.path for b in branches if b.numchild}
    states = {}
    result = []
    for b in branches:
        cadence = cadence_for(cadences, b.path)
        bc = BranchCompliance(branch=b, cadence=cadence)
        for kind in REGULAR_KINDS:
            freq = cadence[kind]
            if freq == Frequency.NONE or (
                kind == SessionKind.GROUP_MEETING and b.path not in with_groups
            ):
                bc.rows[kind] = [{"months": range(1, 13), "state": CELL_NA, "count": 0}]
                bc.missing[kind] = 0
                continue
            periods = (
                [range(m, m + 1) for m in range(1, 13)]
                if freq == Frequency.MONTHLY
                else [quarter_months(q) for q in range(1, 5)]
            )
            cells = []
            for months in periods:
                n = sum(counts.get((b.pk, kind, m), 0) for m in months)
                state_key = (months[0], months[-1], bool(n))
                state = states.get(state_key)
                if state is None:
                    state = states[state_key] = _period_state(year, months, n, today)
                cells.append({"months": months, "state": state, "count": n})
            bc.rows[kind] = cells
            bc.missing[kind] = sum(1 for c in cells if c["state"] == CELL_MISSING)
        result.append(bc)
    return result


def compliance_from_summary(branches, year, *, today=None):
    """The regular-meeting grid of these branches read from BranchYearMeetings (the month
    bits the services keep) rather than from the sessions: two queries for any number of
    branches (the bits, the cadence rows that apply)."""
    from .models import BranchYearMeetings

    today = today or timezone.localdate()
    branches = list(branches)
    counts = {}
    for row in BranchYearMeetings.objects.filter(branch__in=branches, year=year):
        for kind in REGULAR_KINDS:
            bits = getattr(row, kind) or 0
            for m in range(1, 13):
                if bits & (1 << (m - 1)):
                    counts[(row.branch_id, kind, m)] = 1
    cadences = cadences_by_path([b.path for b in branches], below=False)
    return _compliance_grid(branches, year, today, counts, cadences)


SORTS = ("missing", "name", *REGULAR_KINDS)


def compliance_sorted(items, sort):
    if sort == "name":
        return sorted(items, key=lambda bc: bc.branch.path)
    if sort in REGULAR_KINDS:
        return sorted(items, key=lambda bc: (-bc.missing.get(sort, 0), bc.branch.path))
    return sorted(items, key=lambda bc: (-bc.missing_total, bc.branch.path))


def _periods_done(year, today):
    """(months, quarters) whose period ended by `today` (as _period_state counts them)."""
    months = [m for m in range(1, 13) if month_bounds(year, m)[1].date() <= today]
    quarters = [q for q in range(1, 5) if quarter_months(q)[-1] in months]
    return months, quarters


def _missing_sql(kind, freq, months, quarters):
    """SQL: periods of `kind` that ended without a held meeting, from the summary's month
    bits (the LEFT JOINed BranchYearMeetings row is aliased _bym; bits are constants)."""
    if freq == Frequency.NONE:
        return "0"
    column = f"COALESCE(_bym.{connection.ops.quote_name(str(kind))}, 0)"
    bits = (
        [1 << (m - 1) for m in months]
        if freq == Frequency.MONTHLY
        else [0b111 << (3 * (q - 1)) for q in quarters]
    )
    if not bits:
        return "0"
    total = " + ".join(f"(CASE WHEN ({column} & {bit}) = 0 THEN 1 ELSE 0 END)" for bit in bits)
    if kind == SessionKind.GROUP_MEETING:  # only branches with Party groups hold them
        total = f"(CASE WHEN {qn_numchild()} > 0 THEN ({total}) ELSE 0 END)"
    return f"({total})"


def qn_numchild():
    qn = connection.ops.quote_name
    return f"{qn(Organization._meta.db_table)}.{qn('numchild')}"


def compliance_page(
    organization, year, *, sort="missing", page_number=None, per_page=50, today=None
):
    """The organizer's compliance rollup, one page of the branches directly under the
    organization (those further down are in their organization's figures, one click
    away): missing counts per kind are computed by the database from BranchYearMeetings
    (sorted and paginated there), the full grid only for the branches on the page. Query
    count and cost independent of the subtree's size."""
    today = today or timezone.localdate()
    months, quarters = _periods_done(year, today)
    cadences = cadences_by_path([organization.path])
    default = cadence_for(cadences, organization.path)
    groups = {}
    if any(len(p) > len(organization.path) for p in cadences):
        for pk, path in child_branches(organization).values_list("pk", "path"):
            cadence = cadence_for(cadences, path)
            if cadence != default:
                groups.setdefault(tuple(sorted(cadence.items())), []).append(pk)
    annotations = {}
    for kind in REGULAR_KINDS:
        sql = _missing_sql(kind, default[kind], months, quarters)
        if groups:
            whens = " ".join(
                f"WHEN {qn_numchild().replace('numchild', 'id')} IN "
                f"({', '.join(str(int(i)) for i in ids)}) "
                f"THEN {_missing_sql(kind, dict(cad)[kind], months, quarters)}"
                for cad, ids in groups.items()
            )
            sql = f"(CASE {whens} ELSE {sql} END)"
        annotations[f"missing_{kind}"] = RawSQL(sql, (), output_field=IntegerField())  # noqa: S611 - constants only
    masks = {f"mask_{kind}": F(f"_bym__{kind}") for kind in REGULAR_KINDS}
    qs = (
        child_branches(organization)
        .alias(
            _bym=FilteredRelation("meeting_summaries", condition=Q(meeting_summaries__year=year))
        )
        .annotate(**masks)
        .annotate(**annotations)
        .annotate(missing_total=reduce(lambda a, b: a + b, [F(k) for k in annotations]))
    )
    if sort == "name":
        qs = qs.order_by("path")
    elif sort in REGULAR_KINDS:
        qs = qs.order_by(f"-missing_{sort}", "path")
    else:
        qs = qs.order_by("-missing_total", "path")
    page = NextPage(qs, page_number, per_page)
    branches = list(page.object_list)
    counts = {}
    for b in branches:
        for kind in REGULAR_KINDS:
            mask = getattr(b, f"mask_{kind}") or 0
            for m in range(1, 13):
                if mask & (1 << (m - 1)):
                    counts[(b.pk, kind, m)] = 1
    page.object_list = compliance(branches, year, today=today, counts=counts, cadences=cadences)
    return page


# --- hooks called by branchsite and appraisal -----------------------------------------------


def record_section(member, *, year):
    """Context for education/_record_section.html on the member's record, or None."""
    context = member_hours(member, year, upcoming=year >= timezone.localdate().year)
    context.setdefault("upcoming", [])
    context["member"] = member
    return context


def dashboard_section(user, scope, *, year):
    """Context for education/_dashboard_section.html on the home dashboard, or None."""
    context = {"year": year, "upcoming": [], "branches": [], "is_organizer": scope.is_organizer}
    if scope.member_id:
        context["upcoming"] = member_sessions_upcoming(scope.member_id)
    if scope.led_branch_ids:
        branches = list(Organization.objects.filter(pk__in=scope.led_branch_ids).order_by("path"))
        rollup = {b.pk: b for b in _behind_by_branch(branches, year)}
        grid = compliance(branches, year)
        for bc in grid:
            bc.hours = rollup[bc.branch.pk]
        context["branches"] = grid
    if not (context["upcoming"] or context["branches"] or scope.is_organizer or scope.is_admin):
        return None
    return context


def _behind_by_branch(branches, year):
    reqs = requirements_by_path([b.path for b in branches], year, below=False)
    req_of = {b.pk: requirement_for(reqs, b.path) for b in branches}
    rows = (
        with_hours(
            Member.objects.active().filter(branch_id__in=list(req_of)), year, req_of, alias=True
        )
        .values("branch_id")
        .annotate(
            n_members=Count("pk"),
            n_behind=Count("pk", filter=Q(total_hours__lt=F("required_hours"))),
        )
        .order_by()
    )
    by = {r["branch_id"]: r for r in rows}
    for b in branches:
        b.n_members = by.get(b.pk, {}).get("n_members", 0)
        b.n_behind = by.get(b.pk, {}).get("n_behind", 0)
    return branches


def member_year_facts(member_ids, year):
    """{member_id: [(label, value), ...]}: study hours and attendance for appraisal pages.

    Two queries: the members with their hours and attendance counted by the database, and
    the requirements that apply to their branches.
    """
    member_ids = list(member_ids)
    if not member_ids:
        return {}
    branch_paths = dict(
        Member.objects.filter(pk__in=member_ids).values_list("branch_id", "branch__path")
    )
    reqs = requirements_by_path(set(branch_paths.values()), year, below=False)
    req_of = {bid: requirement_for(reqs, path) for bid, path in branch_paths.items()}
    rows = with_hours(Member.objects.filter(pk__in=member_ids), year, req_of).annotate(
        n_held=Coalesce(F("_yh__sessions_held"), 0),
        n_attended=Coalesce(F("_yh__sessions_attended"), 0),
    )
    facts = {}
    for m in rows:
        facts[m.pk] = [
            (
                _("Study hours %(year)s") % {"year": year},
                _("%(total)s of %(required)s hours")
                % {"total": _q1(m.total_hours), "required": _q1(m.required_hours)},
            ),
            (
                _("Sessions attended"),
                _("%(attended)s of %(held)s") % {"attended": m.n_attended, "held": m.n_held},
            ),
        ]
    return facts


def digest_recipients(branches):
    """Who gets a branch's monthly meetings digest: {branch_id: [member_id, ...]}.

    The current secretaries (and deputies); without one, the branch's other committee
    members; without a committee, the organizers of the nearest organization above that has
    any. Two queries whatever the number of branches."""
    branches = list(branches)
    rows = (
        Position.objects.current()
        .filter(
            organization_id__in=[b.pk for b in branches],
            role__in=COMMITTEE_ROLES,
            member__status__in=ACTIVE_STATUSES,
        )
        .order_by("member_id")
        .values_list("organization_id", "role", "member_id")
    )
    secretaries, committee = {}, {}
    for org_id, role, member_id in rows:
        committee.setdefault(org_id, []).append(member_id)
        if role in (Role.SECRETARY, Role.DEPUTY_SECRETARY):
            secretaries.setdefault(org_id, []).append(member_id)
    result = {}
    orphans = []
    for b in branches:
        if b.pk in secretaries:
            result[b.pk] = secretaries[b.pk]
        elif b.pk in committee:
            result[b.pk] = committee[b.pk]
        else:
            orphans.append(b)
    if orphans:
        ancestors = {b.path[:i] for b in orphans for i in range(STEPLEN, len(b.path), STEPLEN)}
        organizers = {}
        for path, member_id in (
            Position.objects.current()
            .filter(
                organization__path__in=ancestors,
                role=Role.ORGANIZER,
                member__status__in=ACTIVE_STATUSES,
            )
            .order_by("member_id")
            .values_list("organization__path", "member_id")
        ):
            organizers.setdefault(path, []).append(member_id)
        for b in orphans:
            for i in range(len(b.path) - STEPLEN, 0, -STEPLEN):
                if b.path[:i] in organizers:
                    result[b.pk] = organizers[b.path[:i]]
                    break
    return result


def expected_candidates(session):
    """Members who can be expected at a session, and the ids of those who are. Two queries."""
    from .services import default_expected_members

    current = set(session.attendances.values_list("member_id", flat=True))
    candidates = (
        Member.objects.filter(
            Q(pk__in=default_expected_members(session.organization, session.branches.all()))
            | Q(attendances__session=session)
        )
        .distinct()
        .order_by("full_name", "id")
    )
    return list(candidates), current


def missed_sessions(member):
    """Held sessions the member missed and has no open make-up study for."""
    return (
        Session.objects.filter(
            state=SessionState.HELD,
            attendances__member=member,
            attendances__status__in=(AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED),
        )
        .exclude(
            Exists(
                Makeup.objects.filter(session=OuterRef("pk"), member=member).exclude(
                    state=MakeupState.REJECTED
                )
            )
        )
        .order_by("-starts_at")
    )


# --- the session's change history (managers only, on session_detail) ----------------------

CHANGES_LIMIT = 50
SESSION_HISTORY_FIELDS = ("state", *SESSION_FIELDS)
ATTENDANCE_HISTORY_FIELDS = ("status", "hours", "checked_in_at", "note")


@dataclass
class Change:
    when: object
    who: str
    what: str  # the session, or the member whose attendance changed
    action: str  # "+" created, "~" changed, "-" removed
    fields: list = field(default_factory=list)  # [(label, old, new)]


def _display(model, name, value):
    if value is None or value == "":
        return "—"
    f = model._meta.get_field(name)
    if f.choices:
        return str(dict(f.choices).get(value, value))
    if name == "hours":
        return str(Decimal(str(value)).quantize(Decimal("0.1")))
    if name == "topics":
        labels = dict(Topic.choices)
        return "、".join(str(labels.get(t, t)) for t in value) or "—"
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return str(value)


def _history_with_previous(qs, fields):
    """The last CHANGES_LIMIT history rows, each with its previous values (one query: LAG
    over the object's own history)."""
    from django.db.models import Window
    from django.db.models.functions import Lag

    order = [F("history_date").asc(), F("history_id").asc()]
    lags = {
        f"prev_{name}": Window(Lag(name), partition_by=[F("id")], order_by=order) for name in fields
    }
    lags["prev_type"] = Window(Lag("history_type"), partition_by=[F("id")], order_by=order)
    return list(
        qs.annotate(**lags)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:CHANGES_LIMIT]
    )


def session_changes(session):
    """Who changed what on the session and its attendance, newest first, at most
    CHANGES_LIMIT entries. Two queries."""
    entries = []
    session_label = _("Session")
    for model, rows, fields, label_of in (
        (
            Session,
            _history_with_previous(
                Session.history.model.objects.filter(id=session.pk), SESSION_HISTORY_FIELDS
            ),
            SESSION_HISTORY_FIELDS,
            lambda r: session_label,
        ),
        (
            Attendance,
            _history_with_previous(
                Attendance.history.model.objects.filter(session_id=session.pk).select_related(
                    "member"
                ),
                ATTENDANCE_HISTORY_FIELDS,
            ),
            ATTENDANCE_HISTORY_FIELDS,
            lambda r: r.member.full_name if r.member else "—",
        ),
    ):
        for r in rows:
            changed = []
            if r.history_type == "~" and r.prev_type is not None:
                for name in fields:
                    old, new = getattr(r, f"prev_{name}"), getattr(r, name)
                    if old != new:
                        changed.append(
                            (
                                model._meta.get_field(name).verbose_name,
                                _display(model, name, old),
                                _display(model, name, new),
                            )
                        )
                if not changed:
                    continue
            user = r.history_user
            entries.append(
                Change(
                    when=r.history_date,
                    who=(user.get_full_name() or user.get_username()) if user else "—",
                    what=label_of(r),
                    action=r.history_type,
                    fields=changed,
                )
            )
    entries.sort(key=lambda c: c.when, reverse=True)
    return entries[:CHANGES_LIMIT]


def reminded_count(session):
    """How many members were already reminded of the session (one query)."""
    from django.contrib.contenttypes.models import ContentType

    from members.models import Notification

    from .reminders import KIND_SESSION

    return (
        Notification.objects.filter(
            kind=KIND_SESSION,
            subject_type=ContentType.objects.get_for_model(Session),
            subject_id=str(session.pk),
        )
        .values("recipient_id")
        .distinct()
        .count()
    )


# --- a member's own page: home and /me/ ----------------------------------------------------


def member_overview(member, year, *, now=None):
    """What a member's home and /me/ open with, in two queries: their hours for `year` against
    the requirement (summary row), and one read of their attendance — the year's sessions and
    the sessions still ahead, each with whether a make-up study is already open for it.

    Returns {"hours", "year", "attendances" (the year's, newest first), "month" (this month's
    sessions, in order), "checkin_today" (sessions open for check-in now where the member has
    not checked in), "makeups_owed" (held sessions of the year missed with no make-up yet),
    "upcoming"}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    row = _member_hours_row(member, year)
    _decorate(row, pace_fraction(year, today))
    start, end = year_bounds(year)
    month_start, month_end = month_bounds(today.year, today.month)
    in_year = Q(session__starts_at__gte=start, session__starts_at__lt=end)
    this_month = Q(session__starts_at__gte=month_start, session__starts_at__lt=month_end)
    ahead = Q(session__state=SessionState.PLANNED, session__ends_at__gte=now)
    rows = list(
        Attendance.objects.filter(in_year | this_month | ahead, member=member)
        .exclude(session__state=SessionState.CANCELLED)
        .select_related("session", "session__organization")
        .annotate(
            makeup_open=Exists(
                Makeup.objects.filter(member_id=member.pk, session_id=OuterRef("session_id"))
                .exclude(state=MakeupState.REJECTED)
                .values("pk")
            )
        )
        .order_by("-session__starts_at", "-session_id")
    )
    from .services import CHECKIN_OPENS_BEFORE

    missed = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
    attendances = [a for a in rows if start <= a.session.starts_at < end]
    for a in attendances:
        a.can_make_up = a.session.is_held and a.status in missed and not a.makeup_open
    return {
        "hours": row,
        "year": year,
        "attendances": attendances,
        "month": [a for a in reversed(rows) if month_start <= a.session.starts_at < month_end],
        "checkin_today": [
            a
            for a in reversed(rows)
            if a.session.is_planned
            and a.status == AttendanceStatus.PENDING
            and a.session.starts_at - CHECKIN_OPENS_BEFORE <= now <= a.session.ends_at
        ],
        "makeups_owed": [a for a in attendances if a.can_make_up],
        "upcoming": [
            a for a in reversed(rows) if a.session.is_planned and a.session.ends_at >= now
        ][:5],
    }
