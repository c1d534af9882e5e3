"""The committee's rating and the decision of the organization above."""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.history import save_with_history
from members.models import (
    Member,
)
from members.permissions import has_perm
from members.services import DomainError

from ..models.cycles import GRADES_NEEDING_REASON, AppraisalCycle, Grade, RatingState, Step
from ..models.results import Rating
from .ballot import graded_ids

# --- rating ------------------------------------------------------------------------------------


def _check_rating_editable(cycle):
    cycle.refuse_unless_running()
    if cycle.step != Step.RATING:
        raise DomainError(_("The rating is made after the ballot closes."))
    if cycle.rating_state not in (RatingState.DRAFT, RatingState.RETURNED):
        raise DomainError(_("The rating is waiting for approval or approved; it cannot change."))


@transaction.atomic
def ratings_save(*, cycle: AppraisalCycle, entries: Mapping[int, tuple[str, str]], actor=None):
    """Save the committee's proposed grades: {member_id: (grade, reason)}; empty grade skips.

    "Basically qualified" and "unqualified" need a written reason.
    """
    cycle = AppraisalCycle.objects.locked(cycle)
    _check_rating_editable(cycle)
    graded = graded_ids(cycle)
    existing = {r.member_id: r for r in Rating.objects.filter(cycle=cycle)}
    names = dict(Member.objects.filter(pk__in=entries).values_list("pk", "full_name"))
    errors = []
    for member_id, (grade, reason) in entries.items():
        if not grade:
            continue
        if member_id not in graded:
            raise DomainError(_("Only appraised members are rated."))
        reason = (reason or "").strip()
        if grade in GRADES_NEEDING_REASON and not reason:
            errors.append(
                _("%(name)s: “%(grade)s” needs a written reason.")
                % {"name": names.get(member_id, member_id), "grade": Grade(grade).label}
            )
            continue
        rating = existing.get(member_id) or Rating(cycle=cycle, member_id=member_id)
        if rating.pk and (rating.grade, rating.reason) == (grade, reason):
            continue
        rating.grade, rating.reason, rating.proposed_by = grade, reason, actor
        rating.full_clean()
        save_with_history(rating, actor)
    if errors:
        raise DomainError(errors)


@transaction.atomic
def rating_submit(*, cycle: AppraisalCycle, actor=None) -> AppraisalCycle:
    """Send the rating to the organization above; every appraised member must be rated."""
    cycle = AppraisalCycle.objects.locked(cycle)
    _check_rating_editable(cycle)
    rated = set(Rating.objects.filter(cycle=cycle).values_list("member_id", flat=True))
    missing = graded_ids(cycle) - rated
    if missing:
        raise DomainError(
            _("%(n)s appraised member(s) have no proposed grade yet.") % {"n": len(missing)}
        )
    cycle.rating_state = RatingState.SUBMITTED
    return save_with_history(cycle, actor, update_fields=["rating_state"])


@transaction.atomic
def rating_decide(
    *, cycle: AppraisalCycle, approve: bool, comment: str = "", actor=None
) -> AppraisalCycle:
    """The organization above approves the rating, or returns it with a comment."""
    cycle = AppraisalCycle.objects.locked(cycle)
    if actor is not None and not has_perm(actor, "appraisal.approve_rating", cycle):
        raise DomainError(_("Only the organization above the branch approves its rating."))
    cycle.refuse_unless_running()
    if cycle.step != Step.RATING or cycle.rating_state != RatingState.SUBMITTED:
        raise DomainError(_("There is no rating waiting for approval."))
    if not approve and not comment.strip():
        raise DomainError(_("Say why the rating is returned."))
    cycle.rating_state = RatingState.APPROVED if approve else RatingState.RETURNED
    cycle.rating_comment = comment.strip()
    cycle.rating_decided_by = actor
    cycle.rating_decided_at = timezone.now()
    return save_with_history(cycle, actor)
