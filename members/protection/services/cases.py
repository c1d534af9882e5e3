"""Opening a protection case, adding evidence, and its state machine.

States: reported -> accepted (or declined, with a reason the member sees) -> in progress ->
resolved -> closed. Reopening a declined case sends it back to "reported"; reopening a
resolved or closed one sends it back to "in progress". A case opened in error is voided from
any state, with a reason (`case_void`); a voided case is final. Nothing is deleted: the
historical tables keep every earlier state.
"""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.concurrency import version_claim
from members.errors import full_clean
from members.history import save_with_history
from members.models import Member
from members.permissions import require_perm
from members.services import DomainError, notify_many
from members.voiding import void_mark

from ..models import CaseEvidence, CaseStatus, ProtectionCase
from .common import _store_evidence

# --- opening a case --------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    actor,
    member: Member,
    kind: str,
    description: str,
    place: str,
    occurred_on: date,
    help_requested: str,
    occurred_note: str = "",
    evidence_text: str = "",
    evidence_links: str = "",
    files=(),
) -> ProtectionCase:
    """A member opens a case for themselves, or their branch (or a handler) on their behalf.

    Whoever opens it on a member's behalf cannot read it afterwards unless they handle it.
    """
    require_perm(actor, "members.open_case_for", member)
    case = ProtectionCase(
        member=member,
        branch_id=member.branch_id,
        kind=kind,
        description=description,
        place=place,
        occurred_on=occurred_on,
        occurred_note=occurred_note,
        evidence_text=evidence_text,
        evidence_links=evidence_links,
        help_requested=help_requested,
        opened_by=actor,
        opened_on_behalf=member.account_id != actor.pk,
    )
    full_clean(case)
    if occurred_on > timezone.localdate():
        raise DomainError({"occurred_on": _("The date cannot be in the future.")})
    save_with_history(case, actor)
    for uploaded in files:
        _store_evidence(case=case, uploaded=uploaded, actor=actor)
    if case.opened_on_behalf:
        # Told once, at once: the member should not learn of it only when it is accepted.
        notify_many(
            kind="protection.case_opened_for",
            subject=case,
            recipient_ids=[member.pk],
            due_date=timezone.localdate(),
            title=_("A protection case was opened on your behalf"),
            body=_("Open the case to see the details."),
            url=reverse("members:case_detail", args=[case.ref]),
        )
    return case


@transaction.atomic
def case_evidence_add(*, actor, case: ProtectionCase, uploaded, note: str = "") -> CaseEvidence:
    require_perm(actor, "members.add_case_evidence", case)
    if case.status == CaseStatus.CLOSED:
        raise DomainError(_("A closed case takes no more evidence; reopen it first."))
    if case.status == CaseStatus.VOIDED:
        raise DomainError(_("A voided case takes no more evidence."))
    return _store_evidence(case=case, uploaded=uploaded, actor=actor, note=note)


# --- the state machine -----------------------------------------------------------------

# action -> (states it may start from, state it leads to)
_TRANSITIONS = {
    "accept": ({CaseStatus.REPORTED}, CaseStatus.ACCEPTED),
    "decline": ({CaseStatus.REPORTED}, CaseStatus.DECLINED),
    "start": ({CaseStatus.ACCEPTED}, CaseStatus.IN_PROGRESS),
    "resolve": ({CaseStatus.IN_PROGRESS}, CaseStatus.RESOLVED),
    "close": ({CaseStatus.RESOLVED}, CaseStatus.CLOSED),
    "reopen": ({CaseStatus.DECLINED, CaseStatus.RESOLVED, CaseStatus.CLOSED}, None),
}
TRANSITION_ACTIONS = tuple(_TRANSITIONS)


def allowed_transitions(status):
    return [a for a, (sources, _target) in _TRANSITIONS.items() if status in sources]


@transaction.atomic
def case_transition(
    *, actor, case: ProtectionCase, action: str, reason: str = "", version: int | None = None
) -> ProtectionCase:
    """Move a case along its states; refuses moves out of order or by someone not handling.

    `version`: the one the handler saw; ConcurrentChange when someone moved or changed the
    case since (members.concurrency)."""
    if action not in _TRANSITIONS:
        raise DomainError(_("Unknown action."))
    case = ProtectionCase.objects.locked(case)
    require_perm(actor, "members.handle_case", case)
    version_claim(case, version, fields=["status", "decline_reason", "reopened_count"])
    sources, target = _TRANSITIONS[action]
    if case.status not in sources:
        raise DomainError(
            _("This case is %(status)s; that step is not possible now.")
            % {"status": case.get_status_display()}
        )
    reason = (reason or "").strip()
    now = timezone.now()
    if action == "decline":
        if not reason:
            raise DomainError({"reason": _("Give the reason for declining; the member sees it.")})
        case.decline_reason = reason
    elif action == "accept":
        case.accepted_at = now
    elif action == "resolve":
        case.resolved_at = now
    elif action == "close":
        case.closed_at = now
    elif action == "reopen":
        target = (
            CaseStatus.REPORTED if case.status == CaseStatus.DECLINED else CaseStatus.IN_PROGRESS
        )
        case.reopened_count += 1
        case.resolved_at = case.closed_at = None
    case.status = target
    save_with_history(case, actor, reason=reason or action)
    if action in ("accept", "decline", "resolve"):
        _tell_member(case, action)
    return case


@transaction.atomic
def case_void(*, case: ProtectionCase, reason: str, actor) -> ProtectionCase:
    """Void a case opened in error (twice, for the wrong member, not a protection matter),
    from any state, with a written reason; never a deletion.

    The case, its evidence, timeline and clarification stay, readable by those who could read
    them, with the reason; it is no longer open anywhere (lists, counts, reminders), takes no
    more writes and cannot be reopened; a clarification of it leaves the member's record.
    The member is told (without details). Refuses an empty reason and a voided case."""
    case = ProtectionCase.objects.locked(case)
    require_perm(actor, "members.void_case", case)
    fields = void_mark(case, reason=reason, actor=actor, already=_("This case is already voided."))
    case.status = CaseStatus.VOIDED
    case.save(update_fields=[*fields, "status", "updated_at"])
    _tell_member(case, "void")
    return case


def case_accept(*, actor, case):
    return case_transition(actor=actor, case=case, action="accept")


def _tell_member(case, action):
    """A short notice to the member; the message says nothing about the case itself."""
    titles = {
        "accept": _("Your protection case has been accepted"),
        "decline": _("Your protection case has been declined"),
        "resolve": _("Your protection case has been resolved"),
        "void": _("Your protection case has been voided as opened in error"),
    }
    notify_many(
        kind=f"protection.case_{action}",
        subject=case,
        recipient_ids=[case.member_id],
        due_date=timezone.localdate(),
        title=titles[action],
        body=_("Open the case to see the details."),
        url=reverse("members:case_detail", args=[case.ref]),
    )
