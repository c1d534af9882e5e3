"""Recording attendance: the logging page of a held session, and one member marked by hand."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from members.page_actions import submit
from members.params import id_param, parse_id
from members.permissions import (
    get_organization_for_user,
    permission_required,
    require_perm,
    scope_for,
)
from members.services import DomainError

from ..forms import SessionForm
from ..models.sessions import CREDITED_STATUSES, SESSION_FIELDS, Attendance, AttendanceStatus
from ..permissions import get_session_for_user
from ..selectors import rollup as rollup_selectors
from ..selectors import sessions as sessions_selectors
from ..services import attendance as attendance_services

MAX_ROW_HOURS = Decimal("99.9")


_MARKED = frozenset(s for s in AttendanceStatus.values if s != AttendanceStatus.PENDING)


MAX_REASON_LENGTH = Attendance._meta.get_field("note").max_length


_REASON_STATUSES = (AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT)


def _parse_attendance(post):
    """{member_id: (status, hours, reason)} from the logging table; unmarked rows are left out.

    The reason (why excused or absent) is kept for those two only; any other mark clears it.
    Refuses (DomainError, the page shows it with everything typed kept) a status that is not
    one of the four, and hours that are not a number from 0 to 99.9 ("NaN", "inf", "abc")."""
    result = {}
    for raw in post.getlist("member"):
        mid = parse_id(raw)
        if mid is None:
            continue
        status = post.get(f"status_{mid}", "")
        if not status:
            continue
        if status not in _MARKED:
            raise DomainError(_("Mark each member present, late, excused or absent."))
        hours = post.get(f"hours_{mid}", "").strip().replace("，", ".").replace(",", ".")
        try:
            value = Decimal(hours) if hours else None
        except InvalidOperation:
            value = Decimal("NaN")
        if value is not None and not (value.is_finite() and 0 <= value <= MAX_ROW_HOURS):
            raise DomainError(_("Credited hours must be a number from 0 to 99.9, such as 1.5."))
        reason = " ".join(post.get(f"note_{mid}", "").split())
        if len(reason) > MAX_REASON_LENGTH:
            raise DomainError(
                _("A reason can be at most %(n)s characters.") % {"n": MAX_REASON_LENGTH}
            )
        result[mid] = (status, value, reason if status in _REASON_STATUSES else "")
    return result


def _settle_unmarked(post, session, attendance):
    """On an existing session, members still pending (no check-in, not marked) are never
    guessed: they are marked absent only when the secretary says so, else nothing is saved."""
    left = sessions_selectors.pending_member_ids(session) - set(attendance)
    if not left:
        return
    if post.get("unmarked") == AttendanceStatus.ABSENT:
        attendance.update(dict.fromkeys(left, (AttendanceStatus.ABSENT, None)))
        return
    raise DomainError(
        ngettext(
            "%(n)s expected member is not marked yet. Mark them, or tick “Mark everyone not "
            "marked as absent”.",
            "%(n)s expected members are not marked yet. Mark them, or tick “Mark everyone not "
            "marked as absent”.",
            len(left),
        )
        % {"n": len(left)}
    )


@login_required
def session_log(request, pk=None):
    """One page to record a held session with everyone's attendance (new or existing)."""
    if pk is not None:
        session = get_session_for_user(request.user, pk)
        require_perm(request.user, "education.change_session", session)
        organization = session.organization
    else:
        require_perm(request.user, "education.add_session")
        session = None
        org_pk = id_param(request, "org")
        if org_pk is None:
            led = rollup_selectors.led_branches(request.user, limit=2)
            if len(led) == 1 and not scope_for(request.user).is_organizer:
                return redirect(reverse("education:session_log_new") + f"?org={led[0].pk}")
            return render(
                request,
                "education/session_log_choose.html",
                {"organizations": rollup_selectors.organizations_to_log_for(request.user)},
            )
        organization = get_organization_for_user(request.user, org_pk)
    initial = {}
    if session is None:
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = {"starts_at": now - timezone.timedelta(hours=2), "ends_at": now}
    form = SessionForm(
        request.POST or None,
        instance=session,
        user=request.user,
        organization=organization,
        with_minutes=True,
        initial=initial,
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in SESSION_FIELDS}
        if session is None:
            duplicates = _unconfirmed_duplicates(request.POST, organization, data)

        def log():
            attendance = _parse_attendance(request.POST)
            if duplicates:
                raise DomainError(
                    _(
                        "This session may already be logged. Check the one below; save again "
                        "only if this is a different session."
                    )
                )
            if session is not None:
                _settle_unmarked(request.POST, session, attendance)
            return attendance_services.session_log(
                session=session,
                organization=organization,
                attendance=attendance,
                actor=request.user,
                branches=form.cleaned_data.get("branches") or (),
                version=form.cleaned_data.get("version"),
                **data,
            )

        logged = submit(request, form, log, _("The session and its attendance are saved."))
        if logged:
            return redirect("education:session_detail", logged.value.pk)
    rows = sessions_selectors.log_rows(session, organization)
    if request.method == "POST":
        for row in rows:
            mid = row["member"].pk
            row["status"] = request.POST.get(f"status_{mid}") or row["status"]
            row["hours"] = request.POST.get(f"hours_{mid}", "")
            row["note"] = request.POST.get(f"note_{mid}", "")
    default_hours = str(form["hours"].value() or "")
    for row in rows:
        # Hours are adjusted on demand: the box is filled (and its disclosure open) only where
        # a credited member gets something other than the session's hours.
        hours = "" if row["hours"] is None else str(row["hours"])
        credited = row["status"] in CREDITED_STATUSES or (
            session is None and row["status"] == AttendanceStatus.PENDING
        )
        row["hours_value"] = hours if credited and hours not in ("", default_hours) else ""
    return render(
        request,
        "education/session_log.html",
        {
            "form": form,
            "session": session,
            "organization": organization,
            "rows": rows,
            "duplicates": duplicates,
            "statuses": [
                (s, label) for s, label in AttendanceStatus.choices if s != AttendanceStatus.PENDING
            ],
        },
    )


def _unconfirmed_duplicates(post, organization, data):
    """Sessions of the same organization and kind on the same day whose time overlaps the one
    being logged, unless the secretary has confirmed (after seeing them) that it differs."""
    found = sessions_selectors.similar_sessions(
        organization,
        kind=data.get("kind"),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
    )
    confirmed = {pk for value in post.getlist("confirm_duplicate") for pk in value.split(",")}
    return [s for s in found if str(s.pk) not in confirmed]


def attendance_context(session, **extra):
    rows = sessions_selectors.session_attendance(session)
    return {
        "session": session,
        "manage": True,
        "rows": rows,
        "counts": sessions_selectors.session_counts(session, rows=rows),
        "statuses": [(s, label) for s, label in AttendanceStatus.choices if s in _MARKED],
        **extra,
    }


@require_POST
@permission_required("education.change_session", get_session_for_user)
def session_mark(request, session):
    """Mark one expected member by hand (button "member_id:status"). The session keeps its
    state: a planned session stays open for check-in, a held one has its hours updated."""
    raw_member, _sep, status = request.POST.get("mark", "").partition(":")
    member_id = parse_id(raw_member)
    if member_id is None:
        raise Http404
    row = sessions_selectors.expected_row(session, member_id)
    if row is None:
        raise Http404
    error = ""
    try:
        if status not in _MARKED:
            raise DomainError(_("Mark each member present, late, excused or absent."))
        attendance_services.attendance_mark(
            session=session, member=row.member, status=status, actor=request.user
        )
    except DomainError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request,
            "education/_attendance_section.html",
            attendance_context(session, mark_error=error),
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s is marked %(status)s.")
            % {"name": row.member.full_name, "status": AttendanceStatus(status).label},
        )
    return redirect(reverse("education:session_detail", args=[session.pk]) + "#attendance")
