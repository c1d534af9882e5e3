"""Study hours, summed by the database, and the one definition of "behind on hours".

A member's hours for a year come from their MemberYearHours summary row (one LEFT JOIN); the
required hours are a CASE over whether the member held a committee role in a branch that
year and over the requirement that applies to their branch (the nearest organization above
that sets one).
"""

from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.translation import gettext as _

from members.compiled import (
    Param,
    compiled_queryset,
    params,
    year_first_day,
    year_last_day,
)
from members.models import COMMITTEE_ROLES, Member, OrganizationKind, Position

from ..dates import year_bounds
from ..models.makeups import Makeup, MakeupState
from ..models.org_settings import HoursRequirement
from ..models.sessions import Attendance, AttendanceStatus, SessionState
from .org_settings import (
    DEFAULT_LEADER_HOURS,
    DEFAULT_MEMBER_HOURS,
    Requirement,
    hours_requirement,
    path_prefixes,
    requirement_for,
    requirements_by_path,
)

HOURS = DecimalField(max_digits=8, decimal_places=1)
ZERO = Value(Decimal("0.0"), output_field=HOURS)

DEFAULT_REQUIREMENT = Requirement()  # where no organization above sets one


def _summary_join(queryset, year):
    """LEFT JOIN each member's MemberYearHours row for `year` (alias `_yh`)."""
    return queryset.alias(_yh=FilteredRelation("year_hours", condition=Q(year_hours__year=year)))


def leader_ids(year, *, branch_ids=None):
    """Ids of members who held a committee role in a branch at some point of the year
    (uncorrelated, so PostgreSQL hashes it once rather than probing per member). With
    `branch_ids`, only of members now in these branches: the set hashed is then as large
    as the branches read, not as every branch leader in the country."""
    qs = Position.objects.filter(
        role__in=COMMITTEE_ROLES,
        organization__kind=OrganizationKind.BRANCH,
        started_on__lte=year_last_day(year),
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=year_first_day(year)))
    if branch_ids is not None:
        qs = qs.filter(member__branch_id__in=list(branch_ids))
    return qs.values("member_id")


def leader_exists(year, *, hashed=False, branch_ids=None):
    """Held a committee role in a branch at some point of the year.

    A correlated EXISTS (an index probe per member: cheap for a branch or one member, and
    independent of the size of the tree), or with `hashed` an uncorrelated IN that
    PostgreSQL hashes once (cheaper when thousands of members are read); `branch_ids`
    (the branches the members read are in) keeps that IN to their leaders."""
    if hashed:
        return ExpressionWrapper(
            Q(pk__in=leader_ids(year, branch_ids=branch_ids)), output_field=BooleanField()
        )
    return Exists(leader_ids(year).filter(member=OuterRef("pk")))


def _required_expr(requirement_of_branch, default=DEFAULT_REQUIREMENT, scale=lambda hours: hours):
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
    default=DEFAULT_REQUIREMENT,
    many=False,
    branch_ids=None,
    required=True,
):
    """Members with attended_hours, makeup_hours, total_hours, is_leader, required_hours.

    Hours come from the MemberYearHours summary (one LEFT JOIN), not from attendance.
    `many`: thousands of members are read (see leader_exists); `branch_ids`: they are all
    in these branches."""
    qs = _summary_join(queryset, year)
    method = qs.alias if alias else qs.annotate
    qs = method(
        attended_hours=Coalesce(F("_yh__attended_hours"), ZERO, output_field=HOURS),
        makeup_hours=Coalesce(F("_yh__makeup_hours"), ZERO, output_field=HOURS),
        is_leader=leader_exists(year, hashed=many, branch_ids=branch_ids),
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


# "Behind on hours", the one definition. A member is behind when their credited hours
# (attended + confirmed make-up) are below `pace_hours`: the year's requirement times the share
# of the year gone (whole months), to one decimal. The member's page, the branch table, the
# study figures of every organization, the secretary's dashboard and the monthly nudge all use
# it: `is_behind` for a row already read, `with_behind` (the annotation `behind`) for the
# database.


def pace_hours(required, pace):
    """The hours a member should have by now to stay on course for `required`."""
    return (Decimal(required) * pace).quantize(Decimal("0.1"))


def is_behind(total_hours, required_hours, pace):
    return total_hours < pace_hours(required_hours, pace)


def with_behind(queryset, year, requirement_of_branch, *, today=None, many=False, branch_ids=None):
    """`with_hours` (aliased) plus `pace_hours` and the boolean `behind` (see above)."""
    pace = pace_fraction(year, today)
    qs = with_hours(
        queryset, year, requirement_of_branch, alias=True, many=many, branch_ids=branch_ids
    )
    qs = qs.alias(
        pace_hours=_required_expr(
            requirement_of_branch, scale=lambda hours: pace_hours(hours, pace)
        )
    )
    return qs.alias(
        behind=ExpressionWrapper(Q(total_hours__lt=F("pace_hours")), output_field=BooleanField())
    )


def round_hours(value):
    """Hours to one decimal place (SQLite hands back sums without their scale)."""
    return Decimal(value or 0).quantize(Decimal("0.1"))


def decorate_hours(member, pace):
    for name in ("attended_hours", "makeup_hours", "total_hours", "required_hours"):
        setattr(member, name, round_hours(getattr(member, name)))
    member.shortfall = max(member.required_hours - member.total_hours, Decimal(0))
    member.percent = (
        min(int(member.total_hours * 100 / member.required_hours), 100)
        if member.required_hours
        else 100
    )
    member.behind_pace = is_behind(member.total_hours, member.required_hours, pace)
    return member


@compiled_queryset
def _branch_hours_rows():
    return with_hours(
        Member.objects.active().filter(branch_id=Param("branch")).select_related("group"),
        Param("year"),
        {},
        required=False,  # one requirement for the branch: chosen by the caller, not by SQL
    ).order_by("full_name", "id")


def branch_hours_table(branch, year, requirement=None):
    """Every active member of the branch with their hours for the year. Two queries (one
    when the branch's `requirement` is given)."""
    req = requirement or hours_requirement(branch, year)
    pace = pace_fraction(year)
    rows = []
    for m in _branch_hours_rows(branch=branch.pk, year=year):
        m.required_hours = req.leader_hours if m.is_leader else req.member_hours
        rows.append(decorate_hours(m, pace))
    return rows


@compiled_queryset
def _member_hours_row(*, depth):
    """One member's hours for a year (Params "member", "year") with the requirements of the
    organizations at "paths" (the branch's and its `depth` - 1 ancestors'), nearest first."""
    year = Param("year")
    nearest = (
        HoursRequirement.objects.filter(
            year=year, organization__path__in=params("paths", depth, CharField())
        )
        .annotate(depth_len=Length("organization__path"))
        .order_by("-depth_len")
    )
    member = Member.objects.filter(pk=Param("member")).order_by()  # one row: no sort
    return with_hours(member, year, {}, required=False).annotate(
        req_member=Subquery(nearest.values("member_hours")[:1], output_field=HOURS),
        req_leader=Subquery(nearest.values("leader_hours")[:1], output_field=HOURS),
    )


def member_hours_row(member, year):
    """The member with their hours (summary row) and required hours, in one query: the
    requirement that applies (nearest organization above the branch that sets one) is
    read by two small subqueries rather than a query of its own."""
    paths = path_prefixes(member.branch.path)
    (row,) = _member_hours_row(depth=len(paths), member=member.pk, year=year, paths=paths)
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
    row = member_hours_row(member, year)
    decorate_hours(row, pace_fraction(year))
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


def behind_by_branch(branches, year):
    reqs = requirements_by_path([b.path for b in branches], year, below=False)
    req_of = {b.pk: requirement_for(reqs, b.path) for b in branches}
    rows = (
        with_behind(Member.objects.active().filter(branch_id__in=list(req_of)), year, req_of)
        .values("branch_id")
        .annotate(n_members=Count("pk"), n_behind=Count("pk", filter=Q(behind=True)))
        .order_by()
    )
    by = {r["branch_id"]: r for r in rows}
    for b in branches:
        b.n_members = by.get(b.pk, {}).get("n_members", 0)
        b.n_behind = by.get(b.pk, {}).get("n_behind", 0)
    return branches


@compiled_queryset
def _year_facts_rows(*, n):
    """`n` members with their hours and sessions of a year (required hours: by the caller),
    as (branch path, is leader, total hours, sessions attended, sessions held) by id."""
    members = Member.objects.filter(pk__in=params("members", n))
    return (
        with_hours(members, Param("year"), {}, required=False)
        .annotate(
            n_held=Coalesce(F("_yh__sessions_held"), 0),
            n_attended=Coalesce(F("_yh__sessions_attended"), 0),
        )
        .values_list("pk", "branch__path", "is_leader", "total_hours", "n_attended", "n_held")
    )


def member_year_facts(member_ids, year):
    """{member_id: [(label, value), ...]}: study hours and attendance for appraisal pages.

    Two queries: the members with their branch's path and their hours and attendance counted
    by the database (as tuples: no model instance per member), then the requirements that
    apply to their branches.
    """
    member_ids = list(member_ids)
    if not member_ids:
        return {}
    rows = list(_year_facts_rows(n=len(member_ids), members=member_ids, year=year))
    paths = {row[1] for row in rows}
    reqs = requirements_by_path(paths, year, below=False)
    req_of = {path: requirement_for(reqs, path) for path in paths}
    # The labels and formats translated once, not once per member.
    hours_label, hours_text = (
        _("Study hours %(year)s") % {"year": year},
        _("%(total)s of %(required)s hours"),
    )
    sessions_label, sessions_text = _("Sessions attended"), _("%(attended)s of %(held)s")
    facts = {}
    for pk, path, is_leader, total_hours, attended, held in rows:
        req = req_of[path]
        required_hours = req.leader_hours if is_leader else req.member_hours
        facts[pk] = [
            (
                hours_label,
                hours_text
                % {"total": round_hours(total_hours), "required": round_hours(required_hours)},
            ),
            (sessions_label, sessions_text % {"attended": attended, "held": held}),
        ]
    return facts
