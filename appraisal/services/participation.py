"""Self-assessments, heart-to-heart talks and peer reviews."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.history import save_with_history
from members.models import (
    Member,
)
from members.services import DomainError

from ..models.cycles import AppraisalCycle, Participant, Step
from ..models.participation import AssessmentStatus, HeartToHeartTalk, PeerReview, SelfAssessment
from ..selectors.participation import leaders_above

# --- self-assessment -------------------------------------------------------------------------


def participant_of(cycle, member) -> Participant:
    participant = Participant.objects.filter(cycle=cycle, member=member).first()
    if participant is None:
        raise DomainError(_("You are not taking part in this appraisal."))
    return participant


@transaction.atomic
def self_assessment_save(
    *, cycle: AppraisalCycle, member: Member, submit: bool = False, **sections
) -> SelfAssessment:
    """Save the member's draft, or submit it (final until the committee returns it)."""
    participant_of(cycle, member)
    cycle.refuse_unless_running()
    assessment, _created = SelfAssessment.objects.select_for_update().get_or_create(
        cycle=cycle, member=member
    )
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise DomainError(
            _("Your self-assessment is submitted; it can change only if the committee returns it.")
        )
    unknown = set(sections) - set(SelfAssessment.SECTIONS)
    if unknown:
        raise DomainError(_("Unknown section."))
    for name, value in sections.items():
        setattr(assessment, name, value.strip())
    if submit:
        empty = [
            str(assessment._meta.get_field(n).verbose_name)
            for n in SelfAssessment.SECTIONS
            if not getattr(assessment, n)
        ]
        if empty:
            raise DomainError(
                _("Fill in every section before submitting: %(sections)s.")
                % {"sections": "、".join(empty)}
            )
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = timezone.now()
    assessment.full_clean()
    return save_with_history(assessment, member.account)


@transaction.atomic
def self_assessment_return(*, assessment: SelfAssessment, comment: str, actor=None):
    """Return a submitted self-assessment to its author with a comment."""
    assessment = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise DomainError(_("Only a submitted self-assessment can be returned."))
    if not comment.strip():
        raise DomainError(_("Say why the self-assessment is returned."))
    assessment.cycle.refuse_unless_running()
    assessment.status = AssessmentStatus.RETURNED
    assessment.return_comment = comment.strip()
    assessment.returned_at = timezone.now()
    assessment.returned_by = actor
    return save_with_history(assessment, actor)


# --- talks and peer review ------------------------------------------------------------------


@transaction.atomic
def talk_log(
    *,
    cycle: AppraisalCycle,
    talker: Member,
    talked_with: Member,
    held_on: date,
    note: str = "",
    actor=None,
) -> HeartToHeartTalk:
    if talker.pk == talked_with.pk:
        raise DomainError(_("A heart-to-heart talk is between two people."))
    cycle.refuse_unless_running()
    if not (
        talker.branch_id == cycle.branch_id
        or Participant.objects.filter(cycle=cycle, member=talker).exists()
        or leaders_above(cycle, on=held_on).filter(pk=talker.pk).exists()
    ):
        raise DomainError(
            _("The person who talked must belong to the branch or lead an organization above it.")
        )
    participant_of(cycle, talked_with)
    talk = HeartToHeartTalk(
        cycle=cycle,
        talker=talker,
        talked_with=talked_with,
        held_on=held_on,
        note=note.strip(),
        recorded_by=actor,
    )
    talk.full_clean()
    talk.save()
    return talk


@transaction.atomic
def peer_review_save(
    *, cycle: AppraisalCycle, reviewer: Member, reviewed: Member, comment: str
) -> PeerReview:
    """Leave (or rewrite) a signed comment on a fellow member during peer review."""
    if cycle.step != Step.PEER_REVIEW or cycle.is_voided:
        raise DomainError(_("Peer review is not open."))
    if reviewer.pk == reviewed.pk:
        raise DomainError(_("Peer review is about fellow members, not yourself."))
    participant_of(cycle, reviewer)
    participant_of(cycle, reviewed)
    if not comment.strip():
        raise DomainError(_("Write a comment."))
    review, _created = PeerReview.objects.update_or_create(
        cycle=cycle, reviewer=reviewer, reviewed=reviewed, defaults={"comment": comment.strip()}
    )
    return review
