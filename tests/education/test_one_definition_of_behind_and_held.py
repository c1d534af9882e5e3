""" "Behind on hours" and "meeting held" are each defined once: every page and figure that
counts them agrees, member by member, on the same data."""

from decimal import Decimal

from django.utils import timezone

from education import figures
from education.models import MemberYearHours, SessionKind
from education.selectors.hours import (
    behind_by_branch,
    branch_hours_table,
    pace_fraction,
    pace_hours,
    with_behind,
)
from education.selectors.org_settings import hours_requirement
from education.selectors.regular_meetings import (
    compliance,
    compliance_from_summary,
    compliance_page,
)
from education.services.sessions import session_void
from members.models import Member, Organization
from tests.education.helpers import at, held_bulk


def _hours_around_the_pace(branch, year):
    """Each member of the branch gets hours exactly at their pace, 0.1 below it, or their
    whole requirement: the edges where two definitions of "behind" would part."""
    pace = pace_fraction(year)
    rows = branch_hours_table(branch, year)
    choices = []
    for i, row in enumerate(rows):
        at_pace = pace_hours(row.required_hours, pace)
        hours = [at_pace, max(at_pace - Decimal("0.1"), Decimal(0)), row.required_hours][i % 3]
        choices.append((row.pk, hours))
        MemberYearHours.objects.update_or_create(
            member_id=row.pk, year=year, defaults={"attended_hours": hours}
        )
    return pace, dict(choices)


def test_every_count_of_members_behind_agrees_with_the_member_rows(cast):
    today = timezone.localdate()
    year = today.year
    pace, hours = _hours_around_the_pace(cast.branch, year)

    rows = branch_hours_table(cast.branch, year)
    behind = {r.pk for r in rows if r.behind_pace}
    expected = {r.pk for r in rows if hours[r.pk] < pace_hours(r.required_hours, pace)}
    assert behind == expected
    if pace:
        assert behind  # the member 0.1 below their pace is behind

    in_database = set(
        with_behind(
            Member.objects.active().filter(branch=cast.branch),
            year,
            {cast.branch.pk: hours_requirement(cast.branch, year)},
        )
        .filter(behind=True)
        .values_list("pk", flat=True)
    )
    assert in_database == behind
    (dashboard,) = behind_by_branch([cast.branch], year)
    assert dashboard.n_behind == len(behind)
    figure = figures.compute([cast.branch.pk], [year], today=today)[(cast.branch.pk, year)]
    assert figure["behind"] == len(behind)


def test_a_month_counts_as_held_alike_from_sessions_from_the_summary_and_in_the_rollup(cast):
    year = timezone.localdate().year - 1  # a whole year over: every period is due
    after = at(year + 1, 1, 5).date()
    held_bulk(cast.branch, SessionKind.GENERAL_MEETING, at(year, 2, 10))
    voided = held_bulk(cast.branch, SessionKind.GENERAL_MEETING, at(year, 5, 10))
    session_void(session=voided, reason="记录有误")
    held_bulk(cast.branch, SessionKind.STUDY, at(year, 8, 10))  # not a regular meeting

    branch = Organization.objects.get(pk=cast.branch.pk)  # with its groups counted
    (live,) = compliance([branch], year, today=after)
    (kept,) = compliance_from_summary([branch], year, today=after)
    assert live.rows == kept.rows and live.missing == kept.missing
    # Only February's general meeting is held (quarterly: the first quarter); the voided one
    # in May is not, and a study session is no regular meeting.
    counted = [list(p["months"]) for p in live.rows[SessionKind.GENERAL_MEETING] if p["count"]]
    assert counted == [[1, 2, 3]]
    page = compliance_page(cast.c1, year, today=after)
    row = next(b for b in page.object_list if b.branch.pk == cast.branch.pk)
    assert row.missing == live.missing
