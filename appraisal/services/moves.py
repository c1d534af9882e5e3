"""Moving a cycle to its next step (`cycle_move`) and what blocks a move."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from members.history import save_with_history
from members.permissions import has_perm
from members.services import DomainError

from .. import figures
from ..models.ballot import BallotBox, BallotParticipation
from ..models.cycles import STEP_ORDER, AppraisalCycle, CycleMove, Participant, RatingState, Step
from ..models.participation import AssessmentStatus, HeartToHeartTalk, SelfAssessment
from ..models.results import AppraisalRecord, Objection, Rating
from .ballot import ballot_is_valid, ballot_open, ballot_seal, ballots_counted
from .notices import step_group_notice

# --- moving a cycle forward ----------------------------------------------------------------


def move_blockers(cycle: AppraisalCycle, *, today: date | None = None):
    """(hard, soft): what stops the move to the next step, and what is merely incomplete.

    Hard blockers cannot be overridden; soft ones can, with a written reason.
    """
    today = today or timezone.localdate()
    hard, soft = [], []
    participants = Participant.objects.filter(cycle=cycle)
    if cycle.step == Step.SELF_ASSESSMENT:
        missing = participants.exclude(
            member_id__in=SelfAssessment.objects.filter(
                cycle=cycle, status=AssessmentStatus.SUBMITTED
            ).values("member_id")
        ).count()
        if missing:
            soft.append(_("%(n)s member(s) have not submitted a self-assessment.") % {"n": missing})
    elif cycle.step == Step.PEER_REVIEW:
        talked = HeartToHeartTalk.objects.filter(cycle=cycle)
        missing = (
            participants.exclude(member_id__in=talked.values("talker_id"))
            .exclude(member_id__in=talked.values("talked_with_id"))
            .count()
        )
        if missing:
            soft.append(_("%(n)s member(s) have not had a heart-to-heart talk.") % {"n": missing})
    elif cycle.step == Step.BALLOT:
        box = BallotBox.objects.get(cycle=cycle)
        turnout = BallotParticipation.objects.filter(cycle=cycle).count()
        eligible = participants.voters().count()
        counted = ballots_counted(
            turnout=turnout, paper_issued=box.paper_issued, paper_entered=box.paper_entered
        )
        if not ballot_is_valid(cycle, turnout=counted, eligible=eligible):
            soft.append(
                _(
                    "Only %(counted)s ballot(s) of %(eligible)s voters count (%(turnout)s took "
                    "part): the ballot is not valid under the rules."
                )
                % {"counted": counted, "turnout": turnout, "eligible": eligible}
            )
        if box.paper_entered < box.paper_issued:
            soft.append(
                _("%(n)s paper ballot(s) were issued but not entered.")
                % {"n": box.paper_issued - box.paper_entered}
            )
        if today < cycle.ballot_closes_on and turnout < eligible:
            soft.append(
                _(
                    "The ballot was announced to close on %(date)s and %(n)s voter(s) have not "
                    "voted yet."
                )
                % {"date": cycle.ballot_closes_on.isoformat(), "n": eligible - turnout}
            )
    elif cycle.step == Step.RATING:
        if cycle.rating_state != RatingState.APPROVED:
            hard.append(_("The organization above has not approved the rating yet."))
    elif cycle.step == Step.PUBLICITY:
        if Objection.objects.filter(cycle=cycle, answered_at__isnull=True).exists():
            hard.append(_("Every objection must be answered before the cycle closes."))
        if cycle.publicity_ends_on and today < cycle.publicity_ends_on:
            soft.append(
                _("Publicity runs until %(date)s.") % {"date": cycle.publicity_ends_on.isoformat()}
            )
    return hard, soft


@transaction.atomic
def cycle_move(
    *,
    cycle: AppraisalCycle,
    to_step: str,
    actor=None,
    reason: str = "",
    today: date | None = None,
) -> CycleMove:
    """Move a cycle to its next step (actor None: the system, e.g. publicity ending).

    Refuses a move out of order, by someone who does not manage the branch, or with a hard
    blocker; a move with soft blockers needs a reason, kept in the CycleMove row.
    """
    today = today or timezone.localdate()
    cycle = AppraisalCycle.objects.locked(cycle)
    if actor is not None and not has_perm(actor, "appraisal.move_cycle", cycle):
        raise DomainError(
            _("Only the branch committee or the organization above can move this cycle.")
        )
    if to_step not in STEP_ORDER:
        raise DomainError(_("Unknown step."))
    expected = cycle.next_step()
    if expected is None:
        raise DomainError(_("This cycle is closed."))
    if to_step != expected:
        raise DomainError(
            _("The cycle is at “%(current)s”; the next step is “%(next)s”, not “%(asked)s”.")
            % {
                "current": Step(cycle.step).label,
                "next": Step(expected).label,
                "asked": Step(to_step).label,
            }
        )
    hard, soft = move_blockers(cycle, today=today)
    if hard:
        raise DomainError(hard)
    reason = reason.strip()
    if soft and not reason:
        raise DomainError([*soft, _("The step is not complete: give a reason to go ahead anyway.")])
    move = CycleMove.objects.create(
        cycle=cycle,
        from_step=cycle.step,
        to_step=to_step,
        actor=actor,
        incomplete=[str(s) for s in soft],
        reason=reason,
    )
    from_step = cycle.step
    cycle.step = to_step
    if to_step == Step.BALLOT:
        ballot_open(cycle)
    if from_step == Step.BALLOT:
        BallotBox.objects.select_for_update().filter(cycle=cycle).update(closed_at=timezone.now())
        ballot_seal(cycle)
    if to_step == Step.PUBLICITY:
        cycle.publicity_starts_on = today
        cycle.publicity_ends_on = today + timedelta(days=cycle.publicity_days)
    step_group_notice(cycle, to_step)
    if to_step == Step.CLOSED:
        cycle.closed_at = timezone.now()
        _records_write(cycle)
    save_with_history(cycle, actor)
    if to_step == Step.CLOSED:
        figures.refresh_branches([cycle.branch_id], [cycle.year])
    return move


def _records_write(cycle: AppraisalCycle):
    ratings = {r.member_id: r for r in Rating.objects.filter(cycle=cycle)}
    records = []
    for p in Participant.objects.filter(cycle=cycle):
        rating = ratings.get(p.member_id)
        records.append(
            AppraisalRecord(
                cycle=cycle,
                member_id=p.member_id,
                year=cycle.year,
                graded=p.graded,
                grade=rating.grade if rating and p.graded else "",
                reason=rating.reason if rating and p.graded else "",
            )
        )
    bulk_create_with_history(records, AppraisalRecord)
