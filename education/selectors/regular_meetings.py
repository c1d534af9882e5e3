"""Regular-meeting compliance (三会一课 and the theme day): the grid per branch, read from the
sessions or from the BranchYearMeetings month bits, and the organizer's sorted page."""

from dataclasses import dataclass, field
from functools import reduce

from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, Length, Substr
from django.db.models.lookups import Exact
from django.utils import timezone

from members.compiled import Param, compiled_queryset
from members.models import Organization, OrganizationKind
from members.pagination import NextPage

from ..dates import month_bounds, quarter_months, year_bounds
from ..models.org_settings import Frequency
from ..models.sessions import REGULAR_KINDS, Session, SessionKind, held_meeting_q
from .org_settings import STEPLEN, cadence_for, cadences_by_path
from .rollup import branches_at, child_branches

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

    def month_cells(self, labels=None):
        """For the organizer grid: per month, the kinds missing in a period ending then.
        `labels` {kind: label}: the kinds' labels translated once for a whole list."""
        cells = [{"month": month, "missing": [], "due": []} for month in range(1, 13)]
        for kind, periods in self.rows.items():
            label = labels[kind] if labels else _kind_label(kind)
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
        return compliance_grid(branches, year, today, counts, cadences)
    counts = {}
    held = (
        through.objects.filter(
            branch_q,
            held_meeting_q("session__"),
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
    from ..summaries import group_meeting_months

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
    return compliance_grid(branches, year, today, counts, cadences, with_groups)


# The periods of a monthly and of a quarterly kind (each a range of months).
_MONTHS = tuple(range(m, m + 1) for m in range(1, 13))
_QUARTERS = tuple(quarter_months(q) for q in range(1, 5))
# (month, its bit in BranchYearMeetings' month bits)
_MONTH_BITS = tuple((m, 1 << (m - 1)) for m in range(1, 13))


def compliance_grid(branches, year, today, counts, cadences, with_groups=None):
    """The grid from held counts {(branch_id, kind, month): n}; `with_groups` the paths of
    branches with Party groups (None: the branches' numchild tells)."""
    if with_groups is None:
        with_groups = {b.path for b in branches if b.numchild}
    count_of = counts.get
    states = {}  # (first month, last month, any held) -> the period's state
    result = []
    for b in branches:
        pk = b.pk
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
            cells = []
            missing = 0
            for months in _MONTHS if freq == Frequency.MONTHLY else _QUARTERS:
                n = 0
                for m in months:
                    n += count_of((pk, kind, m), 0)
                state_key = (months[0], months[-1], bool(n))
                state = states.get(state_key)
                if state is None:
                    state = states[state_key] = _period_state(year, months, n, today)
                if state == CELL_MISSING:
                    missing += 1
                cells.append({"months": months, "state": state, "count": n})
            bc.rows[kind] = cells
            bc.missing[kind] = missing
        result.append(bc)
    return result


def compliance_from_summary(branches, year, *, today=None):
    """The regular-meeting grid of these branches read from BranchYearMeetings (the month
    bits the services keep) rather than from the sessions: two queries for any number of
    branches (the bits, the cadence rows that apply)."""
    from ..models.summaries import BranchYearMeetings

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
    return compliance_grid(branches, year, today, counts, cadences)


SORTS = ("missing", "name", *REGULAR_KINDS)


def _periods_done(year, today):
    """(months, quarters) whose period ended by `today` (as _period_state counts them)."""
    months = [m for m in range(1, 13) if month_bounds(year, m)[1].date() <= today]
    quarters = [q for q in range(1, 5) if quarter_months(q)[-1] in months]
    return months, quarters


def _missing_expr(kind, freq, months, quarters):
    """Expression: periods of `kind` that ended without a held meeting, from the summary's
    month bits (the LEFT JOINed BranchYearMeetings row is aliased _bym). The same rule as
    `compliance_grid` (a monthly kind needs a meeting in each month, a quarterly one in each
    quarter; group meetings only in branches that have Party groups), in the database."""
    if freq == Frequency.NONE:
        return Value(0)
    bits = (
        [1 << (m - 1) for m in months]
        if freq == Frequency.MONTHLY
        else [0b111 << (3 * (q - 1)) for q in quarters]
    )
    if not bits:
        return Value(0)
    column = Coalesce(F(f"_bym__{kind}"), Value(0))
    total = reduce(
        lambda a, b: a + b,
        [Case(When(Exact(column.bitand(bit), 0), then=Value(1)), default=Value(0)) for bit in bits],
    )
    if kind == SessionKind.GROUP_MEETING:  # only branches with Party groups hold them
        total = Case(When(numchild__gt=0, then=total), default=Value(0))
    return total


def _compliance_branches(path, depth, year, *, sort, months, quarters, default, groups):
    """The branches at `depth` under `path` with their missing counts per kind for `year`
    (the month bits of BranchYearMeetings, aliased _bym), sorted; `default` is the cadence
    of the organization above, `groups` {cadence items: branch ids} of those that differ."""
    annotations = {}
    for kind in REGULAR_KINDS:
        missing = _missing_expr(kind, default[kind], months, quarters)
        if groups:
            missing = Case(
                *(
                    When(pk__in=ids, then=_missing_expr(kind, dict(cad)[kind], months, quarters))
                    for cad, ids in groups.items()
                ),
                default=missing,
            )
        annotations[f"missing_{kind}"] = ExpressionWrapper(missing, output_field=IntegerField())
    masks = {f"mask_{kind}": F(f"_bym__{kind}") for kind in REGULAR_KINDS}
    qs = (
        branches_at(path, depth)
        .alias(
            _bym=FilteredRelation("meeting_summaries", condition=Q(meeting_summaries__year=year))
        )
        .annotate(**masks)
        .annotate(**annotations)
        .annotate(missing_total=reduce(lambda a, b: a + b, [F(k) for k in annotations]))
    )
    if sort == "name":
        return qs.order_by("path")
    if sort in REGULAR_KINDS:
        return qs.order_by(f"-missing_{sort}", "path")
    return qs.order_by("-missing_total", "path")


@compiled_queryset
def _compliance_rows(*, sort, months, quarters, cadence, start, stop):
    """Rows [start, stop) of `_compliance_branches` where every branch keeps the cadence
    above (the common case), compiled once per page, sort and months gone."""
    return _compliance_branches(
        Param("path", CharField()),
        Param("depth"),
        Param("year"),
        sort=sort,
        months=months,
        quarters=quarters,
        default=dict(cadence),
        groups={},
    )[start:stop]


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
    depth = organization.depth + 1
    if groups:  # a branch sets its own cadence: the CASE names branches, built here

        def rows(start, stop):
            return _compliance_branches(
                organization.path,
                depth,
                year,
                sort=sort,
                months=months,
                quarters=quarters,
                default=default,
                groups=groups,
            )[start:stop]

    else:

        def rows(start, stop):
            return _compliance_rows(
                sort=sort,
                months=tuple(months),
                quarters=tuple(quarters),
                cadence=tuple(sorted(default.items())),
                start=start,
                stop=stop,
                path=organization.path,
                depth=depth,
                year=year,
            )

    page = NextPage(rows, page_number, per_page)
    branches = list(page.object_list)
    counts = {}
    masks = [(kind, f"mask_{kind}") for kind in REGULAR_KINDS]
    for b in branches:
        pk = b.pk
        for kind, mask_name in masks:
            mask = getattr(b, mask_name) or 0
            for m, bit in _MONTH_BITS:
                if mask & bit:
                    counts[(pk, kind, m)] = 1
    page.object_list = compliance(branches, year, today=today, counts=counts, cadences=cadences)
    return page
