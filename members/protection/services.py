"""Every write on protection cases: one function per use case, one transaction each.

States: reported -> accepted (or declined, with a reason the member sees) -> in progress ->
resolved -> closed. Reopening a declined case sends it back to "reported"; reopening a
resolved or closed one sends it back to "in progress". Nothing is deleted: the historical
tables keep every earlier state.
"""

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.concurrency import version_claim
from members.models import ACTIVE_STATUSES, Member, Notification, Organization, Position
from members.permissions import scope_for
from members.services import DomainError, notify_many

from ..uploads import store_private_file
from .models import (
    OPEN_CASE_STATUSES,
    CaseAction,
    CaseAssignment,
    CaseEvidence,
    CaseHandlerDesignation,
    CaseStatus,
    CaseView,
    Clarification,
    ProtectionCase,
    organizer_position_q,
)
from .permissions import can, forget_handler_paths

# Followed-up actions are announced this many days before they are due (and on the day).
FOLLOW_UP_LEAD_DAYS = 1
# A follow-up still not done this many days after its date is announced once more.
FOLLOW_UP_OVERDUE_DAYS = 7


def _full_clean(obj):
    """Model validation, raised as the domain error the pages know how to show."""
    try:
        obj.full_clean()
    except DomainError:
        raise
    except ValidationError as exc:
        raise DomainError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


def _require(user, perm, obj):
    if not can(user, perm, obj):
        raise PermissionDenied


def _member_name(user):
    scope = scope_for(user)  # usually loaded already by the permission check
    if scope.member_id:
        return scope.member_name
    return user.get_username()


def _save(obj, actor, reason=None):
    obj._history_user = actor
    if reason:
        obj._change_reason = reason[:100]
    obj.save()
    return obj


def _store_evidence(*, case, uploaded, actor, note=""):
    return store_private_file(
        CaseEvidence(case=case, note=note), uploaded, actor=actor, error_field="files"
    )


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
    _require(actor, "members.open_case_for", member)
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
    _full_clean(case)
    if occurred_on > timezone.localdate():
        raise DomainError({"occurred_on": _("The date cannot be in the future.")})
    _save(case, actor)
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
    _require(actor, "members.add_case_evidence", case)
    if case.status == CaseStatus.CLOSED:
        raise DomainError(_("A closed case takes no more evidence; reopen it first."))
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
    case = (
        ProtectionCase.objects.select_for_update()
        .select_related("member", "member__branch", "branch")
        .get(pk=case.pk)
    )
    _require(actor, "members.handle_case", case)
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
    _save(case, actor, reason=reason or action)
    if action in ("accept", "decline", "resolve"):
        _tell_member(case, action)
    return case


def case_accept(*, actor, case):
    return case_transition(actor=actor, case=case, action="accept")


def case_decline(*, actor, case, reason: str):
    return case_transition(actor=actor, case=case, action="decline", reason=reason)


def case_reopen(*, actor, case, reason: str = ""):
    return case_transition(actor=actor, case=case, action="reopen", reason=reason)


def _tell_member(case, action):
    """A short notice to the member; the message says nothing about the case itself."""
    titles = {
        "accept": _("Your protection case has been accepted"),
        "decline": _("Your protection case has been declined"),
        "resolve": _("Your protection case has been resolved"),
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


# --- handlers --------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, actor, case: ProtectionCase, handler: Member) -> CaseAssignment:
    """A supervisor assigns a handler to a case (e.g. the branch secretary)."""
    _require(actor, "members.assign_case", case)
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
    _require(actor, "members.assign_case", assignment.case)
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
    case = (
        ProtectionCase.objects.select_for_update()
        .select_related("member", "member__branch", "branch")
        .get(pk=case.pk)
    )
    _require(actor, "members.handle_case", case)
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
    _full_clean(action)
    _save(action, actor)
    if case.status == CaseStatus.ACCEPTED:
        case.status = CaseStatus.IN_PROGRESS
        _save(case, actor, reason="start")
    return action


@transaction.atomic
def case_follow_up_done(*, actor, action: CaseAction) -> CaseAction:
    _require(actor, "members.handle_case", action.case)
    if action.follow_up_due is None:
        raise DomainError(_("This action has no follow-up."))
    if action.follow_up_done_at is None:
        action.follow_up_done_at = timezone.now()
        _save(action, actor)
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
    _require(actor, "members.handle_case", case)
    if case.status in (CaseStatus.REPORTED, CaseStatus.DECLINED):
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
    _full_clean(clarification)
    return _save(clarification, actor)


@transaction.atomic
def clarification_consent_set(*, actor, clarification: Clarification, consents: bool):
    """The member decides whether the clarification shows on their record."""
    _require(actor, "members.consent_clarification", clarification.case)
    if clarification.member_consents != consents:
        clarification.member_consents = consents
        clarification.consent_changed_at = timezone.now()
        _save(clarification, actor)
    return clarification


# --- the view log ----------------------------------------------------------------------


def case_view_record(*, viewer, case: ProtectionCase, evidence: CaseEvidence | None = None):
    """Log one read of a case or of one of its files (called before anything is shown)."""
    return CaseView.objects.create(
        case=case, viewer=viewer, viewer_name=_member_name(viewer), evidence=evidence
    )


# --- designations ----------------------------------------------------------------------


@transaction.atomic
def handler_designate(
    *, actor=None, member: Member, organization: Organization, note: str = ""
) -> CaseHandlerDesignation:
    designation = CaseHandlerDesignation(member=member, organization=organization, note=note)
    _full_clean(designation)
    designation.save()
    if member.account is not None:
        forget_handler_paths(member.account)
    return designation


# --- reminders (periodic; each notice is sent once per key) -----------------------------


def case_follow_up_reminders_send(*, today: date | None = None) -> int:
    """Remind the handlers of follow-ups not done; returns notices sent.

    Two notices per follow-up at most: one when it is due by tomorrow (keyed on its date), and
    one more when it is still not done FOLLOW_UP_OVERDUE_DAYS after its date (keyed on that
    day). Recipients: the case's assigned handlers, or, when none is assigned, the supervisors
    designated above the case's branch who are still organizers there. The notice carries no
    case content (it is e-mailed): the handler opens the case to read the follow-up.
    """
    today = today or timezone.localdate()
    due = (
        CaseAction.objects.filter(
            follow_up_due__lte=today + timedelta(days=FOLLOW_UP_LEAD_DAYS),
            follow_up_done_at__isnull=True,
            case__status__in=OPEN_CASE_STATUSES,
        )
        .select_related("case__branch")
        .order_by("pk")
    )
    supervisors = _supervisors_by_path()
    assigned = _assigned_by_case(due.values("case_id"))
    overdue_since = today - timedelta(days=FOLLOW_UP_OVERDUE_DAYS)
    sent = 0
    for action in due.iterator(chunk_size=2000):
        case = action.case
        recipients = assigned.get(case.pk) or _supervisors_of(supervisors, case.branch.path)
        recipients = [r for r in recipients if r != case.member_id]
        url = reverse("members:case_detail", args=[case.ref])
        sent += notify_many(
            kind="protection.follow_up_due",
            subject=action,
            recipient_ids=recipients,
            due_date=action.follow_up_due,
            title=_("A follow-up on a protection case is due on %(date)s")
            % {"date": action.follow_up_due.isoformat()},
            body=_("Open the case to see the follow-up."),
            url=url,
        )
        if action.follow_up_due <= overdue_since:
            sent += notify_many(
                kind="protection.follow_up_overdue",
                subject=action,
                recipient_ids=recipients,
                due_date=action.follow_up_due + timedelta(days=FOLLOW_UP_OVERDUE_DAYS),
                title=_("A follow-up on a protection case is overdue since %(date)s")
                % {"date": action.follow_up_due.isoformat()},
                body=_("Open the case to see the follow-up."),
                url=url,
            )
    return sent


def case_new_report_reminders_send(*, today: date | None = None) -> int:
    """Tell the supervisors above each reported case that it waits for them: once when it is
    reported, and once more each time a declined case is reopened (keyed on reopened_count)."""
    supervisors = _supervisors_by_path()
    if not supervisors:
        return 0
    sent = 0
    cases = (
        ProtectionCase.objects.filter(status=CaseStatus.REPORTED)
        .select_related("branch")
        .order_by("pk")
    )
    for case in cases.iterator(chunk_size=2000):
        recipients = [
            r for r in _supervisors_of(supervisors, case.branch.path) if r != case.member_id
        ]
        kind = "protection.case_reported"
        if case.reopened_count:
            kind = f"protection.case_reported.{case.reopened_count}"
        sent += notify_many(
            kind=kind,
            subject=case,
            recipient_ids=recipients,
            due_date=timezone.localdate(case.reported_at),
            title=_("A protection case waits to be accepted or declined"),
            body=_("The case is confidential. Every view of it is logged."),
            url=reverse("members:case_detail", args=[case.ref]),
        )
    return sent


def _supervisors_by_path():
    """{organization path: [member ids designated there]} — two queries; the tables are small.

    A designation counts only while its member is still an organizer reaching the
    organization (the same rule as permissions.handler_paths).
    """
    rows = list(
        CaseHandlerDesignation.objects.active()
        .filter(member__status__in=ACTIVE_STATUSES)
        .values_list("organization__path", "member_id")
    )
    organizer_paths = {}
    for member_id, path in (
        Position.objects.current()
        .filter(organizer_position_q(), member_id__in={m for _p, m in rows})
        .values_list("member_id", "organization__path")
    ):
        organizer_paths.setdefault(member_id, []).append(path)
    result = {}
    for path, member_id in rows:
        if any(path.startswith(p) for p in organizer_paths.get(member_id, ())):
            result.setdefault(path, []).append(member_id)
    return result


def supervisor_ids_above(branch_path) -> list[int]:
    """Members who would handle a case opened in this branch (designated above it and still
    organizers there); empty when nobody would learn of it."""
    return _supervisors_of(_supervisors_by_path(), branch_path)


def _supervisors_of(supervisors, branch_path):
    ids = []
    for path, members in supervisors.items():
        if branch_path.startswith(path):
            ids.extend(members)
    return sorted(set(ids))


def _assigned_by_case(case_ids_subquery):
    result = {}
    rows = CaseAssignment.objects.filter(
        Q(case_id__in=case_ids_subquery),
        removed_at__isnull=True,
        handler__status__in=ACTIVE_STATUSES,
    ).values_list("case_id", "handler_id")
    for case_id, handler_id in rows:
        result.setdefault(case_id, []).append(handler_id)
    return result
