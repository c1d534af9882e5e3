"""Periodic reminders about protection cases; each notice is sent once per key and carries
no case content (it is e-mailed): the handler opens the case to read it."""

from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import ACTIVE_STATUSES, Position, Role, organizer_position_q
from members.services import notify_many

from ..models import OPEN_CASE_STATUSES, CaseAction, CaseAssignment, CaseStatus, ProtectionCase

# Followed-up actions are announced this many days before they are due (and on the day).
FOLLOW_UP_LEAD_DAYS = 1
# A follow-up still not done this many days after its date is announced once more.
FOLLOW_UP_OVERDUE_DAYS = 7


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
        Position.objects.current()
        .filter(role=Role.CASE_HANDLER, member__status__in=ACTIVE_STATUSES)
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
