"""Planning, editing, cancelling and voiding a session, and who is expected at it."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from members.concurrency import version_claim
from members.history import save_with_history
from members.models import Member, Organization, OrganizationKind
from members.services import DomainError, audit_log
from members.voiding import void_mark

from .. import summaries
from ..models.sessions import (
    CREDITED_STATUSES,
    SESSION_FIELDS,
    Attendance,
    AttendanceStatus,
    Session,
    SessionState,
    Topic,
)


def default_branches(organization: Organization, chosen: Iterable[Organization] = ()):
    """The branches a session held by `organization` counts for."""
    chosen = list(chosen)
    if organization.kind == OrganizationKind.BRANCH:
        return [organization]
    if organization.kind == OrganizationKind.GROUP:
        return [Organization.objects.get_parent(organization)]
    for b in chosen:
        if b.kind != OrganizationKind.BRANCH or not b.path.startswith(organization.path):
            raise DomainError(
                {"branches": _("Choose branches that belong to the organization holding it.")}
            )
    if chosen:
        return chosen
    return list(Organization.objects.filter(organization.subtree_q(), kind=OrganizationKind.BRANCH))


def default_expected_members(organization: Organization, branches):
    """Active members expected at a session by default: the organization's members."""
    qs = Member.objects.active()
    if organization.kind == OrganizationKind.GROUP:
        return qs.filter(group=organization)
    if organization.kind == OrganizationKind.BRANCH:
        return qs.filter(branch=organization)
    return qs.filter(branch__in=[b.pk for b in branches])


def _add_expected(session: Session, member_ids: Iterable[int], actor, chunk_size: int = 2000):
    existing = set(session.attendances.values_list("member_id", flat=True))
    batch = []
    for mid in member_ids:
        if mid in existing:
            continue
        existing.add(mid)
        batch.append(Attendance(session=session, member_id=mid))
        if len(batch) >= chunk_size:
            bulk_create_with_history(batch, Attendance, default_user=actor)
            batch = []
    if batch:
        bulk_create_with_history(batch, Attendance, default_user=actor)


def clean_session(session: Session):
    unknown = [t for t in session.topics if t not in Topic.values]
    if unknown:
        raise DomainError({"topics": _("Choose topics from the list.")})
    # No query: the organization and the author passed in as loaded objects exist (the
    # foreign keys check the rest), and the two check constraints are checked here in Python
    # (hours by the field's validator, the times below), with a translated message.
    loaded = [
        f for f in ("organization", "created_by") if Session._meta.get_field(f).is_cached(session)
    ]
    session.full_clean(exclude=loaded, validate_constraints=False)
    if session.ends_at <= session.starts_at:
        raise DomainError({"ends_at": _("The session must end after it starts.")})
    if session.organization.kind == OrganizationKind.GROUP and session.kind != "group_meeting":
        # A group only holds group meetings and study; other kinds belong to the branch.
        if session.kind in ("general_meeting", "committee_meeting", "theme_day"):
            raise DomainError({"kind": _("A Party group cannot hold this kind of meeting.")})


def set_session_fields(session: Session, fields: Mapping):
    """Set what a secretary describes about a session (SESSION_FIELDS, nothing else)."""
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise TypeError(name)
        setattr(session, name, value)


@transaction.atomic
def session_plan(
    *,
    organization: Organization,
    actor=None,
    branches: Iterable[Organization] = (),
    expected_member_ids: Iterable[int] | None = None,
    **fields,
) -> Session:
    """Plan a session; the organization's active members are expected unless given."""
    session = Session(organization=organization, created_by=actor, **fields)
    session.state = SessionState.PLANNED
    clean_session(session)
    covered = default_branches(organization, branches)
    save_with_history(session, actor)
    session.branches.set(covered)
    if expected_member_ids is None:
        expected_member_ids = (
            default_expected_members(organization, covered)
            .values_list("pk", flat=True)
            .iterator(chunk_size=2000)
        )
    _add_expected(session, expected_member_ids, actor)
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    actor=None,
    branches: Iterable[Organization] | None = None,
    version: int | None = None,
    **fields,
):
    """Change a session's details. `version`: the one the editor saw (members.concurrency);
    ConcurrentChange when someone saved the session since."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        raise DomainError(_("A cancelled session cannot be changed."))
    old_starts_at = session.starts_at
    old_hours = session.hours
    old_branch_ids = list(session.branches.values_list("pk", flat=True)) if session.is_held else []
    set_session_fields(session, fields)
    version_claim(session, version, fields=list(fields))
    clean_session(session)
    save_with_history(session, actor)
    if branches is not None:
        session.branches.set(default_branches(session.organization, branches))
    if session.is_held and session.hours != old_hours:
        _recredit(session, old_hours, actor)
    if session.is_planned and session.starts_at != old_starts_at:
        from ..reminders import session_changed_notify

        session_changed_notify(session=session)
    if session.is_held:
        summaries.refresh_session(
            session, old_starts_at=old_starts_at, old_branch_ids=old_branch_ids
        )
    return session


def _recredit(session: Session, old_hours: Decimal, actor) -> int:
    """A held session's hours changed: rows credited the old session hours get the new ones
    (each with history); rows credited different hours by hand are left alone."""
    rows = list(
        session.attendances.select_for_update().filter(
            status__in=CREDITED_STATUSES, hours=old_hours
        )
    )
    now = timezone.now()
    for row in rows:
        row.hours, row.updated_at = session.hours, now
    if rows:
        bulk_update_with_history(
            rows, Attendance, ["hours", "updated_at"], batch_size=2000, default_user=actor
        )
    return len(rows)


@transaction.atomic
def session_set_expected(*, session: Session, member_ids: Iterable[int], actor=None) -> Session:
    """Make exactly these members expected: add the new ones, drop the unmarked others.

    Rows already marked (present, absent...) are kept: dropping them would lose a record.
    """
    member_ids = set(member_ids)
    allowed = set(
        default_expected_members(session.organization, list(session.branches.all()))
        .filter(pk__in=member_ids)
        .values_list("pk", flat=True)
    ) | set(
        session.attendances.filter(member_id__in=member_ids).values_list("member_id", flat=True)
    )
    if member_ids - allowed:
        raise DomainError(_("Only members of the organization holding it can be expected."))
    for row in session.attendances.filter(status=AttendanceStatus.PENDING).exclude(
        member_id__in=member_ids
    ):
        row._history_user = actor
        row.delete()
    _add_expected(session, sorted(member_ids), actor)
    if session.is_held:
        summaries.refresh_session(session)
    return session


@transaction.atomic
def session_cancel(*, session: Session, actor=None) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_planned:
        raise DomainError(_("Only a planned session can be cancelled."))
    session.state = SessionState.CANCELLED
    save_with_history(session, actor, update_fields=["state", "updated_at"])
    summaries.refresh_session(session)
    from ..reminders import session_changed_notify

    session_changed_notify(session=session)
    return session


@transaction.atomic
def session_void(*, session: Session, reason: str, actor=None) -> Session:
    """Void a held session (recorded by mistake, twice, or for the wrong branch) with a
    written reason: it becomes "cancelled", keeps its attendance rows and the branches it
    counted for (both in the history), and stops counting for hours and the meeting grid.
    Never a deletion: attendance, ballots and decisions are records."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_held:
        raise DomainError(_("Only a held session can be voided; cancel a planned one."))
    fields = void_mark(session, reason=reason, actor=actor)
    session.state = SessionState.CANCELLED
    session.save(update_fields=[*fields, "state", "updated_at"])
    # The summaries are kept by the services: a voided session's hours and meeting month go.
    summaries.refresh_session(session)
    audit_log(actor=actor, action="education.session.void", obj=session, reason=session.void_reason)
    return session
