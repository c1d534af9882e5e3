"""The cycle's state machine: order, roles, completeness checks and their recorded reasons."""

from datetime import date

import pytest

from appraisal.models import (
    AppraisalCycle,
    AppraisalRules,
    BallotCount,
    CycleMove,
    Grade,
    Participant,
    RatingState,
    Step,
)
from appraisal.services.cycles import cycle_open, cycles_open_many
from appraisal.services.moves import cycle_move
from appraisal.services.participation import self_assessment_save
from appraisal.services.publicity import objection_answer, objection_file, publicity_close_finished
from appraisal.services.rating import rating_decide, rating_submit, ratings_save
from members.models import MemberStatus
from members.services import DomainError
from tests.appraisal.cycles import YEAR, approve_rating, move_to, open_cycle, vote
from tests.factories import make_member


@pytest.fixture
def cycle(cast):
    return open_cycle(cast.branch)


def test_open_takes_the_active_members_and_grades_full_members_only(cast):
    probationary = make_member(cast.branch, "预备甲", status=MemberStatus.PROBATIONARY)
    cycle = open_cycle(cast.branch)
    rows = {p.member_id: p for p in Participant.objects.filter(cycle=cycle)}
    assert set(rows) == {
        cast.member.pk,
        cast.peer.pk,
        cast.secretary.pk,
        cast.committee_member.pk,
        probationary.pk,
    }
    assert rows[probationary.pk].votes and not rows[probationary.pk].graded
    assert rows[cast.member.pk].graded


def test_rules_of_the_nearest_organization_apply_and_can_grade_probationary(cast):
    AppraisalRules.objects.create(organization=cast.root, publicity_days=9)
    AppraisalRules.objects.create(
        organization=cast.c1, year=YEAR, probationary_graded=True, uses_publicity=False
    )
    probationary = make_member(cast.branch, "预备乙", status=MemberStatus.PROBATIONARY)
    cycle = open_cycle(cast.branch)
    assert cycle.probationary_graded and not cycle.uses_publicity
    assert cycle.publicity_days == 5  # c1's rules for the year win over the root's
    assert Participant.objects.get(cycle=cycle, member=probationary).graded
    other_year = open_cycle(cast.branch, year=YEAR - 1)
    assert other_year.publicity_days == 9 and other_year.uses_publicity


def test_one_cycle_per_branch_and_year(cast, cycle):
    with pytest.raises(DomainError):
        open_cycle(cast.branch)


def test_deadlines_must_follow_the_steps(cast):
    with pytest.raises(DomainError):
        cycle_open(
            branch=cast.branch,
            year=YEAR,
            self_assessment_due=date(YEAR, 12, 20),
            peer_review_due=date(YEAR, 12, 1),
            ballot_opens_on=date(YEAR, 12, 21),
            ballot_closes_on=date(YEAR, 12, 22),
            rating_due=date(YEAR, 12, 23),
        )


def test_organizer_opens_many_branches_at_once_and_skips_existing(cast):
    open_cycle(cast.branch)
    start = date(YEAR, 12, 1)
    opened, skipped = cycles_open_many(
        branches=[cast.branch, cast.other_branch],
        year=YEAR,
        self_assessment_due=start,
        peer_review_due=start,
        ballot_opens_on=start,
        ballot_closes_on=start,
        rating_due=start,
        actor=cast.users["organizer"],
    )
    assert [c.branch for c in opened] == [cast.other_branch]
    assert skipped == [cast.branch]


def test_move_out_of_order_is_refused(cycle, cast):
    with pytest.raises(DomainError, match="next step"):
        cycle_move(cycle=cycle, to_step=Step.BALLOT, actor=cast.users["secretary"], reason="x")
    cycle.refresh_from_db()
    assert cycle.step == Step.SELF_ASSESSMENT
    with pytest.raises(DomainError):
        cycle_move(cycle=cycle, to_step=Step.SELF_ASSESSMENT, reason="x")


@pytest.mark.parametrize("role", ["member", "peer", "other_secretary", "other_organizer"])
def test_move_by_the_wrong_role_is_refused(cycle, cast, role):
    with pytest.raises(DomainError, match="committee"):
        cycle_move(cycle=cycle, to_step=Step.PEER_REVIEW, actor=cast.users[role], reason="x")
    cycle.refresh_from_db()
    assert cycle.step == Step.SELF_ASSESSMENT


@pytest.mark.parametrize("role", ["secretary", "committee_member", "organizer", "admin"])
def test_committee_and_organizers_above_move_the_cycle(cycle, cast, role):
    cycle_move(cycle=cycle, to_step=Step.PEER_REVIEW, actor=cast.users[role], reason="x")
    cycle.refresh_from_db()
    assert cycle.step == Step.PEER_REVIEW


def test_incomplete_step_needs_a_reason_which_is_recorded(cycle, cast):
    secretary = cast.users["secretary"]
    with pytest.raises(DomainError, match="reason"):
        cycle_move(cycle=cycle, to_step=Step.PEER_REVIEW, actor=secretary)
    cycle_move(
        cycle=cycle, to_step=Step.PEER_REVIEW, actor=secretary, reason="两名党员出差，会后补交"
    )
    move = CycleMove.objects.get(cycle=cycle)
    assert move.forced and move.reason == "两名党员出差，会后补交"
    assert "self-assessment" in move.incomplete[0] or "自评" in move.incomplete[0]
    assert move.actor == secretary


def test_complete_step_moves_without_reason(cycle, cast):
    for m in (cast.member, cast.peer, cast.secretary, cast.committee_member):
        self_assessment_save(
            cycle=cycle,
            member=m,
            submit=True,
            study="学",
            duties="职",
            discipline="纪",
            online_conduct="网",
            improvements="改",
        )
    move = cycle_move(cycle=cycle, to_step=Step.PEER_REVIEW, actor=cast.users["secretary"])
    assert not move.forced and move.reason == ""


def test_opening_the_ballot_creates_every_counter_at_zero(cycle, cast):
    move_to(cycle, Step.BALLOT)
    counts = BallotCount.objects.filter(cycle=cycle)
    assert counts.count() == 4 * len(Grade.values)
    assert set(counts.values_list("count", flat=True)) == {0}


def test_rating_must_be_approved_by_the_organization_above(cycle, cast):
    move_to(cycle, Step.RATING)
    with pytest.raises(DomainError, match="approved"):
        cycle_move(cycle=cycle, to_step=Step.PUBLICITY, actor=cast.users["secretary"], reason="急")
    ids = list(cycle.participants.values_list("member_id", flat=True))
    ratings_save(cycle=cycle, entries={pk: (Grade.QUALIFIED, "") for pk in ids})
    rating_submit(cycle=cycle, actor=cast.users["secretary"])
    with pytest.raises(DomainError, match="organization above"):
        rating_decide(cycle=cycle, approve=True, actor=cast.users["secretary"])
    with pytest.raises(DomainError):
        rating_decide(cycle=cycle, approve=False, comment="", actor=cast.users["organizer"])
    rating_decide(cycle=cycle, approve=False, comment="请复核", actor=cast.users["organizer"])
    cycle.refresh_from_db()
    assert cycle.rating_state == RatingState.RETURNED
    rating_submit(cycle=cycle, actor=cast.users["secretary"])
    rating_decide(cycle=cycle, approve=True, actor=cast.users["organizer"])
    cycle_move(cycle=cycle, to_step=Step.PUBLICITY, actor=cast.users["secretary"])
    cycle.refresh_from_db()
    assert cycle.step == Step.PUBLICITY
    assert (cycle.publicity_ends_on - cycle.publicity_starts_on).days == 5


def test_low_grades_need_a_reason(cycle, cast):
    move_to(cycle, Step.RATING)
    with pytest.raises(DomainError, match="reason"):
        ratings_save(cycle=cycle, entries={cast.member.pk: (Grade.UNQUALIFIED, "")})
    ratings_save(cycle=cycle, entries={cast.member.pk: (Grade.BASICALLY_QUALIFIED, "学习不够")})


def test_submit_needs_every_appraised_member_rated(cycle, cast):
    move_to(cycle, Step.RATING)
    ratings_save(cycle=cycle, entries={cast.member.pk: (Grade.QUALIFIED, "")})
    with pytest.raises(DomainError):
        rating_submit(cycle=cycle)


def test_publicity_with_unanswered_objection_cannot_close(cycle, cast):
    move_to(cycle, Step.PUBLICITY)
    objection = objection_file(cycle=cycle, member=cast.peer, text="有异议")
    with pytest.raises(DomainError, match="objection"):
        cycle_move(cycle=cycle, to_step=Step.CLOSED, reason="到期")
    objection_answer(objection=objection, answer="已核实", actor=cast.users["secretary"])
    cycle_move(cycle=cycle, to_step=Step.CLOSED, reason="提前结束")
    cycle.refresh_from_db()
    assert cycle.is_closed and cycle.records.count() == 4


def test_without_publicity_the_rating_closes_the_cycle(cast):
    AppraisalRules.objects.create(organization=cast.c1, uses_publicity=False)
    cycle = open_cycle(cast.branch)
    move_to(cycle, Step.RATING)
    approve_rating(cycle)
    assert cycle.next_step() == Step.CLOSED
    with pytest.raises(DomainError):
        cycle_move(cycle=cycle, to_step=Step.PUBLICITY)
    cycle_move(cycle=cycle, to_step=Step.CLOSED)
    assert AppraisalCycle.objects.get(pk=cycle.pk).is_closed


def test_publicity_end_closes_the_cycle_through_the_periodic_job(cycle, cast):
    move_to(cycle, Step.PUBLICITY)
    cycle.refresh_from_db()
    assert publicity_close_finished(today=cycle.publicity_starts_on) == 0
    assert publicity_close_finished(today=cycle.publicity_ends_on) == 1
    cycle.refresh_from_db()
    assert cycle.is_closed
    move = cycle.moves.last()
    assert move.actor is None and not move.forced


def test_ballot_close_with_too_few_voters_needs_a_reason(cycle, cast):
    move_to(cycle, Step.BALLOT)
    vote(cycle, cast.member)
    with pytest.raises(DomainError, match="not valid"):
        cycle_move(cycle=cycle, to_step=Step.RATING, actor=cast.users["secretary"])
    vote(cycle, cast.peer)
    vote(cycle, cast.secretary)
    cycle_move(cycle=cycle, to_step=Step.RATING, actor=cast.users["secretary"])


def test_an_answer_posted_empty_is_told_and_changes_nothing(cycle, cast, login):
    """A POST-only action whose form is invalid flashes the form's errors (the objection
    answer used to go back without a word) and runs nothing."""
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from appraisal.models import Objection

    move_to(cycle, Step.PUBLICITY)
    objection = objection_file(cycle=cycle, member=cast.peer, text="有异议")
    response = login("secretary").post(
        reverse("appraisal:objection_answer", args=[objection.pk]), {"answer": ""}
    )
    assert response.status_code == 302
    shown = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0][0] == "error" and shown[0][1]
    assert not Objection.objects.get(pk=objection.pk).is_answered
