"""Who handles protection cases: case-handler positions (designated at a committee or
general branch) and the handlers assigned to one case."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.errors import full_clean
from members.history import save_with_history
from members.models import ACTIVE_STATUSES, Member, Notification, Organization, Position, Role
from members.permissions import require_perm
from members.services import DomainError, notify_many

from ..models import CaseAssignment, ProtectionCase
from ..permissions import forget_handler_paths

# --- case handlers (a position: Role.CASE_HANDLER) --------------------------------------


@transaction.atomic
def handler_designate(
    *, actor=None, member: Member, organization: Organization, note: str = ""
) -> Position:
    """Make an organizer the protection-case handler of a committee's or general branch's
    subtree: a case-handler position, ended (ended_on) like any other, never deleted."""
    designation = Position(
        member=member,
        organization=organization,
        role=Role.CASE_HANDLER,
        started_on=timezone.localdate(),
        note=note,
    )
    full_clean(designation)
    save_with_history(designation, actor)
    if member.account is not None:
        forget_handler_paths(member.account)
    return designation


# --- handlers --------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, actor, case: ProtectionCase, handler: Member) -> CaseAssignment:
    """A supervisor assigns a handler to a case (e.g. the branch secretary)."""
    require_perm(actor, "members.assign_case", case)
    if handler.pk == case.member_id:
        raise DomainError(_("The member concerned cannot handle their own case."))
    if handler.status not in ACTIVE_STATUSES or not handler.account_id:
        raise DomainError(_("Only a current member with a login can handle a case."))
    if CaseAssignment.objects.filter(case=case, handler=handler, removed_at__isnull=True).exists():
        raise DomainError(_("This member already handles the case."))
    assignment = CaseAssignment.objects.create(case=case, handler=handler, assigned_by=actor)
    notify_many(
        kind="protection.case_assigned",
        subject=case,
        recipient_ids=[handler.pk],
        due_date=timezone.localdate(),
        title=_("You have been asked to handle a protection case"),
        body=_("The case is confidential. Every view of it is logged."),
        url=reverse("members:case_detail", args=[case.ref]),
    )
    return assignment


@transaction.atomic
def case_unassign(*, actor, assignment: CaseAssignment) -> CaseAssignment:
    require_perm(actor, "members.assign_case", assignment.case)
    if assignment.removed_at is None:
        assignment.removed_at = timezone.now()
        assignment.save(update_fields=["removed_at"])
        # Their inbox must not keep links to a case they can no longer open (they would 404).
        Notification.objects.filter(
            recipient_id=assignment.handler_id,
            subject_type=ContentType.objects.get_for_model(ProtectionCase),
            subject_id=str(assignment.case_id),
        ).delete()
    return assignment
