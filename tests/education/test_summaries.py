"""The summary tables (MemberYearHours, BranchYearMeetings) stay exact after every write path,
and the pages and jobs that read them agree with the source tables."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from education import reminders, summaries
from education.models import (
    REGULAR_KINDS,
    BranchYearMeetings,
    Makeup,
    MemberYearHours,
    Session,
)
from education.selectors.hours import (
    branch_hours_table,
    member_hours,
    member_year_facts,
    pace_fraction,
)
from education.selectors.regular_meetings import compliance, compliance_page
from education.selectors.rollup import child_branches, hours_rollup, rollup_children, rollup_totals
from education.services.attendance import attendance_mark, session_log
from education.services.checkin import check_in
from education.services.makeups import makeup_confirm, makeup_reject, makeup_submit
from education.services.sessions import session_cancel, session_set_expected, session_update
from members.models import Member, Notification, Organization, OrganizationKind
from tests.education.helpers import at, held, held_bulk, plan
from tests.factories import make_members, propagate_figures


def _stored():
    hours = {
        (r.member_id, r.year): (
            r.attended_hours,
            r.makeup_hours,
            r.sessions_held,
            r.sessions_attended,
        )
        for r in MemberYearHours.objects.all()
    }
    meetings = {
        (r.branch_id, r.year): tuple(getattr(r, k) for k in REGULAR_KINDS)
        for r in BranchYearMeetings.objects.all()
    }
    return hours, meetings


def assert_exact():
    """What the services maintained equals a rebuild from the source tables."""
    maintained = _stored()
    summaries.rebuild(years=range(2020, timezone.localdate().year + 2))
    rebuilt = _stored()
    assert maintained == rebuilt
    return rebuilt


def _hours(member, year):
    row = MemberYearHours.objects.filter(member=member, year=year).first()
    return (row.attended_hours + row.makeup_hours) if row else Decimal("0.0")


def test_log_counts_hours_and_meetings(cast):
    held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        kind="theme_day",
        attendance={cast.member: "present", cast.peer: "late", cast.secretary: "absent"},
    )
    hours, meetings = assert_exact()
    assert _hours(cast.member, 2025) == Decimal("2.0")
    assert isinstance(_hours(cast.member, 2025), Decimal)
    assert _hours(cast.peer, 2025) == Decimal("2.0")
    assert _hours(cast.secretary, 2025) == Decimal("0.0")
    assert hours[(cast.secretary.pk, 2025)][2:] == (1, 0)  # expected once, attended never
    assert meetings[(cast.branch.pk, 2025)][REGULAR_KINDS.index("theme_day")] == 1 << 2


def test_edit_by_relogging_and_marking(cast):
    session = held(cast.branch, starts_at=at(2025, 5, 6), attendance={cast.member: "present"})
    assert _hours(cast.member, 2025) == Decimal("2.0")
    session_log(session=session, attendance={cast.member.pk: ("absent", None)})
    assert _hours(cast.member, 2025) == Decimal("0.0")
    attendance_mark(session=session, member=cast.member, status="late", hours="1.5")
    assert _hours(cast.member, 2025) == Decimal("1.5")
    assert_exact()


def test_update_moving_a_held_session_to_another_year(cast):
    session = held(
        cast.branch,
        starts_at=at(2025, 12, 30),
        kind="theme_day",
        attendance={cast.member: "present"},
    )
    session_update(session=session, starts_at=at(2024, 12, 30), ends_at=at(2024, 12, 30, 11))
    assert _hours(cast.member, 2025) == Decimal("0.0")
    assert _hours(cast.member, 2024) == Decimal("2.0")
    _hours_rows, meetings = assert_exact()
    assert (cast.branch.pk, 2025) not in meetings
    assert meetings[(cast.branch.pk, 2024)][REGULAR_KINDS.index("theme_day")] == 1 << 11


def test_check_in_counts_once_the_session_is_logged(cast):
    starts = timezone.now() - timedelta(minutes=10)
    session = plan(cast.branch, starts_at=starts)
    check_in(session=session, member=cast.member)
    assert _hours(cast.member, starts.year) == Decimal("0.0")  # planned: not counted yet
    session_log(session=session, attendance={cast.peer.pk: ("present", None)})
    year = timezone.localtime(starts).year
    assert _hours(cast.member, year) == Decimal("2.0")
    assert _hours(cast.peer, year) == Decimal("2.0")
    assert_exact()


def test_cancel_leaves_summaries_exact(cast):
    session = plan(cast.branch)
    session_cancel(session=session)
    assert_exact()


def test_makeup_confirm_and_reject(cast):
    session = held(cast.branch, starts_at=at(2025, 4, 2), attendance={cast.member: "absent"})
    makeup = makeup_submit(
        member=cast.member,
        session=session,
        description="自学",
        studied_on=date(2025, 4, 20),
        hours=Decimal("1.5"),
    )
    assert _hours(cast.member, 2025) == Decimal("0.0")  # submitted: not yet counted
    makeup_confirm(makeup=makeup)
    row = MemberYearHours.objects.get(member=cast.member, year=2025)
    assert row.makeup_hours == Decimal("1.5")
    other = makeup_submit(
        member=cast.member,
        session=None,
        description="网络培训",
        studied_on=date(2025, 6, 1),
        hours=Decimal("3"),
    )
    makeup_reject(makeup=other)
    assert _hours(cast.member, 2025) == Decimal("1.5")
    assert_exact()


def test_set_expected_and_committee_sessions(cast):
    session = held(cast.c1, starts_at=at(2025, 7, 1), kind="party_lecture")
    assert _hours(cast.member, 2025) == Decimal("2.0")
    session_set_expected(
        session=session,
        member_ids=list(session.attendances.values_list("member_id", flat=True)),
    )
    assert_exact()


def test_rebuild_command_repairs_writes_past_the_services(cast):
    session = held(cast.branch, starts_at=at(2025, 2, 3), attendance={cast.member: "present"})
    session.attendances.filter(member=cast.member).update(hours=Decimal("9.0"))
    Makeup.objects.create(
        member=cast.member,
        description="x",
        studied_on=date(2025, 2, 5),
        hours=Decimal("1.0"),
        state="confirmed",
    )
    assert _hours(cast.member, 2025) == Decimal("2.0")  # stale
    call_command("education_rebuild_summaries", "--year", "2025")
    assert _hours(cast.member, 2025) == Decimal("10.0")


def test_pages_read_the_summaries(login, cast):
    held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "present"})
    client = login("member")
    body = client.get(reverse("my_record") + "?year=2025").content.decode()
    assert "2.0 of 32.0 hours" in body
    rows = branch_hours_table(cast.branch, 2025)
    assert {m.pk: m.total_hours for m in rows}[cast.member.pk] == Decimal("2.0")


def test_rollup_children_match_branch_rows(login, cast):
    make_members(cast.branch, 6)
    held(cast.branch, starts_at=at(2025, 3, 10))
    held(cast.other_branch, starts_at=at(2025, 3, 11))
    propagate_figures()
    totals = rollup_totals(cast.root, 2025)
    children = list(rollup_children(cast.root, 2025))
    ids = Organization.objects.filter(kind=OrganizationKind.BRANCH).values_list("pk", flat=True)
    branches = hours_rollup(cast.root, list(ids), 2025)
    assert totals.n_members == sum(b.n_members for b in branches)
    assert totals.hours == sum((b.hours for b in branches), Decimal("0.0"))
    assert totals.n_behind == sum(b.n_behind for b in branches)
    assert sum(c.n_members for c in children) == totals.n_members
    assert isinstance(totals.hours, Decimal)
    before = totals.hours
    # A write shows above once the figures have propagated.
    held(cast.branch, starts_at=at(2025, 4, 10), hours="3.0")
    propagate_figures()
    after = rollup_totals(cast.root, 2025)
    n_branch = Member.objects.active().filter(branch=cast.branch).count()
    assert after.hours == before + Decimal("3.0") * n_branch


def test_compliance_page_agrees_with_the_grid(cast):
    today = date(2025, 8, 15)
    for month in (1, 2, 3, 5):
        held_bulk(cast.branch, "theme_day", at(2025, month, 5))
    held_bulk(cast.other_branch, "general_meeting", at(2025, 2, 5))
    branches = list(child_branches(cast.c1))
    grid = {bc.branch.pk: bc for bc in compliance(branches, 2025, today=today)}
    page = compliance_page(cast.c1, 2025, today=today)
    most_missing_first = sorted(grid.values(), key=lambda bc: (-bc.missing_total, bc.branch.path))
    assert [bc.branch.pk for bc in page] == [bc.branch.pk for bc in most_missing_first]
    for bc in page:
        assert bc.missing == grid[bc.branch.pk].missing
        assert bc.branch.missing_total == grid[bc.branch.pk].missing_total
    by_kind = compliance_page(cast.c1, 2025, today=today, sort="theme_day")
    most_theme_days_missing_first = sorted(
        grid.values(), key=lambda bc: (-bc.missing.get("theme_day", 0), bc.branch.path)
    )
    assert [bc.branch.pk for bc in by_kind] == [
        bc.branch.pk for bc in most_theme_days_missing_first
    ]


@pytest.mark.parametrize("n", [5, 40])
def test_nudges_reach_everyone_behind_once(cast, n):
    make_members(cast.branch, n)
    held(cast.branch, starts_at=at(2025, 2, 10), hours="30")
    today = date(2025, 11, 3)
    # Behind: fewer hours than the year's requirement times the months gone, member by member.
    pace = pace_fraction(2025, today)
    behind = set()
    for member in Member.objects.active():
        hours = member_hours(member, 2025)["hours"]
        if hours.total_hours < hours.required_hours * pace:
            behind.add(member.pk)
    assert behind
    assert reminders.hours_nudges_send(today=today) == len(behind)
    nudged = Notification.objects.filter(kind=reminders.KIND_NUDGE)
    assert sorted(nudged.values_list("recipient_id", flat=True)) == sorted(behind)
    assert reminders.hours_nudges_send(today=today) == 0


def test_rollup_queries_same_at_two_sizes(login, cast):
    from tests.education.test_queries import count, grow

    urls = [
        reverse("education:hours_rollup") + f"?org={cast.c1.pk}&year=2025",
        reverse("education:compliance_rollup") + f"?org={cast.c1.pk}&year=2025",
        reverse("education:hours_branch") + "?year=2025",
        reverse("education:compliance") + "?year=2025",
    ]
    grow(cast, 5)
    small = [count(login("organizer"), u) for u in urls[:2]]
    small += [count(login("secretary"), u) for u in urls[2:]]
    grow(cast, 40)
    large = [count(login("organizer"), u) for u in urls[:2]]
    large += [count(login("secretary"), u) for u in urls[2:]]
    # hours rollup, compliance rollup, a branch's hours, a branch's grid
    assert small == large == [6, 8, 6, 6]
    assert Session.objects.count() > 10


def test_member_year_facts_count_sessions_from_the_summary(cast):
    held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "present", cast.peer: "absent"},
    )
    held(cast.branch, starts_at=at(2025, 4, 10), attendance={cast.member: "late"})
    held(cast.branch, starts_at=at(2025, 5, 10), attendance={cast.member: "excused"})
    facts = member_year_facts([cast.member.pk, cast.peer.pk], 2025)
    assert facts[cast.member.pk][1][1] == "2 of 3"
    assert facts[cast.peer.pk][1][1] == "0 of 1"
    assert "4.0 of 32.0" in facts[cast.member.pk][0][1]


def test_scale_seeder_writes_the_same_meeting_summary_as_a_rebuild(db):
    """The scale seeder writes BranchYearMeetings itself: per-group rule included."""
    from education import summaries
    from education.models import BranchYearMeetings
    from tests.bench.test_smoke import _seed

    _seed(120)

    def stored():
        return {
            (r.branch_id, r.year): (r.group_meeting, r.committee_meeting, r.theme_day)
            for r in BranchYearMeetings.objects.all()
        }

    seeded = stored()
    summaries.rebuild()
    assert seeded == stored()
