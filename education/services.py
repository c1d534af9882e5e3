"""Every write that matters in education/: one function per use case, one transaction each."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from members.concurrency import version_claim, version_claim_new
from members.models import Member, Organization, OrganizationKind
from members.services import DomainError, audit_log
from members.tasks_queue import queue_after_commit
from members.uploads import clean_original_name, store_private_file, validate_upload

from . import summaries
from .models import (
    CREDITED_STATUSES,
    SESSION_FIELDS,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    ComplianceCadence,
    HoursRequirement,
    Makeup,
    MakeupState,
    Material,
    Session,
    SessionState,
    Topic,
)

# Check-in opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
MARKED_STATUSES = tuple(s for s in AttendanceStatus.values if s != AttendanceStatus.PENDING)


# --- who is expected ------------------------------------------------------------------------


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


# --- sessions -------------------------------------------------------------------------------


def _clean_session(session: Session):
    unknown = [t for t in session.topics if t not in Topic.values]
    if unknown:
        raise DomainError({"topics": _("Choose topics from the list.")})
    session.full_clean()
    if session.ends_at <= session.starts_at:
        raise DomainError({"ends_at": _("The session must end after it starts.")})
    if session.organization.kind == OrganizationKind.GROUP and session.kind != "group_meeting":
        # A group only holds group meetings and study; other kinds belong to the branch.
        if session.kind in ("general_meeting", "committee_meeting", "theme_day"):
            raise DomainError({"kind": _("A Party group cannot hold this kind of meeting.")})


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
    _clean_session(session)
    covered = default_branches(organization, branches)
    session._history_user = actor
    session.save()
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
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise TypeError(name)
        setattr(session, name, value)
    version_claim(session, version, fields=list(fields))
    _clean_session(session)
    session._history_user = actor
    session.save()
    if branches is not None:
        session.branches.set(default_branches(session.organization, branches))
    if session.is_held and session.hours != old_hours:
        _recredit(session, old_hours, actor)
    if session.is_planned and session.starts_at != old_starts_at:
        from .reminders import session_changed_notify

        session_changed_notify(session=session)
    if session.is_held:
        summaries.refresh_session(
            session, old_starts_at=old_starts_at, old_branch_ids=old_branch_ids
        )
    return session


def _recredit(session: Session, old_hours: Decimal, actor) -> int:
    """A held session's hours changed: rows credited the old session hours get the new ones
    (each with history); rows credited different hours by hand are left alone."""
    from simple_history.utils import bulk_update_with_history

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
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise TypeError(name)
        setattr(session, name, value)
    if not new:
        version_claim(session, version, fields=list(fields))
    session.state = SessionState.HELD
    _clean_session(session)
    if session.starts_at > timezone.now():
        raise DomainError({"starts_at": _("A session can only be logged once it has started.")})
    session._history_user = actor
    session.save()
    if new:
        session.branches.set(default_branches(session.organization, branches))

    allowed = set(
        default_expected_members(session.organization, list(session.branches.all()))
        .filter(pk__in=list(attendance))
        .values_list("pk", flat=True)
    )
    rows = {a.member_id: a for a in session.attendances.filter(member_id__in=list(attendance))}
    new_rows = []
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
            row.status, row.hours, row.note = status, credited, note
            row._history_user = actor
            row.save(update_fields=["status", "hours", "note", "updated_at"])
    if new_rows:
        bulk_create_with_history(new_rows, Attendance, default_user=actor)
    summaries.refresh_session(session, old_starts_at=old_starts_at)
    return session


@transaction.atomic
def session_cancel(*, session: Session, actor=None) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_planned:
        raise DomainError(_("Only a planned session can be cancelled."))
    session.state = SessionState.CANCELLED
    session._history_user = actor
    session.save(update_fields=["state", "updated_at"])
    summaries.refresh_session(session)
    from .reminders import session_changed_notify

    session_changed_notify(session=session)
    return session


@transaction.atomic
def session_void(*, session: Session, reason: str, actor=None) -> Session:
    """Void a held session (recorded by mistake, twice, or for the wrong branch) with a
    written reason: it becomes "cancelled", keeps its attendance rows and the branches it
    counted for (both in the history), and stops counting for hours and the meeting grid.
    Never a deletion: attendance, ballots and decisions are records."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": _("Say why the session is voided.")})
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_held:
        raise DomainError(_("Only a held session can be voided; cancel a planned one."))
    session.state = SessionState.CANCELLED
    session.void_reason = reason[:500]
    session.voided_at = timezone.now()
    session._history_user = actor
    session._change_reason = _("Voided: %(reason)s") % {"reason": reason[:80]}
    session.save(update_fields=["state", "void_reason", "voided_at", "updated_at"])
    # The summaries are kept by the services: a voided session's hours and meeting month go.
    summaries.refresh_session(session)
    audit_log(actor=actor, action="education.session.void", obj=session, reason=reason[:500])
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
    row._history_user = actor
    row.save()
    if session.is_held:
        summaries.refresh_members([member.pk], summaries.years_of(session.starts_at))
    return row


def checkin_window(session: Session):
    return session.starts_at - CHECKIN_OPENS_BEFORE, session.ends_at


def checkin_can_close(session: Session, now=None) -> bool:
    """Check-in can be closed on a planned session as soon as it has opened (before the start
    too: the room may be full early), never on a session nobody could check in to yet."""
    return session.is_planned and (now or timezone.now()) >= checkin_window(session)[0]


@transaction.atomic
def check_in(*, session: Session, member: Member, now=None, actor=None) -> Attendance:
    """A member checks themselves in: inside the window, if expected, only once."""
    now = now or timezone.now()
    session = Session.objects.select_for_update().get(pk=session.pk)
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
    row = Attendance.objects.select_for_update().filter(session=session, member=member).first()
    if row is None:
        raise DomainError(
            _("You are not on the list for this session. Ask the secretary to mark you.")
        )
    if row.status != AttendanceStatus.PENDING or row.checked_in_at is not None:
        raise DomainError(_("You are already checked in to this session."))
    row.status = AttendanceStatus.PRESENT
    row.hours = session.hours
    row.checked_in_at = now
    row._history_user = actor
    row.save(update_fields=["status", "hours", "checked_in_at", "updated_at"])
    if session.is_held:  # check-in is only open while planned; kept for safety
        summaries.refresh_members([member.pk], summaries.years_of(session.starts_at))
    return row


# --- materials ------------------------------------------------------------------------------


@transaction.atomic
def material_add(*, session: Session, title: str, file, actor=None) -> Material:
    """Hand out a file at a session: checked by content, kept under a random name."""
    if not (title or "").strip():
        raise DomainError({"title": _("Give the material a title.")})
    return store_private_file(Material(session=session, title=title.strip()), file, actor=actor)


@transaction.atomic
def material_delete(*, material: Material, actor=None) -> None:
    audit_log(
        actor=actor, action="education.material.delete", obj=material.session, title=material.title
    )
    material.file.delete(save=False)
    material.delete()


# --- make-up study --------------------------------------------------------------------------


@transaction.atomic
def makeup_submit(
    *,
    member: Member,
    session: Session | None,
    description: str,
    studied_on: date,
    hours: Decimal,
    evidence=None,
    actor=None,
) -> Makeup:
    """Record make-up study for a session the member missed (absent or excused)."""
    if session is not None:
        missed = Attendance.objects.filter(
            session=session,
            member=member,
            status__in=(AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED),
            session__state=SessionState.HELD,
        ).exists()
        if not missed:
            raise DomainError(_("Make-up study is recorded for a held session you missed."))
        if hours is not None and Decimal(hours) > session.hours:
            message = _("Make-up hours cannot exceed the session's %(hours)s hours.")
            raise DomainError({"hours": message % {"hours": session.hours}})
    if hours is None or not Decimal(hours).is_finite() or Decimal(hours) <= 0:
        raise DomainError({"hours": _("Enter the hours studied, more than 0.")})
    if studied_on > timezone.localdate():
        raise DomainError({"studied_on": _("The study date cannot be in the future.")})
    makeup = Makeup(
        member=member,
        session=session,
        description=description,
        studied_on=studied_on,
        hours=hours,
    )
    if evidence:
        # Checked by content and kept under a random name, as every private file is.
        try:
            _ext, makeup.evidence_type = validate_upload(evidence)
        except ValidationError as exc:
            raise DomainError({"evidence": exc.messages}) from exc
        makeup.evidence = evidence
        makeup.evidence_name = clean_original_name(evidence.name)
    makeup.full_clean(validate_constraints=False)
    makeup._history_user = actor
    try:
        with transaction.atomic():
            makeup.save()
    except IntegrityError as exc:
        raise DomainError(_("Make-up study for this session is already recorded.")) from exc
    return makeup


def _review(makeup: Makeup, state: str, actor, note: str) -> Makeup:
    makeup = Makeup.objects.select_for_update().get(pk=makeup.pk)
    if (
        getattr(actor, "pk", None)
        and Member.objects.filter(pk=makeup.member_id, account_id=actor.pk).exists()
    ):
        raise DomainError(_("You cannot review your own make-up study."))
    if makeup.state != MakeupState.SUBMITTED:
        raise DomainError(_("This make-up study has already been reviewed."))
    makeup.state = state
    makeup.reviewed_by = actor
    makeup.reviewed_at = timezone.now()
    makeup.review_note = note
    makeup._history_user = actor
    makeup.save()
    summaries.refresh_members([makeup.member_id], [makeup.studied_on.year])
    return makeup


@transaction.atomic
def makeup_confirm(*, makeup: Makeup, actor=None, note: str = "") -> Makeup:
    """Confirm make-up study; from now on its hours count for the member."""
    return _review(makeup, MakeupState.CONFIRMED, actor, note)


@transaction.atomic
def makeup_reject(*, makeup: Makeup, actor=None, note: str = "") -> Makeup:
    return _review(makeup, MakeupState.REJECTED, actor, note)


# --- calendar feeds -------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_get_or_create(*, member: Member) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).first()
    return feed or CalendarFeed.objects.create(member=member)


@transaction.atomic
def calendar_feed_revoke(*, member: Member) -> int:
    return CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def calendar_feed_regenerate(*, member: Member) -> CalendarFeed:
    """Revoke the member's current feed URL and issue a new one."""
    calendar_feed_revoke(member=member)
    return CalendarFeed.objects.create(member=member)


# --- settings -------------------------------------------------------------------------------


@transaction.atomic
def settings_save(*, instance, actor=None, version: int | None = None, fields=None):
    """Save an organization's hours requirement, cadence or reminder settings row.

    `version`: the one the editor saw; ConcurrentChange when someone saved (or created) the
    row since (members.concurrency). `fields`: the fields the form edits (for the message).
    """
    adding = instance._state.adding
    lookup = {"organization": instance.organization_id}
    if hasattr(instance, "year"):
        lookup["year"] = instance.year
    if adding:
        version_claim_new(type(instance), lookup=lookup, fields=fields, submitted=instance)
    else:
        version_claim(instance, version, fields=fields)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        if not adding:
            raise
        # Created by someone else between the check and this insert.
        version_claim_new(type(instance), lookup=lookup, fields=fields, submitted=instance)
        raise
    if isinstance(instance, HoursRequirement | ComplianceCadence):
        # Who is behind and which meetings are missing change for every branch below: their
        # study figures are recomputed by a task (in chunks), the rows above follow.
        years = [instance.year] if isinstance(instance, HoursRequirement) else None
        organization_id = instance.organization_id
        from .tasks import refresh_study_figures_below

        queue_after_commit(refresh_study_figures_below, organization_id, years)
    audit_log(
        actor=actor,
        action=f"education.{instance._meta.model_name}.save",
        obj=instance.organization,
    )
    return instance


# --- closing check-in -----------------------------------------------------------------------


@transaction.atomic
def session_close_checkin(*, session: Session, actor=None) -> Session:
    """Close check-in on a planned session whose check-in has opened (at any time from then,
    also before the start): members who neither checked in nor were marked by hand are
    absent, and the session is held (check-ins now count)."""
    from simple_history.utils import bulk_update_with_history

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
    session._history_user = actor
    session.save(update_fields=["state", "updated_at"])
    # The same refresh session_log does when a session becomes held.
    summaries.refresh_session(session)
    return session
