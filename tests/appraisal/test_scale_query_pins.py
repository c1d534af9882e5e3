"""The branch-level appraisal and commendation pages cost the same number of queries
for a small and a large branch, and at most 15.

Each test measures a page, grows the data behind it (participants with counters, ballots,
self-assessments, ratings and commendations; or commendations), and measures again.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import (
    BallotCount,
    BallotParticipation,
    Commendation,
    Grade,
    Participant,
    Rating,
    SelfAssessment,
    Step,
)
from tests.appraisal.cycles import YEAR, move_to, open_cycle
from tests.factories import make_members

LIMIT = 15


def _commend(members, branch, *, status="published", year=YEAR):
    Commendation.objects.bulk_create(
        Commendation(
            member=m,
            home_organization=branch,
            awarding_organization=branch,
            title="outstanding_member",
            reason="事迹",
            awarded_on=f"{year}-06-01",
            status=status,
        )
        for m in members
    )


def _grow(cycle, n):
    """n more participants, each with ballots counted, a self-assessment, a rating (at the
    rating step) and a published commendation of the cycle's year."""
    members = make_members(cycle.branch, n)
    Participant.objects.bulk_create(Participant(cycle=cycle, member=m) for m in members)
    if cycle.reached(Step.BALLOT):
        BallotCount.objects.bulk_create(
            BallotCount(cycle=cycle, member=m, grade=g, count=3)
            for m in members
            for g in Grade.values
        )
        BallotParticipation.objects.bulk_create(
            BallotParticipation(cycle=cycle, voter=m) for m in members
        )
    SelfAssessment.objects.bulk_create(
        SelfAssessment(cycle=cycle, member=m, study="学", status="submitted") for m in members
    )
    if cycle.step == Step.RATING:
        Rating.objects.bulk_create(
            Rating(cycle=cycle, member=m, grade=Grade.QUALIFIED) for m in members
        )
    _commend(members, cycle.branch)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "page,step,user",
    [
        ("tally", Step.RATING, "secretary"),
        ("rating", Step.RATING, "secretary"),
        ("prepare", Step.BALLOT, "secretary"),
        ("self_assessment_list", Step.BALLOT, "secretary"),
        ("my_self_assessment", Step.BALLOT, "member"),
    ],
)
def test_cycle_page_queries_same_at_two_sizes(cast, login, page, step, user):
    cycle = open_cycle(cast.branch)
    _commend([cast.member], cast.branch)
    move_to(cycle, Step.BALLOT)
    _grow(cycle, 3)
    if step != Step.BALLOT:
        move_to(cycle, step)
        cycle.refresh_from_db()
        # Back to a draft rating the secretary can still edit.
        type(cycle).objects.filter(pk=cycle.pk).update(rating_state="draft")
    client = login(user)
    url = reverse(f"appraisal:{page}", args=[cycle.pk])
    client.get(url)
    small = _queries(client, url)
    _grow(cycle, 60)
    large = _queries(client, url)
    assert small == large <= LIMIT


@pytest.mark.parametrize("user", ["secretary", "organizer"])
def test_commendation_list_queries_same_at_two_sizes(cast, login, user):
    from django.utils import timezone

    year = timezone.localdate().year
    _commend(make_members(cast.branch, 3), cast.branch, year=year)
    _commend(make_members(cast.branch, 2), cast.branch, status="proposed", year=year)
    client = login(user)
    url = reverse("appraisal:commendation_list")
    client.get(url)
    small = _queries(client, url)
    _commend(make_members(cast.branch, 120), cast.branch, year=year)
    _commend(make_members(cast.branch, 30), cast.branch, status="proposed", year=year)
    large = _queries(client, url)
    assert small == large <= LIMIT
