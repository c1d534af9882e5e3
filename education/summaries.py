"""Summary tables behind the hours and compliance pages, and how they stay right.

- MemberYearHours: per member and calendar year, credited hours at held sessions, confirmed
  make-up hours, and how many held sessions they were expected at / attended.
- BranchYearMeetings: per branch and year, a bit per month for each regular meeting kind
  held (the compliance grid's raw material).

The services in services.py call `refresh_members` / `refresh_branches` for the keys a
write touched, inside their transaction: the affected rows are recomputed from the source
tables (so a refresh is always exact, whatever the write was). `rebuild` recomputes
everything (`manage.py education_rebuild_summaries`), e.g. after edits in Django admin or a
bulk load; the scale seeder writes the rows itself. Both refreshes also recompute the
branches' study figures (education.figures); `rebuild` leaves those to
`manage.py rebuild_organization_figures`.
"""

import operator
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from functools import reduce

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, Length, Substr

from members.models import Member, Organization, OrganizationKind

from . import figures
from .models.makeups import Makeup, MakeupState
from .models.sessions import (
    CREDITED_STATUSES,
    REGULAR_KINDS,
    Attendance,
    Session,
    SessionKind,
    SessionState,
    held_meeting_q,
)
from .models.summaries import BranchYearMeetings, MemberYearHours

CHUNK = 2000
FEW_BRANCHES = 20
ZERO = Decimal("0.0")


def _chunks(ids, size=CHUNK):
    ids = sorted(set(ids))
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _member_rows(member_ids, years):
    """{(member_id, year): [attended, makeup, held, attended_count]} from the source tables."""
    rows = defaultdict(lambda: [ZERO, ZERO, 0, 0])
    att = (
        Attendance.objects.filter(member_id__in=member_ids, session__state=SessionState.HELD)
        .annotate(y=ExtractYear("session__starts_at"))
        .filter(y__in=years)
        .values("member_id", "y")
        .annotate(
            hours=Sum("hours", filter=Q(status__in=CREDITED_STATUSES)),
            held=Count("pk"),
            attended=Count("pk", filter=Q(status__in=CREDITED_STATUSES)),
        )
        .order_by()
    )
    for r in att:
        row = rows[(r["member_id"], r["y"])]
        row[0] = r["hours"] or ZERO
        row[2], row[3] = r["held"], r["attended"]
    mk = (
        Makeup.objects.filter(member_id__in=member_ids, state=MakeupState.CONFIRMED)
        .annotate(y=ExtractYear("studied_on"))
        .filter(y__in=years)
        .values("member_id", "y")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    for r in mk:
        rows[(r["member_id"], r["y"])][1] = r["hours"] or ZERO
    return rows


def _rewrite(model, owner, ids, years, rows_of, refresh_figures):
    """Replace the `model` rows of these owners (`owner`: the field naming them) and years by
    `rows_of(chunk, years)`, a chunk of owners at a time, in one transaction; then
    `refresh_figures(ids, years)` unless it is None."""
    years = sorted({int(y) for y in years})
    if not years:
        return
    ids = list(ids)
    # Part of the caller's transaction (no savepoint: nothing here is retried on failure).
    with transaction.atomic(savepoint=False):
        for chunk in _chunks(ids):
            rows = list(rows_of(chunk, years))  # read before the old rows go
            model.objects.filter(**{f"{owner}_id__in": chunk, "year__in": years}).delete()
            model.objects.bulk_create(rows)
        if refresh_figures is not None:
            refresh_figures(ids, years)


def _member_year_hours(member_ids, years):
    for (mid, y), v in _member_rows(member_ids, years).items():
        yield MemberYearHours(
            member_id=mid,
            year=y,
            attended_hours=Decimal(v[0]).quantize(Decimal("0.1")),
            makeup_hours=Decimal(v[1]).quantize(Decimal("0.1")),
            sessions_held=v[2],
            sessions_attended=v[3],
        )


def refresh_members(
    member_ids: Iterable[int], years: Iterable[int], *, with_figures: bool = True
) -> None:
    """Recompute MemberYearHours for these members and years (3 queries per 2000 members),
    and (with_figures) their branches' study figures."""
    refresh = figures.refresh_members if with_figures else None
    _rewrite(MemberYearHours, "member", member_ids, years, _member_year_hours, refresh)


def _branch_masks(branch_ids, years):
    through = Session.branches.through
    held = (
        through.objects.filter(held_meeting_q("session__"), organization_id__in=branch_ids)
        .annotate(y=ExtractYear("session__starts_at"), m=ExtractMonth("session__starts_at"))
        .filter(y__in=years)
        .values_list("organization_id", "y", "session__kind", "m")
        .distinct()
    )
    masks = defaultdict(lambda: dict.fromkeys(REGULAR_KINDS, 0))
    for branch_id, y, kind, m in held:
        masks[(branch_id, y)][kind] |= 1 << (m - 1)
    for (branch_id, y), bits in group_meeting_masks(branch_ids, years).items():
        masks[(branch_id, y)][SessionKind.GROUP_MEETING] = bits
    for key in [k for k, kinds in masks.items() if not any(kinds.values())]:
        del masks[key]
    return masks


def group_meeting_months(branch_ids, years, *, paths=None):
    """Group meetings are held by each Party group: {(branch_id, year, month): n} where n is
    the number of meetings held by the branch's least active group that month (0 when any
    group held none), and the set of branches that have groups (only those need group
    meetings; a group meeting held by the branch itself counts for none of its groups).
    Three queries (two when `paths`, {path: branch_id}, is given)."""
    steplen = Organization.steplen
    branches = paths or dict(
        Organization.objects.filter(pk__in=list(branch_ids)).values_list("path", "pk")
    )
    groups = defaultdict(set)  # branch_id -> group ids
    candidates = Organization.objects.filter(kind=OrganizationKind.GROUP)
    if len(branches) <= FEW_BRANCHES:
        # A write's few branches: their groups by path prefix (an index range each), not a
        # pass over every group in the country.
        below = [Q(path__startswith=path) for path in branches]
        candidates = candidates.filter(reduce(operator.or_, below, Q(pk__in=[])))
    for path, pk in (
        candidates.annotate(parent_path=Substr("path", 1, Length("path") - steplen))
        .filter(parent_path__in=list(branches))
        .values_list("parent_path", "pk")
    ):
        groups[branches[path]].add(pk)
    if not groups:
        return {}, set()
    branch_of = {g: b for b, gs in groups.items() for g in gs}
    held = (
        Session.objects.filter(
            held_meeting_q(), organization_id__in=list(branch_of), kind=SessionKind.GROUP_MEETING
        )
        .annotate(y=ExtractYear("starts_at"), m=ExtractMonth("starts_at"))
        .filter(y__in=list(years))
        .values("organization_id", "y", "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_group = defaultdict(dict)  # (branch, y, m) -> {group: n}
    for r in held:
        per_group[(branch_of[r["organization_id"]], r["y"], r["m"])][r["organization_id"]] = r["n"]
    return {
        key: (min(by_group.values()) if len(by_group) == len(groups[key[0]]) else 0)
        for key, by_group in per_group.items()
    }, set(groups)


def group_meeting_masks(branch_ids, years):
    """{(branch_id, year): month bits} of months every group of the branch met, for every
    branch with groups and every year (0 when no month qualified)."""
    months, with_groups = group_meeting_months(branch_ids, years)
    result = {(b, y): 0 for b in with_groups for y in years}
    for (branch_id, y, m), n in months.items():
        if n:
            result[(branch_id, y)] |= 1 << (m - 1)
    return result


def refresh_branches(
    branch_ids: Iterable[int], years: Iterable[int], *, with_figures: bool = True
) -> None:
    """Recompute BranchYearMeetings for these branches and years (3 queries per chunk), and
    (with_figures) their study figures."""
    refresh = figures.refresh_branches if with_figures else None
    _rewrite(BranchYearMeetings, "branch", branch_ids, years, _branch_year_meetings, refresh)


def _branch_year_meetings(branch_ids, years):
    for (bid, y), kinds in _branch_masks(branch_ids, years).items():
        yield BranchYearMeetings(branch_id=bid, year=y, **kinds)


def years_of(*moments) -> set[int]:
    from .dates import local_date

    return {local_date(m).year for m in moments if m is not None}


def refresh_session(
    session: Session,
    *,
    old_starts_at=None,
    old_branch_ids=(),
    branch_ids=None,
    attendees=None,
) -> None:
    """After a session changed: its attendees' hours and its branches' meetings, for the
    year it is in now and the year it was in before; then the study figures of those
    branches and of the attendees' branches, once.

    A caller that knows them passes the session's `branch_ids` and `attendees` ({member id:
    branch id} of every attendance row of the session), saving the queries that read them."""
    years = years_of(session.starts_at, old_starts_at)
    if branch_ids is None:
        branch_ids = session.branches.values_list("pk", flat=True)
    branch_ids = set(branch_ids) | set(old_branch_ids)
    refresh_branches(branch_ids, years, with_figures=False)
    if attendees is None:
        attendees = dict(
            session.attendances.values_list("member_id", "member__branch_id").order_by()
        )
    refresh_members(list(attendees), years, with_figures=False)
    figures.refresh_branches(branch_ids | set(attendees.values()), years)


def rebuild(*, years: Iterable[int] | None = None) -> dict:
    """Recompute both summaries for every member and branch (all years, or these)."""
    if years is None:
        years = set(
            Session.objects.filter(state=SessionState.HELD)
            .annotate(y=ExtractYear("starts_at"))
            .values_list("y", flat=True)
            .distinct()
        ) | set(
            Makeup.objects.filter(state=MakeupState.CONFIRMED)
            .annotate(y=ExtractYear("studied_on"))
            .values_list("y", flat=True)
            .distinct()
        )
    years = sorted(years)
    with transaction.atomic():
        MemberYearHours.objects.filter(year__in=years).delete() if years else None
        BranchYearMeetings.objects.filter(year__in=years).delete() if years else None
        member_ids = Member.objects.order_by("pk").values_list("pk", flat=True)
        refresh_members(list(member_ids), years, with_figures=False)
        branch_ids = Organization.objects.filter(kind=OrganizationKind.BRANCH).values_list(
            "pk", flat=True
        )
        refresh_branches(list(branch_ids), years, with_figures=False)
    return {
        "years": years,
        "member_year_hours": MemberYearHours.objects.filter(year__in=years).count(),
        "branch_year_meetings": BranchYearMeetings.objects.filter(year__in=years).count(),
    }
