"""Make-up study: a member records it, a leader confirms or rejects it."""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.history import save_with_history
from members.models import Member
from members.services import DomainError
from members.uploads import store_private_file

from .. import summaries
from ..models.makeups import Makeup, MakeupEvidence, MakeupState
from ..models.sessions import Attendance, AttendanceStatus, Session, SessionState


@transaction.atomic
def makeup_submit(
    *,
    member: Member,
    session: Session | None,
    description: str,
    studied_on: date,
    hours: Decimal,
    evidence=None,
    actor=None,
) -> Makeup:
    """Record make-up study for a session the member missed (absent or excused)."""
    if session is not None:
        missed = Attendance.objects.filter(
            session=session,
            member=member,
            status__in=(AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED),
            session__state=SessionState.HELD,
        ).exists()
        if not missed:
            raise DomainError(_("Make-up study is recorded for a held session you missed."))
        if hours is not None and Decimal(hours) > session.hours:
            message = _("Make-up hours cannot exceed the session's %(hours)s hours.")
            raise DomainError({"hours": message % {"hours": session.hours}})
    if hours is None or not Decimal(hours).is_finite() or Decimal(hours) <= 0:
        raise DomainError({"hours": _("Enter the hours studied, more than 0.")})
    if studied_on > timezone.localdate():
        raise DomainError({"studied_on": _("The study date cannot be in the future.")})
    makeup = Makeup(
        member=member,
        session=session,
        description=description,
        studied_on=studied_on,
        hours=hours,
    )
    makeup.full_clean(validate_constraints=False)
    makeup._history_user = actor
    try:
        with transaction.atomic():
            makeup.save()
    except IntegrityError as exc:
        raise DomainError(_("Make-up study for this session is already recorded.")) from exc
    if evidence:
        # Checked by content and kept under a random name, as every private file is; a
        # refused file undoes the make-up with it (this function is one transaction).
        store_private_file(
            MakeupEvidence(makeup=makeup), evidence, actor=actor, error_field="evidence"
        )
    return makeup


def _review(makeup: Makeup, state: str, actor, note: str) -> Makeup:
    makeup = Makeup.objects.select_for_update().get(pk=makeup.pk)
    if (
        getattr(actor, "pk", None)
        and Member.objects.filter(pk=makeup.member_id, account_id=actor.pk).exists()
    ):
        raise DomainError(_("You cannot review your own make-up study."))
    if makeup.state != MakeupState.SUBMITTED:
        raise DomainError(_("This make-up study has already been reviewed."))
    makeup.state = state
    makeup.reviewed_by = actor
    makeup.reviewed_at = timezone.now()
    makeup.review_note = note
    save_with_history(makeup, actor)
    summaries.refresh_members([makeup.member_id], [makeup.studied_on.year])
    return makeup


@transaction.atomic
def makeup_confirm(*, makeup: Makeup, actor=None, note: str = "") -> Makeup:
    """Confirm make-up study; from now on its hours count for the member."""
    return _review(makeup, MakeupState.CONFIRMED, actor, note)


@transaction.atomic
def makeup_reject(*, makeup: Makeup, actor=None, note: str = "") -> Makeup:
    return _review(makeup, MakeupState.REJECTED, actor, note)
