"""Publicity: objections and answers, closing when it ends; records, corrections and export logs."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.history import save_with_history
from members.models import (
    Member,
)
from members.permissions import has_perm
from members.services import DomainError, audit_log

from ..models.cycles import AppraisalCycle, Grade, Step
from ..models.results import AppraisalRecord, Objection, RecordAmendment
from .moves import cycle_move
from .participation import participant_of

# --- publicity and records --------------------------------------------------------------------


@transaction.atomic
def objection_file(
    *, cycle: AppraisalCycle, member: Member, text: str, about: Member | None = None
) -> Objection:
    cycle.refuse_unless_running()
    if cycle.step != Step.PUBLICITY:
        raise DomainError(_("Objections are filed while the results are published."))
    participant_of(cycle, member)
    if about is not None:
        participant_of(cycle, about)
    if not text.strip():
        raise DomainError(_("Write your objection."))
    objection = Objection(cycle=cycle, filed_by=member, about=about, text=text.strip())
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, answer: str, actor=None) -> Objection:
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.is_answered:
        raise DomainError(_("This objection has already been answered."))
    if not answer.strip():
        raise DomainError(_("Write the answer."))
    objection.answer = answer.strip()
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    return objection


@transaction.atomic
def record_amend(
    *, record: AppraisalRecord, grade: str, reason: str, actor=None
) -> RecordAmendment:
    """Correct a closed record: a new amendment row; the record and earlier ones stay."""
    if actor is not None and not has_perm(actor, "appraisal.amend_record", record):
        raise DomainError(_("You cannot correct this record (nobody corrects their own)."))
    if record.cycle.is_voided:
        raise DomainError(_("The appraisal cycle of this record was voided; it is not corrected."))
    if grade not in Grade.values:
        raise DomainError(_("Unknown grade."))
    if not reason.strip():
        raise DomainError(_("A correction needs a reason."))
    amendment = RecordAmendment(record=record, grade=grade, reason=reason.strip(), amended_by=actor)
    amendment.full_clean()
    save_with_history(amendment, actor)
    audit_log(actor=actor, action="appraisal.record_amended", obj=record, grade=grade)
    return amendment


def publicity_close_finished(*, today: date | None = None) -> int:
    """Close every cycle whose publicity has ended and whose objections are all answered."""
    today = today or timezone.localdate()
    due = (
        AppraisalCycle.objects.not_voided()
        .filter(step=Step.PUBLICITY, publicity_ends_on__lte=today)
        .exclude(pk__in=Objection.objects.filter(answered_at__isnull=True).values("cycle_id"))
    )
    closed = 0
    for pk in due.values_list("pk", flat=True).iterator(chunk_size=2000):
        try:
            cycle_move(cycle=AppraisalCycle(pk=pk), to_step=Step.CLOSED, actor=None, today=today)
        except DomainError:
            continue
        closed += 1
    return closed


def export_logged(*, actor, cycle: AppraisalCycle, what: str, rows: int):
    """Log an export of personal data (members.services.audit_log)."""
    audit_log(actor=actor, action=f"appraisal.export.{what}", obj=cycle, rows=rows)
