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

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
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
from members.permissions import organizations_managed_by, scope_for

from .dates import month_bounds, quarter_months, year_bounds
from .models import (
    CREDITED_STATUSES,
    DEFAULT_CADENCE,
    REGULAR_KINDS,
    Attendance,
    AttendanceStatus,
    ComplianceCadence,
    Frequency,
    HoursRequirement,
    Makeup,
    MakeupState,
    ReminderSettings,
    Session,
    SessionKind,
    SessionState,
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


def credited_attendance(year):
    start, end = year_bounds(year)
    return Attendance.objects.filter(
        status__in=CREDITED_STATUSES,
        session__state=SessionState.HELD,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    )


def confirmed_makeups(year):
    return Makeup.objects.filter(
        state=MakeupState.CONFIRMED,
        studied_on__gte=date(year, 1, 1),
        studied_on__lt=date(year + 1, 1, 1),
    )


def _sum_sq(queryset):
    return Coalesce(
        Subquery(
            queryset.filter(member=OuterRef("pk"))
            .order_by()
            .values("member_id")
            .annotate(s=Sum("hours"))
            .values("s")[:1],
            output_field=HOURS,
        ),
        ZERO,
        output_field=HOURS,
    )


def leader_exists(year):
    """Held a committee role in a branch at some point of the year."""
    return Exists(
        Position.objects.filter(
            member=OuterRef("pk"),
            role__in=COMMITTEE_ROLES,
            organization__kind=OrganizationKind.BRANCH,
            started_on__lte=date(year, 12, 31),
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))
    )


def _required_expr(requirement_of_branch, default=Requirement()):
    """CASE giving each member's required hours; requirement_of_branch: {branch_id: Req}."""
    groups = {}
    for branch_id, req in requirement_of_branch.items():
        if req != default:
            groups.setdefault(req, []).append(branch_id)
    whens = []
    for req, ids in groups.items():
        whens.append(When(branch_id__in=ids, is_leader=True, then=Value(req.leader_hours)))
        whens.append(When(branch_id__in=ids, then=Value(req.member_hours)))
    whens.append(When(is_leader=True, then=Value(default.leader_hours)))
    return Case(*whens, default=Value(default.member_hours), output_field=HOURS)


def with_hours(queryset, year, requirement_of_branch, *, alias=False, default=Requirement()):
    """Members with attended_hours, makeup_hours, total_hours, is_leader, required_hours."""
    method = queryset.alias if alias else queryset.annotate
    qs = method(
        attended_hours=_sum_sq(credited_attendance(year)),
        makeup_hours=_sum_sq(confirmed_makeups(year)),
        is_leader=leader_exists(year),
    )
    method = qs.alias if alias else qs.annotate
    qs = method(total_hours=F("attended_hours") + F("makeup_hours"))
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


def branch_hours_table(branch, year):
    """Every active member of the branch with their hours for the year. Two queries."""
    req = hours_requirement(branch, year)
    qs = with_hours(
        Member.objects.active().filter(branch=branch).select_related("group"),
        year,
        {branch.pk: req},
    ).order_by("full_name", "id")
    pace = pace_fraction(year)
    return [_decorate(m, pace) for m in qs]


def member_hours(member, year):
    """One member's hours for a year, with what is behind them. Four queries."""
    req = hours_requirement(member.branch, year)
    row = with_hours(Member.objects.filter(pk=member.pk), year, {member.branch_id: req}).get()
    _decorate(row, pace_fraction(year))
    start, end = year_bounds(year)
    attendances = list(
        Attendance.objects.filter(
            member=member, session__starts_at__gte=start, session__starts_at__lt=end
        )
        .exclude(session__state=SessionState.CANCELLED)
        .select_related("session", "session__organization")
        .order_by("-session__starts_at")
    )
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
    return {"hours": row, "attendances": attendances, "makeups": makeups, "year": year}


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
    return list(Organization.objects.filter(path__in=scope.organizer_paths).order_by("path"))


def branches_below(organization):
    return Organization.objects.filter(
        organization.subtree_q(), kind=OrganizationKind.BRANCH
    ).order_by("path")


def hours_rollup(organization, branch_ids, year):
    """Per branch: members, leaders, hours, how many are behind. Two queries for any size."""
    branches = list(Organization.objects.filter(pk__in=branch_ids).order_by("path"))
    reqs = requirements_by_path([organization.path], year)
    req_of = {b.pk: requirement_for(reqs, b.path) for b in branches}
    rows = (
        with_hours(
            Member.objects.filter(branch_id__in=branch_ids, status__in=ACTIVE_STATUSES),
            year,
            req_of,
            alias=True,
        )
        .values("branch_id")
        .annotate(
            n_members=Count("pk"),
            n_leaders=Count("pk", filter=Q(is_leader=True)),
            hours=Sum("total_hours"),
            n_behind=Count("pk", filter=Q(total_hours__lt=F("required_hours"))),
        )
        .order_by()
    )
    by_branch = {r["branch_id"]: r for r in rows}
    for b in branches:
        r = by_branch.get(b.pk, {})
        b.n_members = r.get("n_members", 0)
        b.n_leaders = r.get("n_leaders", 0)
        b.hours = _q1(r.get("hours"))
        b.n_behind = r.get("n_behind", 0)
        b.n_met = b.n_members - b.n_behind
        b.average = (b.hours / b.n_members).quantize(Decimal("0.1")) if b.n_members else None
        b.requirement = req_of[b.pk]
    return branches


def hours_rollup_totals(organization, year):
    """Totals over the whole subtree (one query; requirement defaults and overrides)."""
    reqs = requirements_by_path([organization.path], year)
    default = requirement_for(reqs, organization.path)
    req_of = {}
    if any(len(p) > len(organization.path) for p in reqs):
        # Overrides inside the subtree: resolve each branch (ids and paths only).
        for b in branches_below(organization).only("pk", "path").iterator(chunk_size=2000):
            req_of[b.pk] = requirement_for(reqs, b.path)
    return with_hours(
        Member.objects.active().filter(branch__path__startswith=organization.path),
        year,
        req_of,
        default=default,
    ).aggregate(
        n_members=Count("pk"),
        hours=Coalesce(Sum("total_hours"), ZERO),
        n_behind=Count("pk", filter=Q(total_hours__lt=F("required_hours"))),
    )


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


def session_counts(session):
    return session.attendances.aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        late=Count("pk", filter=Q(status=AttendanceStatus.LATE)),
        excused=Count("pk", filter=Q(status=AttendanceStatus.EXCUSED)),
        absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        pending=Count("pk", filter=Q(status=AttendanceStatus.PENDING)),
    )


def log_rows(session, organization):
    """What the logging page lists: every expected member plus the organization's other
    active members (unticked), so a secretary can mark anyone in one go. Two queries."""
    from .services import default_branches, default_expected_members

    rows = {}
    if session is not None:
        for a in session_attendance(session):
            rows[a.member_id] = {"member": a.member, "status": a.status, "hours": a.hours}
        branches = list(session.branches.all())
    else:
        branches = default_branches(organization)
    others = default_expected_members(organization, branches).exclude(pk__in=list(rows))
    for m in others.select_related("group").order_by("full_name", "id"):
        rows[m.pk] = {
            "member": m,
            "status": AttendanceStatus.PENDING if session is None else "",
            "hours": None,
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
        cells = []
        for month in range(1, 13):
            missing, due = [], []
            for kind, periods in self.rows.items():
                for p in periods:
                    if p["months"][-1] == month and p["state"] == CELL_MISSING:
                        missing.append(SessionKind(kind).label)
                    elif p["months"][-1] == month and p["state"] == CELL_DUE:
                        due.append(SessionKind(kind).label)
            cells.append({"month": month, "missing": missing, "due": due})
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


def compliance(branches, year, *, roots=None, today=None):
    """Regular-meeting grid for each branch: three queries whatever the number of branches.

    One grouped count of held sessions by (branch, kind, month), the branches that have Party
    groups (group meetings are only required there), and the cadence rows that apply.
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
                cells.append(
                    {"months": months, "state": _period_state(year, months, n, today), "count": n}
                )
            bc.rows[kind] = cells
            bc.missing[kind] = sum(1 for c in cells if c["state"] == CELL_MISSING)
        result.append(bc)
    return result


SORTS = ("missing", "name", *REGULAR_KINDS)


def compliance_sorted(items, sort):
    if sort == "name":
        return sorted(items, key=lambda bc: bc.branch.path)
    if sort in REGULAR_KINDS:
        return sorted(items, key=lambda bc: (-bc.missing.get(sort, 0), bc.branch.path))
    return sorted(items, key=lambda bc: (-bc.missing_total, bc.branch.path))


# --- hooks called by branchsite and appraisal -----------------------------------------------


def record_section(member, *, year):
    """Context for education/_record_section.html on the member's record, or None."""
    context = member_hours(member, year)
    context["upcoming"] = (
        member_sessions_upcoming(member.pk) if year >= timezone.localdate().year else []
    )
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
    start, end = year_bounds(year)
    in_year = Q(
        attendances__session__state=SessionState.HELD,
        attendances__session__starts_at__gte=start,
        attendances__session__starts_at__lt=end,
    )
    branch_paths = dict(
        Member.objects.filter(pk__in=member_ids).values_list("branch_id", "branch__path")
    )
    reqs = requirements_by_path(set(branch_paths.values()), year, below=False)
    req_of = {bid: requirement_for(reqs, path) for bid, path in branch_paths.items()}
    rows = with_hours(Member.objects.filter(pk__in=member_ids), year, req_of).annotate(
        n_held=Count("attendances", filter=in_year),
        n_attended=Count(
            "attendances", filter=in_year & Q(attendances__status__in=CREDITED_STATUSES)
        ),
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


def secretaries_of(branch_ids):
    """Current secretaries (and deputies) of the branches: {branch_id: [member_id, ...]}."""
    rows = (
        Position.objects.current()
        .filter(
            organization_id__in=list(branch_ids),
            role__in=(Role.SECRETARY, Role.DEPUTY_SECRETARY),
            member__status__in=ACTIVE_STATUSES,
        )
        .values_list("organization_id", "member_id")
    )
    result = {}
    for org_id, member_id in rows:
        result.setdefault(org_id, []).append(member_id)
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
