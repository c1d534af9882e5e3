"""Reminders: each kind reaches the right people once; a second run sends nothing new;
past or cancelled sessions get nothing; organizations can turn each kind off."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from education import reminders, tasks
from education.models import ReminderSettings, SessionState
from education.services.attendance import session_log
from education.services.sessions import session_cancel, session_plan, session_set_expected
from members.models import Notification
from tests.education.helpers import SHANGHAI, at, held_bulk, plan

NOW = datetime(2030, 5, 9, 8, 0, tzinfo=SHANGHAI)


def _recipients(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__full_name", flat=True)
    )


def _branch_a(cast):
    return sorted(
        m.full_name for m in (cast.member, cast.peer, cast.secretary, cast.committee_member)
    )


# --- a day before a session -------------------------------------------------------------------


def test_session_reminder_sent_once_to_expected_attendees(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14), title="网络安全法学习")
    plan(cast.far_branch, starts_at=at(2030, 5, 20, 14))  # not due yet
    assert reminders.session_reminders_send(now=NOW) == 4
    assert _recipients(reminders.KIND_SESSION) == _branch_a(cast)
    note = Notification.objects.filter(kind=reminders.KIND_SESSION).first()
    assert session.title in note.title
    assert "2030-05-10 14:00" in note.body and "党员活动室" in note.body  # when and where
    assert reminders.session_reminders_send(now=NOW) == 0
    assert reminders.session_reminders_send(now=NOW + timedelta(hours=3)) == 0
    assert Notification.objects.filter(kind=reminders.KIND_SESSION).count() == 4


def test_no_reminder_for_past_or_cancelled_sessions(cast):
    plan(cast.branch, starts_at=NOW - timedelta(hours=1))
    cancelled = plan(cast.branch, starts_at=at(2030, 5, 10, 9))
    session_cancel(session=cancelled)
    assert reminders.session_reminders_send(now=NOW) == 0


def test_session_reminders_follow_the_organization_settings(cast):
    plan(cast.branch, starts_at=at(2030, 5, 12, 9))
    assert reminders.session_reminders_send(now=NOW) == 0  # three days out, lead is one day
    ReminderSettings.objects.create(organization=cast.c1, session_lead_days=3)
    assert reminders.session_reminders_send(now=NOW) == 4
    plan(cast.other_branch, starts_at=at(2030, 5, 10, 9))
    ReminderSettings.objects.create(organization=cast.other_branch, session_reminders=False)
    assert reminders.session_reminders_send(now=NOW) == 0


def test_only_still_expected_active_members_are_reminded(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 9))
    session_set_expected(session=session, member_ids=[cast.member.pk, cast.peer.pk])
    cast.peer.status = "transferred_out"
    cast.peer.save()
    assert reminders.session_reminders_send(now=NOW) == 1
    assert _recipients(reminders.KIND_SESSION) == [cast.member.full_name]


# --- monthly nudge to members behind pace ----------------------------------------------------


def _hours_for_branch_a(cast):
    session = session_plan(
        organization=cast.branch,
        kind="study",
        title="集中学习",
        starts_at=at(2025, 3, 1),
        ends_at=at(2025, 3, 1, 17),
        hours=Decimal("20"),
    )
    session_log(
        session=session,
        attendance={
            cast.member.pk: ("present", Decimal("20")),  # pace in July: 16 → ahead
            cast.peer.pk: ("absent", None),  # behind
            cast.secretary.pk: ("present", Decimal("20")),  # leader pace 28 → behind
            cast.committee_member.pk: ("present", Decimal("30")),  # ahead
        },
    )


def test_hours_nudge_reaches_members_behind_pace_once(cast):
    _hours_for_branch_a(cast)
    ReminderSettings.objects.create(organization=cast.c2, hours_nudges=False)
    sent = reminders.hours_nudges_send(today=date(2025, 7, 1))
    assert _recipients(reminders.KIND_NUDGE) == sorted(
        [
            cast.peer.full_name,
            cast.secretary.full_name,
            cast.other_secretary.full_name,
            cast.other_member.full_name,
            cast.organizer.full_name,
        ]
    )
    assert sent == 5
    assert reminders.hours_nudges_send(today=date(2025, 7, 1)) == 0
    assert reminders.hours_nudges_send(today=date(2025, 7, 20)) == 0  # same month
    assert reminders.hours_nudges_send(today=date(2025, 1, 1)) == 0  # January: no pace yet


# --- monthly digest of meetings not yet held --------------------------------------------------


def test_meeting_digest_to_secretaries_once(cast):
    for kind in (
        "committee_meeting",
        "group_meeting",
        "theme_day",
        "general_meeting",
        "party_lecture",
    ):
        held_bulk(cast.other_branch, kind, at(2025, 7, 3))
    # Branch A's secretary; the far branch has no committee: the organizer above it.
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 2
    assert _recipients(reminders.KIND_DIGEST) == sorted(
        [cast.secretary.full_name, cast.other_organizer.full_name]
    )
    note = Notification.objects.get(kind=reminders.KIND_DIGEST, recipient=cast.secretary)
    assert "committee meeting" in note.body.lower()
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 0


def test_meeting_digest_can_be_turned_off(cast):
    ReminderSettings.objects.create(organization=cast.root, meeting_digests=False)
    assert reminders.meeting_digests_send(today=date(2025, 7, 15)) == 0


# --- the Celery tasks --------------------------------------------------------------------------


def test_tasks_run_the_jobs_and_are_idempotent(cast):
    plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    assert tasks.send_session_reminders.apply(kwargs={"now": NOW.isoformat()}).get() == 4
    assert tasks.send_session_reminders.apply(kwargs={"now": NOW.isoformat()}).get() == 0
    assert tasks.send_hours_nudges.apply(kwargs={"today": "2025-07-01"}).get() == 9
    assert tasks.send_hours_nudges.apply(kwargs={"today": "2025-07-01"}).get() == 0
    assert tasks.send_meeting_digests.apply(kwargs={"today": "2025-07-15"}).get() == 3
    assert tasks.send_meeting_digests.apply(kwargs={"today": "2025-07-15"}).get() == 0


# Not inside a test transaction: the crash must roll back the way it does in a worker.
@pytest.mark.django_db(transaction=True)
def test_fan_out_is_chunked_and_resumes_after_a_crash(cast, monkeypatch):
    """A worker that dies half-way leaves some sent; the re-run sends exactly the rest."""
    from tests.factories import make_members

    make_members(cast.branch, 25)
    plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    from members.services import notifications as fan_out

    monkeypatch.setattr(reminders, "CHUNK", 10)
    real_insert = fan_out._insert_notifications
    calls = {"n": 0}

    def dying_insert(rows, **kwargs):  # the worker dies as it writes the second chunk
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real_insert(rows, **kwargs)

    monkeypatch.setattr(fan_out, "_insert_notifications", dying_insert)
    with pytest.raises(RuntimeError):
        reminders.session_reminders_send(now=NOW)
    # The first chunk was committed (its e-mails may already be going out).
    assert Notification.objects.filter(kind=reminders.KIND_SESSION).count() == 10
    monkeypatch.setattr(fan_out, "_insert_notifications", real_insert)
    assert reminders.session_reminders_send(now=NOW) == 19
    assert reminders.session_reminders_send(now=NOW) == 0
    assert Notification.objects.filter(kind=reminders.KIND_SESSION).count() == 29


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_reminders_on_the_real_broker(celery_worker_thread, cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    first = tasks.send_session_reminders.delay(NOW.isoformat()).get(timeout=60)
    second = tasks.send_session_reminders.delay(NOW.isoformat()).get(timeout=60)
    assert (first, second) == (4, 0)
    assert tasks.send_hours_nudges.delay("2025-07-01").get(timeout=60) == 9
    assert tasks.send_hours_nudges.delay("2025-07-01").get(timeout=60) == 0
    assert tasks.send_meeting_digests.delay("2025-07-15").get(timeout=60) == 3
    assert tasks.send_meeting_digests.delay("2025-07-15").get(timeout=60) == 0
    assert Notification.objects.filter(kind=reminders.KIND_SESSION).count() == 4
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED  # reminders change nothing else


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


def test_session_reminders_run_every_hour_around_the_clock():
    from branchsite.celery import app

    schedule = app.conf.beat_schedule["education.send_session_reminders"]["schedule"]
    assert schedule.hour == set(range(24))
