"""Study figures per organization and year (education.models.OrganizationStudyFigures).

A branch's row is recomputed from the summaries (MemberYearHours, BranchYearMeetings) by
`refresh_branches` in the transaction of every write that changes them (education.summaries
calls it), and when members change (members' branches_changed signal); ancestors follow
through members.figures.propagate (task education.tasks.propagate_study_figures).

Date-dependent figures:
- behind: members behind on hours on the day the row was computed (the one definition,
  education.selectors.hours.with_behind, as on the branch hours page);
- missing: required regular-meeting periods already over with no meeting held.
Both change only when a month begins, so `month_turned` recomputes every branch row of the
current (and, in January, the previous) year on the 1st (beat), and pages show the rows'
"as of" time.
"""

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from members import figures as base
from members.compiled import Param, compiled_queryset, params
from members.models import Member, Organization, OrganizationKind

from .models.sessions import REGULAR_KINDS
from .models.summaries import BranchYearMeetings, OrganizationStudyFigures

MODEL = OrganizationStudyFigures
CHUNK = 500
REBUILD_CHUNK = 5000


def _popcount(n):
    return bin(n or 0).count("1")


def compute(branch_ids, years, *, today=None):
    """{(branch_id, year): figures} for these branches from the summary tables. Five
    queries per year whatever the number of branches (members are aggregated by the
    database, meetings from each branch's month bits)."""
    from .selectors.hours import round_hours, with_behind
    from .selectors.org_settings import cadences_by_path, requirement_for, requirements_by_path
    from .selectors.regular_meetings import compliance_grid

    today = today or timezone.localdate()
    branches = list(
        Organization.objects.filter(pk__in=list(branch_ids), kind=OrganizationKind.BRANCH).only(
            "pk", "path", "depth", "numchild"
        )
    )
    if not branches:
        return {}
    ids = [b.pk for b in branches]
    result = {}
    cadences = cadences_by_path([b.path for b in branches], below=False)
    for year in years:
        reqs = requirements_by_path([b.path for b in branches], year, below=False)
        req_of = {b.pk: requirement_for(reqs, b.path) for b in branches}
        qs = with_behind(
            Member.objects.active().filter(branch_id__in=ids),
            year,
            req_of,
            today=today,
            many=True,
            branch_ids=ids,
        )
        people = {
            r["branch_id"]: r
            for r in qs.values("branch_id")
            .annotate(
                n=Count("pk"),
                nl=Count("pk", filter=Q(is_leader=True)),
                h=Sum("total_hours"),
                met=Count("pk", filter=Q(total_hours__gte=F("required_hours"))),
                behind=Count("pk", filter=Q(behind=True)),
            )
            .order_by()
        }
        masks = {
            r.branch_id: r for r in BranchYearMeetings.objects.filter(branch_id__in=ids, year=year)
        }
        counts = {}
        for branch_id, row in masks.items():
            for kind in REGULAR_KINDS:
                bits = getattr(row, kind) or 0
                for m in range(1, 13):
                    if bits & (1 << (m - 1)):
                        counts[(branch_id, kind, m)] = 1
        grid = {bc.branch.pk: bc for bc in compliance_grid(branches, year, today, counts, cadences)}
        for b in branches:
            p = people.get(b.pk, {})
            row = masks.get(b.pk)
            missing = grid[b.pk].missing_total
            result[(b.pk, year)] = {
                "branches": 1,
                "members": p.get("n", 0),
                "leaders": p.get("nl", 0),
                "hours": round_hours(p.get("h")),
                "met": p.get("met", 0),
                "behind": p.get("behind", 0),
                "meetings_held": sum(_popcount(getattr(row, k)) for k in REGULAR_KINDS)
                if row
                else 0,
                "missing": missing,
                "branches_missing": 1 if missing else 0,
            }
    return result


def _queue():
    from members.tasks_queue import enqueue

    from .tasks import propagate_study_figures

    enqueue(propagate_study_figures)  # a broker outage is logged; the beat sweep runs it later


def refresh_branches(branch_ids, years):
    """Recompute these branches' rows for these years, in the caller's transaction."""
    years = sorted({int(y) for y in years if y})
    branch_ids = sorted({int(b) for b in branch_ids if b})
    created = set()
    for i in range(0, len(branch_ids), CHUNK):
        created.update(
            base.write_branch_rows(
                MODEL, branch_ids[i : i + CHUNK], compute, keys=years, queue=_queue
            )
        )
    for year in sorted({y for _b, y in created}):
        if not MODEL.objects.filter(year=year).exclude(organization_id__in=branch_ids).exists():
            # The first write ever to this year (the month job makes each new year's rows on
            # 1 January, so only back-dated records get here): every other branch needs its
            # row too, or members of branches without records would not be counted.
            _fill_year(year, exclude=branch_ids)


def _fill_year(year, *, exclude=()):
    ids = list(
        Organization.objects.filter(kind=OrganizationKind.BRANCH)
        .exclude(pk__in=list(exclude))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for i in range(0, len(ids), CHUNK):
        base.write_branch_rows(MODEL, ids[i : i + CHUNK], compute, keys=[year], queue=_queue)


def refresh_members(member_ids, years):
    """After these members' hours changed: their branches' rows (one query more)."""
    member_ids = list(member_ids)
    if not member_ids:
        return
    branch_ids = set(
        Member.objects.filter(pk__in=member_ids).values_list("branch_id", flat=True).distinct()
    )
    refresh_branches(branch_ids, years)


def on_branches_changed(sender, branch_ids, **kwargs):
    """members' branches_changed: members moved, joined, left or took a committee role.
    Every year the branches have rows for (hours follow the member's current branch), and
    this year."""
    years = set(
        MODEL.objects.filter(organization_id__in=list(branch_ids))
        .values_list("year", flat=True)
        .distinct()
    ) | {timezone.localdate().year}
    refresh_branches(branch_ids, years)


def refresh_subtree(organization_id, year):
    """Every branch below an organization, for a year (its settings changed): in chunks,
    each in its own transaction (a task; the rows above follow by propagation)."""
    from django.db import transaction

    organization = Organization.objects.get(pk=organization_id)
    ids = list(
        Organization.objects.filter(
            path__startswith=organization.path, kind=OrganizationKind.BRANCH
        ).values_list("pk", flat=True)
    )
    for i in range(0, len(ids), CHUNK):
        with transaction.atomic():
            refresh_branches(ids[i : i + CHUNK], [year])
    return len(ids)


def month_turned(today=None):
    """On the 1st: every branch's row of this year (and in January, of last year) again,
    since who is behind the pace and which periods are over changed with the month."""
    from django.db import transaction

    today = today or timezone.localdate()
    years = [today.year] if today.month > 1 else [today.year - 1, today.year]
    ids = list(
        Organization.objects.filter(kind=OrganizationKind.BRANCH)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for i in range(0, len(ids), CHUNK):
        with transaction.atomic():
            base.write_branch_rows(
                MODEL,
                ids[i : i + CHUNK],
                lambda b, y: compute(b, y, today=today),
                keys=years,
                queue=None,
            )
    _queue()
    return len(ids)


def propagate():
    return base.propagate(MODEL)


def rebuild(years=None, *, today=None):
    """Every row from scratch: the years given, or every year with hours or meetings
    summaries and this year. Branches in chunks of CHUNK (five queries each)."""
    from .models.summaries import MemberYearHours

    today = today or timezone.localdate()
    every_year = years is None
    if every_year:
        years = (
            set(MemberYearHours.objects.values_list("year", flat=True).distinct())
            | set(BranchYearMeetings.objects.values_list("year", flat=True).distinct())
            | {today.year}
        )
    else:
        years = set(years)
    years = sorted(years)
    if every_year:
        MODEL.objects.exclude(year__in=years).delete()
    ids = list(
        Organization.objects.filter(kind=OrganizationKind.BRANCH)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    values = {}
    for i in range(0, len(ids), REBUILD_CHUNK):
        values.update(compute(ids[i : i + REBUILD_CHUNK], years, today=today))
    return base.rebuild(MODEL, values, keys=years, branch_ids=ids)


@compiled_queryset
def _figures_of(*, n):
    return MODEL.objects.filter(organization_id__in=params("orgs", n), year=Param("year"))


def figures_for(organization_ids, year):
    """{organization id: row} for these organizations and year. One query."""
    ids = list(organization_ids)
    return {r.organization_id: r for r in _figures_of(n=len(ids), orgs=ids, year=year)}
