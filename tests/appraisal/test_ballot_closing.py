"""Closing the ballot: paper ballots handed out but never entered do not count towards validity;
closing before the announced day needs a recorded reason unless everyone voted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import (
    CycleMove,
    Step,
)
from appraisal.selectors.ballot import tally
from appraisal.services.ballot import paper_ballot_enter, paper_ballots_issue
from appraisal.services.cycles import cycle_open
from appraisal.services.moves import cycle_move, move_blockers
from members.services import DomainError
from tests.appraisal.cycles import every_grade, move_to, vote


def _close_ballot(cycle, **kwargs):
    cycle_move(cycle=cycle, to_step=Step.RATING, reason="测试关闭", **kwargs)
    cycle.refresh_from_db()
    return cycle


def test_paper_ballots_never_entered_do_not_count_towards_validity(cycle, cast, login):
    paper_ballots_issue(
        cycle=cycle, voter_ids=[cast.peer.pk, cast.secretary.pk, cast.committee_member.pk]
    )
    paper_ballot_enter(cycle=cycle, grades=every_grade(cycle))
    vote(cycle, cast.member)
    _hard, soft = move_blockers(cycle, today=cycle.ballot_closes_on)
    assert any("Only 2 ballot(s) of 4 voters count (4 took part)" in str(s) for s in soft)
    _close_ballot(cycle, today=cycle.ballot_closes_on)
    result = tally(cycle)
    # 4 participations, 2 paper ballots never entered: 2 of 4 is not more than half.
    assert (result["turnout"], result["counted"], result["eligible"]) == (4, 2, 4)
    assert result["valid"] is False
    page = login("secretary").get(reverse("appraisal:tally", args=[cycle.pk])).content.decode()
    assert "4 of 4 voters took part" in page
    assert "2 ballot(s) count: 4 voters took part, but 2 paper ballot(s)" in page


def test_closing_the_ballot_early_needs_a_recorded_reason(cycle, cast):
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)  # 3 of 4: valid, but one voter may still come
    early = cycle.ballot_closes_on - timedelta(days=1)
    hard, soft = move_blockers(cycle, today=early)
    assert not hard and len(soft) == 1 and "announced to close" in str(soft[0])
    assert move_blockers(cycle, today=cycle.ballot_closes_on) == ([], [])
    with pytest.raises(DomainError, match="give a reason"):
        cycle_move(cycle=cycle, to_step=Step.RATING, today=early)
    cycle.refresh_from_db()
    assert cycle.step == Step.BALLOT
    cycle_move(cycle=cycle, to_step=Step.RATING, today=early, reason="全员已表态")
    move = CycleMove.objects.get(cycle=cycle, from_step=Step.BALLOT)
    assert move.reason == "全员已表态"
    assert move.forced and "announced to close" in move.incomplete[0]


def test_everyone_voted_the_ballot_may_close_early_without_a_reason(cycle, cast):
    for m in (cast.member, cast.peer, cast.secretary, cast.committee_member):
        vote(cycle, m)
    early = cycle.ballot_closes_on - timedelta(days=3)
    assert move_blockers(cycle, today=early) == ([], [])


def test_early_close_soft_blocker_uses_the_real_date_by_default(cast):
    today = timezone.localdate()
    cycle = cycle_open(
        branch=cast.branch,
        year=today.year + 1,
        self_assessment_due=today - timedelta(days=5),
        peer_review_due=today - timedelta(days=4),
        ballot_opens_on=today - timedelta(days=1),
        ballot_closes_on=today + timedelta(days=5),
        rating_due=today + timedelta(days=10),
    )
    move_to(cycle, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    with pytest.raises(DomainError, match="announced to close"):
        cycle_move(cycle=cycle, to_step=Step.RATING)
