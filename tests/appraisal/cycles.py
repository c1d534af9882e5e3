"""Helpers for appraisal tests: open a cycle for the cast's branch and drive it forward."""

from datetime import date, timedelta

from appraisal.models import AppraisalCycle, Grade, Participant, Step
from appraisal.services.ballot import ballot_cast
from appraisal.services.cycles import cycle_open, cycles_open_many
from appraisal.services.moves import cycle_move
from appraisal.services.participation import self_assessment_save
from appraisal.services.rating import rating_decide, rating_submit, ratings_save

YEAR = 2025


def open_cycle(branch, *, year=YEAR, actor=None, **kwargs) -> AppraisalCycle:
    start = date(year, 12, 1)
    return cycle_open(
        branch=branch,
        year=year,
        self_assessment_due=start,
        peer_review_due=start + timedelta(days=7),
        ballot_opens_on=start + timedelta(days=10),
        ballot_closes_on=start + timedelta(days=14),
        rating_due=start + timedelta(days=20),
        actor=actor,
        **kwargs,
    )


def approve_rating(cycle, *, grade=Grade.QUALIFIED):
    """Rate every appraised member `grade`, submit, and approve as the system."""
    ids = cycle.participants.filter(graded=True).values_list("member_id", flat=True)
    reason = "理由" if grade in (Grade.BASICALLY_QUALIFIED, Grade.UNQUALIFIED) else ""
    ratings_save(cycle=cycle, entries={pk: (grade, reason) for pk in ids})
    rating_submit(cycle=cycle)
    rating_decide(cycle=cycle, approve=True)


def submitted_self_assessment(cycle, member):
    """The member's self-assessment for the cycle, filled in and submitted."""
    return self_assessment_save(
        cycle=cycle,
        member=member,
        study="学习",
        duties="履职",
        discipline="纪律",
        online_conduct="网络言行",
        improvements="改进",
        submit=True,
    )


def move_to(cycle, step, *, today=None) -> AppraisalCycle:
    """Drive a cycle forward to `step` as the system, giving a reason wherever one is needed."""
    while cycle.step != step:
        if cycle.step == Step.RATING and cycle.rating_state != "approved":
            approve_rating(cycle)
        cycle_move(cycle=cycle, to_step=cycle.next_step(), reason="测试推进", today=today)
        cycle.refresh_from_db()
    return cycle


def vote(cycle, voter, grade=Grade.QUALIFIED, special=None):
    """Cast `voter`'s ballot giving everyone `grade`, except {member: grade} in `special`."""
    ids = cycle.participants.filter(graded=True).values_list("member_id", flat=True)
    grades = {pk: grade for pk in ids}
    grades.update({m.pk: g for m, g in (special or {}).items()})
    ballot_cast(cycle=cycle, voter=voter, grades=grades)


def every_grade(cycle, grade=Grade.QUALIFIED):
    """{member_id: grade} for every graded participant: one full ballot."""
    ids = Participant.objects.filter(cycle=cycle, graded=True).values_list("member_id", flat=True)
    return {pk: grade for pk in ids}


def open_cycles_like(start, branches):
    """Open a cycle in each branch with the deadlines of `start` (one call, as organizers do)."""
    cycles_open_many(
        branches=branches,
        year=start.year,
        self_assessment_due=start.self_assessment_due,
        peer_review_due=start.peer_review_due,
        ballot_opens_on=start.ballot_opens_on,
        ballot_closes_on=start.ballot_closes_on,
        rating_due=start.rating_due,
    )
