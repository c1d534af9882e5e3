"""Check-in: the window, a member checking themselves in, and closing check-in."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from members.history import save_with_history
from members.models import Member
from members.services import DomainError

from .. import summaries
from ..models.sessions import Attendance, AttendanceStatus, Session, SessionState

# Check-in opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


def checkin_window(session: Session):
    return session.starts_at - CHECKIN_OPENS_BEFORE, session.ends_at


def checkin_can_close(session: Session, now=None) -> bool:
    """Check-in can be closed on a planned session as soon as it has opened (before the start
    too: the room may be full early), never on a session nobody could check in to yet."""
    return session.is_planned and (now or timezone.now()) >= checkin_window(session)[0]


@transaction.atomic
def check_in(*, session: Session | int, member: Member | int, now=None, actor=None) -> Attendance:
    """A member checks themselves in: inside the window, if expected, only once.

    `session` and `member` as objects or ids: only their keys are used (the session is read
    again, locked). Session.DoesNotExist for a session id that does not exist."""
    now = now or timezone.now()
    session = Session.objects.select_for_update().get(pk=getattr(session, "pk", session))
    member_id = getattr(member, "pk", member)
    if not session.is_planned:
        raise DomainError(_("Check-in is closed: this session is not open for check-in."))
    opens, closes = checkin_window(session)
    if now < opens:
        raise DomainError(
            _("Check-in has not opened yet. It opens %(minutes)s minutes before the start.")
            % {"minutes": int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)}
        )
    if now > closes:
        raise DomainError(_("Check-in has closed: the session is over."))
    row = (
        Attendance.objects.select_for_update().filter(session=session, member_id=member_id).first()
    )
    if row is None:
        raise DomainError(
            _("You are not on the list for this session. Ask the secretary to mark you.")
        )
    if row.status != AttendanceStatus.PENDING or row.checked_in_at is not None:
        raise DomainError(_("You are already checked in to this session."))
    row.status = AttendanceStatus.PRESENT
    row.hours = session.hours
    row.checked_in_at = now
    save_with_history(row, actor, update_fields=["status", "hours", "checked_in_at", "updated_at"])
    row.session = session
    if session.is_held:  # check-in is only open while planned; kept for safety
        summaries.refresh_members([member_id], summaries.years_of(session.starts_at))
    return row


@transaction.atomic
def session_close_checkin(*, session: Session, actor=None) -> Session:
    """Close check-in on a planned session whose check-in has opened (at any time from then,
    also before the start): members who neither checked in nor were marked by hand are
    absent, and the session is held (check-ins now count)."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_planned:
        raise DomainError(_("Check-in can only be closed on a planned session."))
    now = timezone.now()
    if not checkin_can_close(session, now):
        raise DomainError(
            _("Check-in has not opened yet. It opens %(minutes)s minutes before the start.")
            % {"minutes": int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)}
        )
    pending = list(session.attendances.select_for_update().filter(status=AttendanceStatus.PENDING))
    for row in pending:
        row.status, row.hours, row.updated_at = AttendanceStatus.ABSENT, Decimal("0.0"), now
    if pending:
        bulk_update_with_history(
            pending,
            Attendance,
            ["status", "hours", "updated_at"],
            batch_size=2000,
            default_user=actor,
        )
    session.state = SessionState.HELD
    save_with_history(session, actor, update_fields=["state", "updated_at"])
    # The same refresh session_log does when a session becomes held.
    summaries.refresh_session(session)
    return session
