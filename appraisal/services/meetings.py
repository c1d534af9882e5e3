"""Life meetings and rectification items."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.concurrency import version_claim
from members.history import save_with_history
from members.models import (
    Member,
    OrganizationKind,
)
from members.services import DomainError, notify_many
from members.voiding import void_mark

from ..models.meetings import LifeMeeting, Rectification, RectificationStatus

# --- life meetings -----------------------------------------------------------------------------


@transaction.atomic
def life_meeting_save(
    *,
    meeting: LifeMeeting | None = None,
    attendees: Iterable[Member] = (),
    actor=None,
    version: int | None = None,
    **fields,
) -> LifeMeeting:
    """Record a life meeting (or correct its record): date, topics, minutes, attendees.

    `version`: when correcting, the one the editor saw (members.concurrency)."""
    meeting = meeting or LifeMeeting(recorded_by=actor)
    if meeting.is_voided:
        raise DomainError(_("This meeting record was voided; it is no longer changed."))
    for name, value in fields.items():
        setattr(meeting, name, value)
    if meeting.pk is not None:
        version_claim(meeting, version, fields=list(fields))
    meeting.full_clean()
    if meeting.organization.kind == OrganizationKind.GROUP:
        raise DomainError(_("Life meetings are held by a branch or a committee."))
    attendees = list(attendees)
    outside = [m for m in attendees if not m.branch.path.startswith(meeting.organization.path)]
    if outside and meeting.organization.kind == OrganizationKind.BRANCH:
        raise DomainError(_("Attendees of a branch meeting are members of that branch."))
    save_with_history(meeting, actor)
    meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def rectification_add(
    *, meeting: LifeMeeting, description: str, owner: Member, due_on: date, actor=None
) -> Rectification:
    if meeting.is_voided:
        raise DomainError(_("This meeting record was voided; it is no longer changed."))
    item = Rectification(
        meeting=meeting, description=description.strip(), owner=owner, due_on=due_on
    )
    item.full_clean()
    return save_with_history(item, actor)


@transaction.atomic
def rectification_complete(
    *, rectification: Rectification, done_on: date, note: str = "", actor=None
) -> Rectification:
    item = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if item.is_done:
        raise DomainError(_("This rectification item is already done."))
    if not note.strip():
        raise DomainError(_("Say what was done."))
    item.status = RectificationStatus.DONE
    item.done_on = done_on
    item.done_note = note.strip()
    item.full_clean()
    return save_with_history(item, actor)


@transaction.atomic
def life_meeting_void(*, meeting: LifeMeeting, reason: str, actor) -> LifeMeeting:
    """Void a life-meeting record entered in error, with a written reason; never a deletion.

    The record, its attendees and rectification items stay (the history shows who voided it
    and why); it stays listed, marked voided, and its open rectification items are no longer
    due: their owners are told and reminded no more. Refuses an empty reason and a record
    already voided."""
    meeting = LifeMeeting.objects.select_for_update().get(pk=meeting.pk)
    fields = void_mark(
        meeting, reason=reason, actor=actor, already=_("This meeting record is already voided.")
    )
    meeting.save(update_fields=[*fields, "updated_at"])
    owners = (
        Rectification.objects.filter(meeting=meeting, status=RectificationStatus.OPEN)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    notify_many(
        kind="appraisal.life_meeting_voided",
        subject=meeting,
        recipient_ids=list(owners),
        due_date=timezone.localdate(meeting.voided_at),
        title=_("The record of “%(title)s” was voided; its rectification items are no longer due")
        % {"title": meeting.title},
        body=_("Reason: %(reason)s") % {"reason": meeting.void_reason},
        url=reverse("appraisal:meeting_detail", args=[meeting.pk]),
    )
    return meeting
