"""Recording attendance: a held session logged on one page, or one member marked by hand."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from members.concurrency import version_claim
from members.history import save_with_history
from members.models import Member, Organization
from members.services import DomainError

from .. import summaries
from ..models.sessions import CREDITED_STATUSES, Attendance, AttendanceStatus, Session, SessionState
from .sessions import clean_session, default_branches, default_expected_members, set_session_fields

MARKED_STATUSES = tuple(s for s in AttendanceStatus.values if s != AttendanceStatus.PENDING)


def _row_hours(status: str, hours, default: Decimal) -> Decimal:
    if status not in CREDITED_STATUSES:
        return Decimal("0.0")
    if hours is None or hours == "":
        return default
    hours = Decimal(hours)
    if hours < 0 or hours > Decimal("999.9"):
        raise DomainError(_("Credited hours must be between 0 and 999.9."))
    return hours.quantize(Decimal("0.1"))


@transaction.atomic
def session_log(
    *,
    session: Session | None = None,
    organization: Organization | None = None,
    attendance: Mapping[int, tuple],
    actor=None,
    branches: Iterable[Organization] = (),
    version: int | None = None,
    **fields,
) -> Session:
    """Record a held session with the attendance of each member (one page, one write).

    `attendance` maps member id -> (status, hours or None for the session's hours[, reason]):
    a reason (why excused or absent) replaces the row's note; without one the note stays. A new
    session is created when `session` is None. Members not yet expected are added (the
    secretary can mark anyone by hand); only changed rows are written, each with history.
    `version`: of an existing session, the one the secretary saw (members.concurrency).
    """
    if session is None:
        session = Session(organization=organization, created_by=actor)
        new = True
    else:
        session = (
            Session.objects.select_for_update().select_related("organization").get(pk=session.pk)
        )
        if session.is_cancelled:
            raise DomainError(_("A cancelled session cannot be logged."))
        new = False
    old_starts_at = None if new else session.starts_at
    set_session_fields(session, fields)
    if not new:
        version_claim(session, version, fields=list(fields))
    session.state = SessionState.HELD
    clean_session(session)
    if session.starts_at > timezone.now():
        raise DomainError({"starts_at": _("A session can only be logged once it has started.")})
    save_with_history(session, actor)
    if new:
        covered = default_branches(session.organization, branches)
        session.branches.add(*covered)  # a new session has none yet: nothing to compare
    else:
        covered = list(session.branches.all())

    # Who may be marked, with their branch (whose figures follow): one query.
    allowed = dict(
        default_expected_members(session.organization, covered)
        .filter(pk__in=list(attendance))
        .values_list("pk", "branch_id")
        .order_by()
    )
    rows = (
        {}
        if new
        else {a.member_id: a for a in session.attendances.filter(member_id__in=list(attendance))}
    )
    new_rows, changed = [], []
    now = timezone.now()
    for member_id, (status, hours, *reason) in attendance.items():
        if status not in MARKED_STATUSES:
            raise DomainError(_("Mark every member present, late, excused or absent."))
        credited = _row_hours(status, hours, session.hours)
        row = rows.get(member_id)
        if row is None:
            if member_id not in allowed:
                raise DomainError(_("Only members of the organization holding it can be marked."))
            new_rows.append(
                Attendance(
                    session=session,
                    member_id=member_id,
                    status=status,
                    hours=credited,
                    note=reason[0] if reason else "",
                )
            )
            continue
        note = reason[0] if reason else row.note
        if row.status != status or row.hours != credited or row.note != note:
            row.status, row.hours, row.note, row.updated_at = status, credited, note, now
            changed.append(row)
    # Every row written in two queries a batch (the rows, their history).
    if changed:
        bulk_update_with_history(
            changed,
            Attendance,
            ["status", "hours", "note", "updated_at"],
            batch_size=2000,
            default_user=actor,
        )
    if new_rows:
        bulk_create_with_history(new_rows, Attendance, default_user=actor)
    summaries.refresh_session(
        session,
        old_starts_at=old_starts_at,
        branch_ids=[b.pk for b in covered],
        # A new session's rows are exactly the members just marked.
        attendees={m: allowed[m] for m in attendance} if new else None,
    )
    return session


@transaction.atomic
def attendance_mark(
    *, session: Session, member: Member, status: str, hours=None, actor=None
) -> Attendance:
    """Mark one member by hand (any time, any member of the organization)."""
    if session.is_cancelled:
        raise DomainError(_("A cancelled session cannot be marked."))
    if status not in MARKED_STATUSES:
        raise DomainError(_("Mark the member present, late, excused or absent."))
    row = Attendance.objects.select_for_update().filter(session=session, member=member).first()
    if row is None:
        allowed = default_expected_members(session.organization, list(session.branches.all()))
        if not allowed.filter(pk=member.pk).exists():
            raise DomainError(_("Only members of the organization holding it can be marked."))
        row = Attendance(session=session, member=member)
    row.status = status
    row.hours = _row_hours(status, hours, session.hours)
    save_with_history(row, actor)
    if session.is_held:
        summaries.refresh_members([member.pk], summaries.years_of(session.starts_at))
    return row
