"""The appraisal sections on /me/ (the member's record) and on the home dashboard."""

import operator
from functools import reduce

from django.db.models import CharField, Q

from members.compiled import Param, compiled_queryset, derived, param_items
from members.json_rows import instances_from_json, related_rows_json, set_prefetched
from members.models import OrganizationKind, subtree_range_q, subtree_upper_bound

from ..models.cycles import AppraisalCycle, Participant
from ..models.results import AppraisalRecord, RecordAmendment
from .cycles import own_cycles, with_own_progress, with_progress
from .meetings import own_rectifications

# --- sections on /me/ and the home dashboard -------------------------------------------------

DASHBOARD_CYCLES = 50  # the cycles listed on an organizer's home; the rest on the cycle list


@compiled_queryset
def _own_record_cycles():
    """The cycles of `year` the member takes part in and those holding one of their records
    of the year or the year before, with their own progress, record and corrections."""
    member, year = Param("member"), Param("year")
    # A union, not an OR of two IN lists: PostgreSQL then reads the few cycles by key
    # instead of scanning every cycle (an estimate of thousands of rows, compiled by JIT).
    taking_part = Participant.objects.filter(member_id=member, cycle__year=year).order_by()
    with_record = AppraisalRecord.objects.filter(member_id=member, year__in=(year - 1, year))
    cycle_ids = taking_part.values("cycle_id").union(with_record.order_by().values("cycle_id"))
    return (
        # A voided cycle asks nothing, and its records are not the member's result.
        with_own_progress(AppraisalCycle.objects.not_voided().filter(pk__in=cycle_ids), member)
        .annotate(
            my_record_json=related_rows_json(
                AppraisalRecord.objects.filter(member_id=member), "cycle"
            ),
            my_amendments_json=related_rows_json(
                RecordAmendment.objects.filter(record__member_id=member), "record__cycle"
            ),
        )
        .order_by("-year", "branch__path")
    )


def record_section(member, *, year):
    """Context for appraisal/_record_section.html on the member's record, or None.

    The member's closed appraisal records of the year and of the year before (with
    corrections), what they still have to do in an appraisal under way, and their open
    rectification items. Two queries: the cycles (of the year they take part in, and those
    holding one of their records) with their own progress, record and corrections as
    columns; and the rectification items.
    """
    cycles = list(_own_record_cycles(member=member.pk, year=year))
    both = []
    for cycle in cycles:
        amendments = instances_from_json(RecordAmendment, cycle.my_amendments_json)
        for record in instances_from_json(AppraisalRecord, cycle.my_record_json):
            record.cycle = cycle
            record.member = member
            set_prefetched(
                record, "amendments", [a for a in amendments if a.record_id == record.pk]
            )
            both.append(record)
    records = [r for r in both if r.year == year]
    previous = [r for r in both if r.year == year - 1]  # "last year's result", read alongside
    # The member's open cycles (open_own_cycles), read with the records.
    open_cycles = [c for c in cycles if c.year == year and c.is_running]
    items = own_rectifications(member.pk)
    if not (records or previous or open_cycles or items):
        return None
    return {
        "records": records,
        "previous": previous,
        "open_cycles": open_cycles,
        "rectifications": items,
        "year": year,
    }


@compiled_queryset
def _dashboard_cycles(*, admin, bounded):
    """The first DASHBOARD_CYCLES cycles of "year" in branches at or below the paths "tops"
    (everywhere for the admin), by path; `bounded`: whether each top has an upper bound."""
    reach = Q()
    if not admin:
        tops = param_items("tops", len(bounded), CharField())
        reach = reduce(
            operator.or_,
            (
                subtree_range_q(
                    top,
                    "branch__path",
                    upper=has_upper and derived(top, subtree_upper_bound, CharField()),
                )
                for top, has_upper in zip(tops, bounded, strict=True)
            ),
        )
    cycles = AppraisalCycle.objects.filter(
        reach, year=Param("year"), branch__kind=OrganizationKind.BRANCH
    )
    # Only what a row shows (appraisal/templatetags/appraisal_dashboard.py): a cycle's rules
    # and dates and its branch's record would be read and built for nothing.
    shown = ("step", "voided_at", "void_reason", "branch__name")
    return with_progress(cycles).only(*shown).order_by("branch__path")[:DASHBOARD_CYCLES]


def dashboard_section(user, scope, *, year):
    """Context for appraisal/_dashboard_section.html on the home dashboard, or None.

    One query: the first DASHBOARD_CYCLES of this year's cycles in the branches the user runs
    or follows, in tree order, with progress. Read as a walk of those branches in path order
    (index org_kind_path), each probed for its cycle of the year, stopped at the last row
    shown: the cost is that of the rows shown, not of the tree below an organizer. (The
    cycles the user takes part in are on home, in their to-do: `open_own_cycles`.)
    """
    values = {"year": year}
    bounded = ()
    if not scope.is_admin:
        paths = sorted(scope.organizer_paths + scope.led_branch_paths, key=len)
        tops = []
        for path in paths:  # nested reaches (a led branch under an organizer's) once
            if not any(path.startswith(top) for top in tops):
                tops.append(path)
        if not tops:
            return None
        values["tops"] = tops
        bounded = tuple(subtree_upper_bound(top) is not None for top in tops)
    managed = list(_dashboard_cycles(admin=scope.is_admin, bounded=bounded, **values))
    if not managed:
        return None
    return {"managed": managed, "year": year}


def open_own_cycles(member_id, *, year):
    """This year's cycles the member takes part in that are not closed, with their own
    progress (my_assessment, my_voted): what their to-do asks of them (a voided cycle asks
    nothing). One query."""
    return [c for c in own_cycles(member_id, year=year) if c.is_running]
