"""Reminders (Celery beat jobs): each sent once, through the notification service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appraisal import tasks
from appraisal.models import Step
from appraisal.services.cycles import cycle_open
from appraisal.services.meetings import life_meeting_save, rectification_add, rectification_complete
from appraisal.services.notices import (
    ballot_closing_reminders_send,
    ballot_open_notices_send,
    publicity_ending_reminders_send,
    rectification_reminders_send,
    self_assessment_reminders_send,
)
from appraisal.services.participation import self_assessment_save
from members.models import Notification
from tests.appraisal.cycles import move_to, open_cycle, vote


def _kind(kind):
    return Notification.objects.filter(kind=kind)


@pytest.fixture
def cycle(cast):
    return open_cycle(cast.branch)


def test_self_assessment_due_reminds_those_who_have_not_submitted_once(cycle, cast):
    self_assessment_save(
        cycle=cycle,
        member=cast.member,
        submit=True,
        study="学",
        duties="职",
        discipline="纪",
        online_conduct="网",
        improvements="改",
    )
    too_early = cycle.self_assessment_due - timedelta(days=10)
    assert self_assessment_reminders_send(today=too_early) == 0
    day = cycle.self_assessment_due - timedelta(days=2)
    assert self_assessment_reminders_send(today=day) == 3
    assert self_assessment_reminders_send(today=day) == 0
    assert self_assessment_reminders_send(today=day + timedelta(days=1)) == 0
    recipients = set(_kind("appraisal.self_assessment_due").values_list("recipient_id", flat=True))
    assert cast.member.pk not in recipients and cast.peer.pk in recipients


def test_ballot_open_notice_goes_to_every_voter_once(cycle, cast):
    move_to(cycle, Step.BALLOT)
    vote(cycle, cast.member)
    assert ballot_open_notices_send() == 4  # voted or not: no hint who voted
    assert ballot_open_notices_send() == 0
    tasks.send_ballot_open_notices.apply()
    assert _kind("appraisal.ballot_open").count() == 4


def test_ballot_closing_reminds_non_voters_once(cycle, cast):
    move_to(cycle, Step.BALLOT)
    vote(cycle, cast.member)
    early = cycle.ballot_closes_on - timedelta(days=3)
    assert ballot_closing_reminders_send(today=early) == 0
    day = cycle.ballot_closes_on - timedelta(days=1)
    assert ballot_closing_reminders_send(today=day) == 3
    assert ballot_closing_reminders_send(today=cycle.ballot_closes_on) == 0
    recipients = set(_kind("appraisal.ballot_closing").values_list("recipient_id", flat=True))
    assert cast.member.pk not in recipients


def test_publicity_ending_reminds_the_committee_once(cycle, cast):
    move_to(cycle, Step.PUBLICITY)
    cycle.refresh_from_db()
    day = cycle.publicity_ends_on - timedelta(days=1)
    assert publicity_ending_reminders_send(today=day) == 2  # secretary, committee member
    assert publicity_ending_reminders_send(today=day) == 0
    recipients = set(_kind("appraisal.publicity_ending").values_list("recipient_id", flat=True))
    assert recipients == {cast.secretary.pk, cast.committee_member.pk}


def test_rectification_due_reminds_the_owner_once(cast):
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=open_cycle(cast.branch).rating_due,
        title="组织生活会",
    )
    due = meeting.held_on + timedelta(days=30)
    item = rectification_add(meeting=meeting, description="整改", owner=cast.peer, due_on=due)
    assert rectification_reminders_send(today=due - timedelta(days=10)) == 0
    assert rectification_reminders_send(today=due - timedelta(days=2)) == 1
    assert rectification_reminders_send(today=due + timedelta(days=1)) == 0
    rectification_complete(rectification=item, done_on=due, note="已完成")
    assert _kind("appraisal.rectification_due").get().recipient == cast.peer


def test_daily_task_runs_every_reminder_and_is_harmless_twice(cast):
    # The task asks about the real today: build the dates around it.
    today = timezone.localdate()
    cycle_open(
        branch=cast.branch,
        year=today.year,
        self_assessment_due=today + timedelta(days=1),
        peer_review_due=today + timedelta(days=8),
        ballot_opens_on=today + timedelta(days=10),
        ballot_closes_on=today + timedelta(days=14),
        rating_due=today + timedelta(days=20),
    )
    running = cycle_open(
        branch=cast.other_branch,
        year=today.year,
        self_assessment_due=today - timedelta(days=10),
        peer_review_due=today - timedelta(days=8),
        ballot_opens_on=today - timedelta(days=5),
        ballot_closes_on=today + timedelta(days=1),
        rating_due=today + timedelta(days=20),
    )
    move_to(running, Step.BALLOT)
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=today - timedelta(days=20),
        title="组织生活会",
    )
    rectification_add(
        meeting=meeting, description="整改", owner=cast.peer, due_on=today + timedelta(days=2)
    )
    first = tasks.send_appraisal_reminders.apply().result
    assert first == {
        "self_assessment_due": 4,  # the four members of the branch
        "ballot_closing": 3,  # the three voters of the other branch, none has voted
        "publicity_ending": 0,
        "rectification_due": 1,
    }
    second = tasks.send_appraisal_reminders.apply().result
    assert sum(second.values()) == 0
    assert tasks.close_finished_publicity.apply().result == 0
    keys = list(Notification.objects.values_list("kind", "subject_id", "recipient_id", "due_date"))
    assert len(keys) == len(set(keys)) == 8
