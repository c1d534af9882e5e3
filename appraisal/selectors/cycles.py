"""Reads of cycles: lists with progress, a cycle's figures, its open items and moves."""

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from members.permissions import scope_for

from ..models.ballot import BallotParticipation
from ..models.cycles import ELIGIBLE_VOTER, AppraisalCycle, Participant, RatingState, Step
from ..models.participation import AssessmentStatus, HeartToHeartTalk, SelfAssessment
from ..models.results import Objection
from ..permissions import cycles_managed_by


def count_subquery(qs, by="cycle"):
    """A correlated COUNT subquery over qs (already filtered on `by`=OuterRef("pk"))."""
    sub = qs.order_by().values(by).annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def with_progress(qs):
    outer = OuterRef("pk")
    return qs.select_related("branch").annotate(
        n_participants=count_subquery(Participant.objects.filter(cycle=outer)),
        n_voters=count_subquery(Participant.objects.voters().filter(cycle=outer)),
        n_submitted=count_subquery(
            SelfAssessment.objects.filter(cycle=outer, status=AssessmentStatus.SUBMITTED)
        ),
        n_turnout=count_subquery(BallotParticipation.objects.filter(cycle=outer)),
        n_open_objections=count_subquery(
            Objection.objects.filter(cycle=outer, answered_at__isnull=True)
        ),
    )


def managed_cycle_ids(user, *, year=None):
    """Ids of the cycles the user manages, newest year first: what the list paginates (no
    progress subqueries run for the rows a page does not show)."""
    qs = cycles_managed_by(user)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "branch__path", "pk").values_list("pk", flat=True)


def cycles_with_progress(ids):
    """One page of managed_cycle_ids with their progress, kept in the given order."""
    ids = list(ids)
    rows = {c.pk: c for c in with_progress(AppraisalCycle.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def own_cycles(member_id, *, year=None):
    """Cycles a member takes part in, newest first, with their own progress."""
    if not member_id:
        return AppraisalCycle.objects.none()
    qs = AppraisalCycle.objects.filter(participants__member_id=member_id)
    if year:
        qs = qs.filter(year=year)
    return with_own_progress(qs, member_id).order_by("-year")


def with_own_progress(cycles, member_id):
    """The cycles with their branch and the member's own progress in each: my_assessment
    (their self-assessment's status) and my_voted (whether they voted)."""
    outer = OuterRef("pk")
    return cycles.select_related("branch").annotate(
        my_assessment=Subquery(
            SelfAssessment.objects.filter(cycle=outer, member_id=member_id).values("status")[:1]
        ),
        my_voted=count_subquery(
            BallotParticipation.objects.filter(cycle=outer, voter_id=member_id)
        ),
    )


def cycle_years(user):
    years = set(cycles_managed_by(user).values_list("year", flat=True).distinct())
    member_id = scope_for(user).member_id
    if member_id:
        years |= set(
            Participant.objects.filter(member_id=member_id).values_list("cycle__year", flat=True)
        )
    return sorted(years, reverse=True)


def participants(cycle, **filters):
    return list(
        Participant.objects.filter(cycle=cycle, **filters)
        .select_related("member")
        .order_by("member__full_name", "member_id")
    )


def cycle_progress(cycle):
    """The figures behind the stepper, in one query whatever the size of the branch:
    participants, self-assessments submitted, members talked with, voters and ballots cast."""
    member = OuterRef("member_id")
    submitted = SelfAssessment.objects.filter(
        cycle=cycle, member_id=member, status=AssessmentStatus.SUBMITTED
    )
    talked = HeartToHeartTalk.objects.filter(cycle=cycle).filter(
        Q(talker_id=member) | Q(talked_with_id=member)
    )
    voted = BallotParticipation.objects.filter(cycle=cycle, voter_id=member)
    figures = Participant.objects.filter(cycle=cycle).aggregate(
        n_participants=Count("pk"),
        n_submitted=Count("pk", filter=Exists(submitted)),
        n_talked=Count("pk", filter=Exists(talked)),
        n_voters=Count("pk", filter=ELIGIBLE_VOTER),
        n_voted=Count("pk", filter=ELIGIBLE_VOTER & Exists(voted)),
    )
    figures["n_missing_assessment"] = figures["n_participants"] - figures["n_submitted"]
    figures["n_missing_talk"] = figures["n_participants"] - figures["n_talked"]
    figures["n_missing_ballot"] = figures["n_voters"] - figures["n_voted"]
    return figures


def own_part(cycle, member_id):
    """The viewer's part in a cycle (None if they take no part), in one query: whether they
    are graded and vote, the state of their self-assessment, whether they have voted."""
    if not member_id:
        return None
    return (
        Participant.objects.filter(cycle=cycle, member_id=member_id)
        .annotate(
            assessment_status=Subquery(
                SelfAssessment.objects.filter(cycle=cycle, member_id=member_id).values("status")[:1]
            ),
            voted=Exists(BallotParticipation.objects.filter(cycle=cycle, voter_id=member_id)),
        )
        .values("graded", "votes", "assessment_status", "voted")
        .first()
    )


def cycle_moves(cycle):
    return list(cycle.moves.select_related("actor"))


def rating_waiting(user):
    """Ratings waiting for this organizer's approval (organizations below them)."""
    scope = scope_for(user)
    if not (scope.is_admin or scope.is_organizer):
        return AppraisalCycle.objects.none()
    q = Q()
    if not scope.is_admin:
        q = Q(pk__in=[])
        for path in scope.organizer_paths:
            q |= Q(branch__path__startswith=path)
    return (
        AppraisalCycle.objects.not_voided()
        .filter(q, step=Step.RATING, rating_state=RatingState.SUBMITTED)
        .select_related("branch")
    )
