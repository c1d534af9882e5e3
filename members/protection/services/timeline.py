"""A case's timeline (actions and their follow-ups), the clarification given to the member,
and the log of who viewed the case."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.errors import full_clean
from members.history import save_with_history
from members.models import Organization
from members.permissions import require_perm
from members.services import DomainError

from ..models import CaseAction, CaseEvidence, CaseStatus, CaseView, Clarification, ProtectionCase
from .common import _member_name

# --- the timeline ----------------------------------------------------------------------


@transaction.atomic
def case_action_record(
    *,
    actor,
    case: ProtectionCase,
    kind: str,
    acted_on: date,
    description: str,
    outcome: str = "",
    follow_up_due: date | None = None,
    follow_up_note: str = "",
) -> CaseAction:
    """Add a step to the timeline. The first step on an accepted case starts it."""
    case = ProtectionCase.objects.locked(case)
    require_perm(actor, "members.handle_case", case)
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS):
        raise DomainError(_("Actions are recorded on an accepted case that is in progress."))
    if acted_on > timezone.localdate():
        raise DomainError({"acted_on": _("The date cannot be in the future.")})
    if follow_up_due is not None and follow_up_due < acted_on:
        raise DomainError({"follow_up_due": _("The follow-up cannot be due before the action.")})
    action = CaseAction(
        case=case,
        kind=kind,
        acted_on=acted_on,
        description=description,
        outcome=outcome,
        follow_up_due=follow_up_due,
        follow_up_note=follow_up_note,
        recorded_by=actor,
    )
    full_clean(action)
    save_with_history(action, actor)
    if case.status == CaseStatus.ACCEPTED:
        case.status = CaseStatus.IN_PROGRESS
        save_with_history(case, actor, reason="start")
    return action


@transaction.atomic
def case_follow_up_done(*, actor, action: CaseAction) -> CaseAction:
    require_perm(actor, "members.handle_case", action.case)
    if action.follow_up_due is None:
        raise DomainError(_("This action has no follow-up."))
    if action.follow_up_done_at is None:
        action.follow_up_done_at = timezone.now()
        save_with_history(action, actor)
    return action


# --- clarification ---------------------------------------------------------------------


@transaction.atomic
def clarification_record(
    *,
    actor,
    case: ProtectionCase,
    text: str,
    issued_on: date,
    published_where: str,
    published_to: str,
    approving_organization: Organization,
    approval_reference: str,
) -> Clarification:
    """Record a clarification issued for the member (not shown on their record until they
    agree)."""
    case = ProtectionCase.objects.select_related("member", "member__branch", "branch").get(
        pk=case.pk
    )
    require_perm(actor, "members.handle_case", case)
    if case.status in (CaseStatus.REPORTED, CaseStatus.DECLINED, CaseStatus.VOIDED):
        raise DomainError(_("A clarification is recorded on an accepted case."))
    if not case.branch.path.startswith(approving_organization.path):
        raise DomainError(
            {
                "approving_organization": _(
                    "The approving organization must be the member's branch or one above it."
                )
            }
        )
    clarification = Clarification(
        case=case,
        text=text,
        issued_on=issued_on,
        published_where=published_where,
        published_to=published_to,
        approving_organization=approving_organization,
        approval_reference=approval_reference,
        recorded_by=actor,
    )
    full_clean(clarification)
    return save_with_history(clarification, actor)


@transaction.atomic
def clarification_consent_set(*, actor, clarification: Clarification, consents: bool):
    """The member decides whether the clarification shows on their record."""
    require_perm(actor, "members.consent_clarification", clarification.case)
    if clarification.member_consents != consents:
        clarification.member_consents = consents
        clarification.consent_changed_at = timezone.now()
        save_with_history(clarification, actor)
    return clarification


# --- the view log ----------------------------------------------------------------------


def case_view_record(*, viewer, case: ProtectionCase, evidence: CaseEvidence | None = None):
    """Log one read of a case or of one of its files (called before anything is shown)."""
    return CaseView.objects.create(
        case=case, viewer=viewer, viewer_name=_member_name(viewer), evidence=evidence
    )
