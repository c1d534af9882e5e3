"""The appraisal demo: one closed cycle from last year, one in progress this year."""

import random
from datetime import date

import pytest

from appraisal import demo
from appraisal.models import AppraisalCycle, AppraisalRecord, LifeMeeting, Step
from members import demo as members_demo


@pytest.mark.django_db
def test_demo_builds_a_closed_and_a_running_cycle_and_is_idempotent(settings):
    today = date(2026, 3, 15)
    members_demo.seed(rng=random.Random(1), today=today)
    assert demo.seed(rng=random.Random(2), today=today) is True
    closed = AppraisalCycle.objects.get(year=2025)
    assert closed.step == Step.CLOSED
    assert AppraisalRecord.objects.filter(cycle=closed).count() == closed.participants.count()
    running = AppraisalCycle.objects.filter(year=2026).exclude(step=Step.CLOSED)
    assert running.filter(step=Step.BALLOT).count() == 1
    assert LifeMeeting.objects.get().rectifications.count() == 2
    counts = (AppraisalCycle.objects.count(), AppraisalRecord.objects.count())
    assert demo.seed(rng=random.Random(2), today=today) is False
    assert (AppraisalCycle.objects.count(), AppraisalRecord.objects.count()) == counts
