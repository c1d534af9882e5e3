"""Exact query counts on the preparation, tally and rating pages (and the other lists)
at two data sizes: the count must not grow with the branch."""

import pytest
from django.db.models import F
from django.urls import reverse

from appraisal.models import BallotCount, BallotParticipation, Grade, Participant, Step
from appraisal.services.meetings import life_meeting_save, rectification_add
from appraisal.services.participation import self_assessment_save, talk_log
from appraisal.services.rating import ratings_save
from tests.appraisal.cycles import move_to, open_cycle, open_cycles_like
from tests.factories import make_members

SIZES = [5, 80]


def _branch_cycle(cast, n, step):
    make_members(cast.branch, n)
    cycle = open_cycle(cast.branch)
    ids = list(Participant.objects.filter(cycle=cycle).values_list("member_id", flat=True))
    for pk in ids[: len(ids) // 2]:
        self_assessment_save(
            cycle=cycle,
            member=cycle.participants.get(member_id=pk).member,
            study="学",
        )
    talk_log(cycle=cycle, talker=cast.secretary, talked_with=cast.member, held_on=cycle.rating_due)
    move_to(cycle, Step.BALLOT)
    # Ballots as a teller would enter them: participation rows and counters, in bulk.
    BallotParticipation.objects.bulk_create(
        BallotParticipation(cycle=cycle, voter_id=pk) for pk in ids[: len(ids) * 2 // 3 + 1]
    )
    BallotCount.objects.filter(cycle=cycle, grade=Grade.QUALIFIED).update(count=F("count") + 5)
    if step != Step.BALLOT:
        move_to(cycle, step)
    return cycle


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    "page,step,queries",
    [
        ("prepare", Step.BALLOT, 9),
        ("packet", Step.BALLOT, 8),
        ("tally", Step.RATING, 7),
        ("rating", Step.RATING, 9),
        ("cycle_detail", Step.BALLOT, 7),
        ("self_assessment_list", Step.BALLOT, 6),
        ("paper_ballots", Step.BALLOT, 9),
        ("publicity", Step.PUBLICITY, 8),
    ],
)
def test_cycle_pages_cost_the_same_queries_at_any_size(
    cast, login, n, page, step, queries, django_assert_num_queries
):
    cycle = _branch_cycle(cast, n, step)
    if step == Step.RATING:
        ids = cycle.participants.values_list("member_id", flat=True)
        ratings_save(cycle=cycle, entries={pk: (Grade.QUALIFIED, "") for pk in ids})
    client = login("secretary")
    with django_assert_num_queries(queries):
        assert client.get(reverse(f"appraisal:{page}", args=[cycle.pk])).status_code == 200


@pytest.mark.parametrize("n", SIZES)
def test_ballot_page_costs_the_same_queries_at_any_size(cast, login, n, django_assert_num_queries):
    cycle = _branch_cycle(cast, n, Step.BALLOT)
    client = login("member")
    with django_assert_num_queries(8):
        assert client.get(reverse("appraisal:ballot", args=[cycle.pk])).status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_organizer_overview_of_many_branches_costs_the_same_queries(
    cast, login, n, django_assert_num_queries
):
    from members.models import OrganizationKind
    from tests.factories import make_org

    branches = [make_org(f"支部{i}", OrganizationKind.BRANCH, parent=cast.c1) for i in range(n)]
    for b in branches:
        make_members(b, 3)
    start = open_cycle(cast.branch)
    open_cycles_like(start, branches)
    client = login("organizer")
    with django_assert_num_queries(10):
        page = client.get(reverse("appraisal:cycle_list")).content.decode()
    assert "支部0" in page
    with django_assert_num_queries(8):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("n", SIZES)
def test_my_record_and_home_cost_the_same_exact_queries_with_appraisal(
    cast, login, n, django_assert_num_queries
):
    cycle = _branch_cycle(cast, n, Step.CLOSED)
    client = login("member")
    with django_assert_num_queries(10):
        page = client.get(reverse("my_record") + f"?year={cycle.year}").content.decode()
    assert 'data-testid="appraisal-record"' in page
    with django_assert_num_queries(8):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("n", [2, 25])
def test_meeting_pages_cost_the_same_queries_at_any_size(cast, login, n, django_assert_num_queries):
    cycle = open_cycle(cast.branch)
    members = make_members(cast.branch, n)
    for i in range(n):
        meeting = life_meeting_save(
            organization=cast.branch,
            kind="organizational_life_meeting",
            held_on=cycle.rating_due,
            title=f"会议{i}",
            attendees=[cast.member, *members],
        )
        rectification_add(
            meeting=meeting, description="整改", owner=cast.member, due_on=cycle.rating_due
        )
    client = login("secretary")
    with django_assert_num_queries(6):
        assert client.get(reverse("appraisal:meeting_list")).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(reverse("appraisal:meeting_detail", args=[meeting.pk])).status_code == 200
