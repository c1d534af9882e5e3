"""The secret democratic ballot: one per voter, nothing linking a ballot to its voter,
a correct tally, results hidden until the ballot closes, quorum and small-number rules."""

import threading
import uuid

import pytest
from django.db import connection, models
from django.urls import reverse

from appraisal.models import (
    BallotBox,
    BallotCount,
    BallotParticipation,
    Grade,
    Step,
)
from appraisal.selectors.ballot import tally
from appraisal.services.ballot import ballot_cast, paper_ballot_enter, paper_ballots_issue
from appraisal.services.moves import cycle_move
from members.models import MemberStatus
from members.services import DomainError
from tests.appraisal.cycles import every_grade, move_to, open_cycle, vote
from tests.factories import make_member


def test_each_voter_casts_at_most_one_ballot(cycle, cast):
    vote(cycle, cast.member)
    with pytest.raises(DomainError, match="already voted"):
        vote(cycle, cast.member, Grade.EXCELLENT)
    assert BallotParticipation.objects.filter(cycle=cycle).count() == 1
    assert sum(BallotCount.objects.filter(cycle=cycle).values_list("count", flat=True)) == 4


def test_a_ballot_must_grade_every_appraised_member(cycle, cast):
    grades = every_grade(cycle)
    grades.pop(cast.peer.pk)
    with pytest.raises(DomainError, match="every member"):
        ballot_cast(cycle=cycle, voter=cast.member, grades=grades)
    assert not BallotParticipation.objects.filter(cycle=cycle).exists()


def test_only_voters_of_the_cycle_vote(cycle, cast):
    with pytest.raises(DomainError):
        vote(cycle, cast.other_member)


def test_no_voting_before_the_ballot_opens_or_after_it_closes(cast):
    cycle = open_cycle(cast.branch)
    with pytest.raises(DomainError, match="not open"):
        vote(cycle, cast.member)
    move_to(cycle, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    cycle_move(cycle=cycle, to_step=Step.RATING)
    with pytest.raises(DomainError, match="not open"):
        vote(cycle, cast.committee_member)
    assert BallotBox.objects.get(cycle=cycle).closed_at is not None


def test_ballot_tables_carry_nothing_linking_a_ballot_to_its_voter(cycle, cast):
    # Participation: who voted, with a random key and no time; counts: no voter at all.
    fields = {f.name: f for f in BallotParticipation._meta.concrete_fields}
    assert set(fields) == {"id", "cycle", "voter"}
    assert isinstance(fields["id"], models.UUIDField)
    count_fields = {f.name for f in BallotCount._meta.concrete_fields}
    assert count_fields == {"id", "cycle", "member", "grade", "count"}
    for model in (BallotParticipation, BallotCount, BallotBox):
        assert not any(
            isinstance(f, models.DateTimeField | models.DateField)
            for f in model._meta.concrete_fields
            if model is not BallotBox
        )
        # simple_history would log every write with a timestamp and the user.
        assert not hasattr(model, "history")
    before = list(
        BallotCount.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True)
    )
    vote(cycle, cast.member, Grade.EXCELLENT)
    vote(cycle, cast.peer, Grade.UNQUALIFIED)
    after = list(
        BallotCount.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True)
    )
    assert before == after  # voting inserts no counter rows: nothing follows voting order
    keys = list(BallotParticipation.objects.values_list("id", flat=True))
    assert all(isinstance(k, uuid.UUID) and k.version == 4 for k in keys)
    # Nothing about grades sits beside the voter, and no audit entry or notification was written.
    from members.models import AuditEntry, Notification

    assert not AuditEntry.objects.exists()
    assert not Notification.objects.exists()


def test_tally_counts_and_shares_are_correct(cycle, cast):
    vote(cycle, cast.member, Grade.EXCELLENT)
    vote(cycle, cast.peer, Grade.QUALIFIED, special={cast.member: Grade.EXCELLENT})
    vote(cycle, cast.secretary, Grade.QUALIFIED, special={cast.member: Grade.BASICALLY_QUALIFIED})
    vote(cycle, cast.committee_member, Grade.QUALIFIED, special={cast.peer: Grade.UNQUALIFIED})
    cycle_move(cycle=cycle, to_step=Step.RATING)
    cycle.refresh_from_db()
    result = tally(cycle)
    assert result["turnout"] == 4 and result["eligible"] == 4 and result["valid"]
    row = result["by_member"][cast.member.pk]
    got = {g["grade"]: (g["count"], str(g["share"])) for g in row["grades"]}
    assert got == {
        Grade.EXCELLENT: (2, "50.0"),
        Grade.QUALIFIED: (1, "25.0"),
        Grade.BASICALLY_QUALIFIED: (1, "25.0"),
        Grade.UNQUALIFIED: (0, "0.0"),
    }
    peer = {g["grade"]: g["count"] for g in result["by_member"][cast.peer.pk]["grades"]}
    assert peer == {"excellent": 1, "qualified": 2, "basically_qualified": 0, "unqualified": 1}


def test_results_stay_hidden_until_the_ballot_closes_and_turnout_shows(cycle, cast, login):
    vote(cycle, cast.member, Grade.EXCELLENT)
    vote(cycle, cast.peer, Grade.EXCELLENT)
    vote(cycle, cast.secretary, Grade.EXCELLENT)
    assert tally(cycle) is None
    client = login("secretary")
    page = client.get(reverse("appraisal:tally", args=[cycle.pk])).content.decode()
    assert 'data-testid="results-hidden"' in page
    assert 'data-testid="tally-table"' not in page
    assert "3/4" in client.get(reverse("appraisal:cycle_detail", args=[cycle.pk])).content.decode()
    cycle_move(cycle=cycle, to_step=Step.RATING, actor=cast.users["secretary"])
    page = client.get(reverse("appraisal:tally", args=[cycle.pk])).content.decode()
    assert 'data-testid="tally-table"' in page and "100.0%" in page


def test_ballot_is_valid_only_with_more_than_half_of_the_voters(cycle, cast):
    vote(cycle, cast.member)
    vote(cycle, cast.peer)  # 2 of 4: not more than half
    cycle_move(cycle=cycle, to_step=Step.RATING, reason="人数不足，如实记录")
    cycle.refresh_from_db()
    assert tally(cycle)["valid"] is False


def test_no_per_member_result_from_fewer_than_three_ballots(cast):
    make_member(cast.branch, "预备丙", status=MemberStatus.PROBATIONARY)
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    vote(cycle, cast.member)
    vote(cycle, cast.peer)
    cycle_move(cycle=cycle, to_step=Step.RATING, reason="测试")
    cycle.refresh_from_db()
    result = tally(cycle)
    assert all(not r["shown"] for r in result["rows"])
    assert all(g["count"] is None for r in result["rows"] for g in r["grades"])


def test_probationary_members_vote_but_are_not_graded(cast):
    probationary = make_member(cast.branch, "预备丁", status=MemberStatus.PROBATIONARY)
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    grades = every_grade(cycle)
    assert probationary.pk not in grades
    ballot_cast(cycle=cycle, voter=probationary, grades=grades)
    with pytest.raises(DomainError, match="not appraised"):
        ballot_cast(
            cycle=cycle, voter=cast.member, grades={**grades, probationary.pk: Grade.EXCELLENT}
        )


def test_paper_ballots_count_without_a_voter_link(cycle, cast):
    paper_ballots_issue(cycle=cycle, voter_ids=[cast.peer.pk, cast.secretary.pk])
    with pytest.raises(DomainError, match="already voted"):
        vote(cycle, cast.peer)  # took a paper ballot: cannot also vote online
    paper_ballot_enter(cycle=cycle, grades={cast.member.pk: Grade.EXCELLENT})
    paper_ballot_enter(cycle=cycle, grades=every_grade(cycle))
    with pytest.raises(DomainError, match="already been entered"):
        paper_ballot_enter(cycle=cycle, grades=every_grade(cycle))
    box = BallotBox.objects.get(cycle=cycle)
    assert (box.paper_issued, box.paper_entered) == (2, 2)
    vote(cycle, cast.member)
    cycle_move(cycle=cycle, to_step=Step.RATING)
    cycle.refresh_from_db()
    result = tally(cycle)
    assert result["turnout"] == 3
    counts = {g["grade"]: g["count"] for g in result["by_member"][cast.member.pk]["grades"]}
    assert counts["excellent"] == 1 and counts["qualified"] == 2
    # The peer's result: 2 ballots (one paper ballot left them blank) — withheld.
    assert result["by_member"][cast.peer.pk]["total"] == 2
    assert not result["by_member"][cast.peer.pk]["shown"]


def test_voter_casts_through_the_page_once(cycle, cast, login):
    client = login("member")
    url = reverse("appraisal:ballot", args=[cycle.pk])
    data = {f"m{pk}": Grade.QUALIFIED for pk in every_grade(cycle)}
    assert client.post(url, data).status_code == 302
    again = client.post(url, {k: Grade.EXCELLENT for k in data})
    assert again.status_code == 200
    assert BallotParticipation.objects.filter(cycle=cycle).count() == 1
    assert set(
        BallotCount.objects.filter(cycle=cycle, grade="excellent").values_list("count", flat=True)
    ) == {0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_ballot_per_voter_under_concurrent_submission(cast):
    """Two tabs of one voter submit at the same moment: exactly one ballot counts."""
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    grades = every_grade(cycle)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(grade):
        try:
            barrier.wait()
            ballot_cast(cycle=cycle, voter=cast.member, grades={pk: grade for pk in grades})
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(g,)) for g in (Grade.EXCELLENT, Grade.UNQUALIFIED)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert BallotParticipation.objects.filter(cycle=cycle, voter=cast.member).count() == 1
    total = sum(BallotCount.objects.filter(cycle=cycle).values_list("count", flat=True))
    assert total == len(grades)
