"""Round-2 review fixes: re-credited hours, reminder gaps, change notices, session history."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education import reminders, selectors, services
from education.models import Attendance, MemberYearHours
from members.models import Notification, Organization
from tests.education.helpers import SHANGHAI, at, held, held_bulk, plan

# --- 1. changing a held session's hours re-credits the rows that had the old hours ------------


def test_held_session_hours_change_recredits_rows_and_totals(cast):
    session = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "present", cast.peer: "late", cast.secretary: "absent"},
    )
    services.attendance_mark(
        session=session, member=cast.committee_member, status="present", hours=Decimal("1.0")
    )
    services.session_update(session=session, hours=Decimal("3.0"), actor=cast.secretary.account)
    hours = dict(Attendance.objects.filter(session=session).values_list("member_id", "hours"))
    assert hours[cast.member.pk] == Decimal("3.0")
    assert hours[cast.peer.pk] == Decimal("3.0")
    assert hours[cast.secretary.pk] == Decimal("0.0")  # absent: nothing credited
    assert hours[cast.committee_member.pk] == Decimal("1.0")  # set by hand: kept
    row = Attendance.objects.get(session=session, member=cast.member)
    last = row.history.order_by("-history_id").first()
    assert last.hours == Decimal("3.0") and last.history_user == cast.secretary.account
    assert last.prev_record.hours == Decimal("2.0")
    total = MemberYearHours.objects.get(member=cast.member, year=2025)
    assert total.attended_hours == Decimal("3.0")


# --- 3a. a session planned late in the evening for early the next morning --------------------


def test_session_planned_after_the_day_runs_is_reminded_before_it_starts(cast):
    evening = datetime(2030, 5, 9, 21, 0, tzinfo=SHANGHAI)
    plan(cast.branch, starts_at=at(2030, 5, 10, 7, 30))
    # The next hourly run (beat: every hour) picks it up, before it starts.
    assert reminders.session_reminders_send(now=evening + timedelta(hours=1)) == 4
    assert reminders.session_reminders_send(now=at(2030, 5, 10, 7, 0)) == 0
    assert Notification.objects.filter(kind=reminders.KIND_SESSION).count() == 4


def test_overnight_run_reminds_a_session_not_reminded_yet(cast):
    plan(cast.branch, starts_at=at(2030, 5, 10, 7, 30))
    assert reminders.session_reminders_send(now=at(2030, 5, 10, 3, 0)) == 4
    assert reminders.session_reminders_send(now=at(2030, 5, 10, 8, 0)) == 0  # started


# --- 3b. digest without a secretary ------------------------------------------------------------


def _digest_recipients():
    return {
        (n.subject_id, n.recipient_id)
        for n in Notification.objects.filter(kind=reminders.KIND_DIGEST)
    }


def test_digest_goes_to_committee_members_without_a_secretary(cast):
    cast.secretary.positions.update(ended_on=date(2024, 1, 1))
    for branch in (cast.other_branch, cast.far_branch):
        for kind in ("committee_meeting", "theme_day", "general_meeting", "party_lecture"):
            held_bulk(branch, kind, at(2025, 7, 3))
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 1
    assert _digest_recipients() == {(str(cast.branch.pk), cast.committee_member.pk)}
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 0


def test_digest_goes_to_the_organizers_above_a_branch_without_committee(cast):
    for branch in (cast.branch, cast.other_branch):
        for kind in ("committee_meeting", "theme_day", "general_meeting", "party_lecture"):
            held_bulk(branch, kind, at(2025, 7, 3))
    held_bulk(cast.group, "group_meeting", at(2025, 7, 3))  # branch A's only group
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 1
    assert _digest_recipients() == {(str(cast.far_branch.pk), cast.other_organizer.pk)}
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 0


# --- 3c. one nudge per member, even after moving branch --------------------------------------


def test_hours_nudge_once_per_member_after_moving_branch(cast):
    assert reminders.hours_nudges_send(today=date(2025, 7, 1)) > 0
    before = Notification.objects.filter(kind=reminders.KIND_NUDGE, recipient=cast.member).count()
    assert before == 1
    cast.member.branch = cast.other_branch
    cast.member.group = None
    cast.member.save()
    assert reminders.hours_nudges_send(today=date(2025, 7, 20)) == 0
    assert (
        Notification.objects.filter(kind=reminders.KIND_NUDGE, recipient=cast.member).count() == 1
    )


# --- 3d. cancelled or moved after the reminder -----------------------------------------------


def _changes():
    return Notification.objects.exclude(
        kind__in=(reminders.KIND_SESSION, reminders.KIND_NUDGE, reminders.KIND_DIGEST)
    )


@pytest.mark.django_db
def test_cancelling_a_reminded_session_tells_the_reminded_members_once(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    unreminded = plan(cast.branch, starts_at=at(2030, 6, 10, 14))
    assert reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI)) == 4
    services.session_cancel(session=session)
    services.session_cancel(session=unreminded)  # nobody was reminded: nobody told
    notes = _changes()
    assert notes.count() == 4
    assert {n.kind for n in notes} == {reminders.KIND_CANCELLED}
    session.refresh_from_db()
    assert reminders.session_changed_notify(session=session) == 0  # once


def test_moving_a_reminded_session_tells_them_once_per_new_time(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI))
    services.session_update(session=session, title="改名")  # same time: nothing
    assert _changes().count() == 0
    new_start = at(2030, 5, 10, 16)
    services.session_update(
        session=session, starts_at=new_start, ends_at=new_start + timedelta(hours=2)
    )
    assert _changes().count() == 4
    assert "16:00" in _changes().first().title
    session.refresh_from_db()
    assert reminders.session_changed_notify(session=session) == 0
    later = at(2030, 5, 10, 18)
    services.session_update(session=session, starts_at=later, ends_at=later + timedelta(hours=2))
    assert _changes().count() == 8


# --- 5. the session's changes, for managers only ---------------------------------------------


def test_session_detail_lists_changes_to_managers_only(login, cast):
    session = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "present"})
    services.session_update(session=session, title="新标题", actor=cast.secretary.account)
    services.attendance_mark(
        session=session, member=cast.member, status="absent", actor=cast.secretary.account
    )
    url = reverse("education:session_detail", args=[session.pk])
    html = login("secretary").get(url).content.decode()
    assert 'data-testid="session-changes"' in html
    assert "→ 新标题" in html
    assert "Present → Absent" in html and "2.0 → 0.0" in html
    assert cast.member.full_name in html
    assert cast.secretary.account.get_username() in html or cast.secretary.full_name in html
    member_html = login("member").get(url).content.decode()
    assert 'data-testid="session-changes"' not in member_html


def test_session_changes_are_bounded(login, cast):
    session = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "present"})
    client = login("secretary")
    url = reverse("education:session_detail", args=[session.pk])

    def measure():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return len(ctx.captured_queries), response.content.decode().count('class="border-bottom')

    small, _shown = measure()
    for i in range(60):
        services.session_update(session=session, title=f"标题 {i}")
    large, shown = measure()
    assert small == large
    assert shown == selectors.CHANGES_LIMIT


# --- 3a. the beat entry (branchsite/celery.py is the lead's) -----------------------------------


def test_session_reminders_run_every_hour_around_the_clock():
    from branchsite.celery import app

    schedule = app.conf.beat_schedule["education.send_session_reminders"]["schedule"]
    assert schedule.hour == set(range(24))


# --- 2. group meetings are required of each Party group ---------------------------------------


def _group_cells(branch, year=2025, today=date(2025, 8, 10)):
    live = selectors.compliance([branch], year, today=today)[0]
    return [c["state"] for c in live.rows["group_meeting"]][:7], live.missing["group_meeting"]


def test_group_meeting_in_one_group_does_not_satisfy_the_others(login, cast):
    from education.models import BranchYearMeetings
    from tests.education.test_summaries import assert_exact
    from tests.factories import make_org

    second = make_org("第二党小组", "group", parent=cast.branch)
    for m in range(1, 8):
        held_bulk(cast.group, "group_meeting", at(2025, m, 5))
        if m != 3:
            held_bulk(second, "group_meeting", at(2025, m, 6))
    held_bulk(cast.branch, "group_meeting", at(2025, 3, 7))  # the branch's own: no group's
    states, missing = _group_cells(cast.branch)
    assert states == ["ok", "ok", "missing", "ok", "ok", "ok", "ok"]
    assert missing == 1
    row = BranchYearMeetings.objects.get(branch=cast.branch, year=2025)
    assert row.group_meeting == 0b1111011
    assert_exact()  # what the services kept equals a rebuild
    # The organizer's rollup (read from the summary) agrees with the branch grid.
    html = (
        login("organizer")
        .get(reverse("education:compliance_rollup") + f"?org={cast.c1.pk}&year=2025")
        .content.decode()
    )
    assert f'data-branch="{cast.branch.pk}"' in html
    branch_grid = selectors.compliance_page(cast.c1, 2025, today=date(2025, 8, 10))
    (mine,) = [bc for bc in branch_grid.object_list if bc.branch.pk == cast.branch.pk]
    assert mine.missing["group_meeting"] == 1
    # Now the second group meets in March too: the month is complete.
    held_bulk(second, "group_meeting", at(2025, 3, 20))
    assert _group_cells(cast.branch)[1] == 0
    assert BranchYearMeetings.objects.get(branch=cast.branch, year=2025).group_meeting == 0b1111111


def test_branch_without_groups_needs_no_group_meetings(cast):
    states, missing = _group_cells(cast.other_branch)
    assert set(states) == {"na"} and missing == 0


def test_compliance_query_count_does_not_grow_with_groups(cast):
    from tests.factories import make_org

    def measure():
        branches = list(Organization.objects.filter(kind="branch", path__startswith=cast.c1.path))
        with CaptureQueriesContext(connection) as ctx:
            selectors.compliance(branches, 2025, today=date(2025, 8, 10))
        return len(ctx.captured_queries)

    held_bulk(cast.group, "group_meeting", at(2025, 2, 5))
    small = measure()
    for i in range(6):
        branch = make_org(f"增设支部{i}", "branch", parent=cast.c1)
        for j in range(3):
            group = make_org(f"小组{i}-{j}", "group", parent=branch)
            held_bulk(group, "group_meeting", at(2025, 2 + j, 5))
    assert measure() == small


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


# --- 6. the member export credits only what counts -------------------------------------------


def test_member_export_credits_only_confirmed_makeups(login, cast):
    from io import BytesIO

    from openpyxl import load_workbook

    session = held(
        cast.branch,
        starts_at=at(2025, 3, 1),
        attendance={cast.member: "absent", cast.secretary: "present"},
    )
    other = held(cast.branch, starts_at=at(2025, 4, 1), attendance={cast.member: "absent"})
    pending = services.makeup_submit(
        member=cast.member,
        session=session,
        description="待确认",
        studied_on=date(2025, 3, 5),
        hours=Decimal("2.0"),
    )
    rejected = services.makeup_submit(
        member=cast.member,
        session=other,
        description="被退回",
        studied_on=date(2025, 4, 5),
        hours=Decimal("1.5"),
    )
    services.makeup_reject(makeup=rejected, actor=cast.secretary.account, note="不符合")
    response = login("member").get(
        reverse("education:hours_member_export", args=[cast.member.pk]) + "?year=2025"
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][4:] == ("Hours", "Credited hours")
    by_text = {r[1]: r for r in rows[1:]}
    assert by_text[pending.description][4:] == (2.0, 0.0)
    assert by_text[rejected.description][4:] == (1.5, 0.0)
    assert by_text["Total"][5] == 0.0


def test_cancelling_asks_for_confirmation_first(login, cast):
    from education.models import Session

    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI))
    client = login("secretary")
    url = reverse("education:session_cancel", args=[session.pk])
    detail = client.get(reverse("education:session_detail", args=[session.pk])).content.decode()
    assert f'href="{url}"' in detail  # a link to the confirmation, not a one-click form
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="cancel-confirm"' in page.content.decode()
    assert "4 members were already reminded" in page.content.decode()
    assert client.post(url, {}).status_code == 200  # no confirm: asked again
    assert Session.objects.get(pk=session.pk).is_planned
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert Session.objects.get(pk=session.pk).is_cancelled


def test_makeup_session_choices_show_the_date(login, cast):
    held(
        cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"}, title="主题党日"
    )
    held(
        cast.branch, starts_at=at(2025, 4, 10), attendance={cast.member: "absent"}, title="主题党日"
    )
    html = login("member").get(reverse("education:makeup_create")).content.decode()
    assert "2025-03-10 · 主题党日" in html and "2025-04-10 · 主题党日" in html
