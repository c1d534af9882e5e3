"""education/ pages: thin — check, read or call one service, render.

Objects are fetched through the user's scope (404 outside it); a logged-in user who lacks a
permission gets 403.
"""

import time
from decimal import Decimal, InvalidOperation
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.concurrency import ConcurrentChange
from members.dbrouting import reads_from_replica
from members.forms import add_service_error
from members.models import OrganizationKind
from members.params import choice_param, id_param, page_param, this_year, year_param
from members.permissions import (
    get_member_for_user,
    get_organization_for_user,
    has_perm,
    organizations_managed_by,
    permission_required,
    require_member,
    require_perm,
    scope_for,
)
from members.services import DomainError, audit_log
from members.uploads import private_file_response
from members.xlsx import Sheet, xlsx_response

from . import exports, ics, selectors, services
from .checkin import CHECKIN_PASS_SECONDS, checkin_code, checkin_code_is_fresh, current_step, qr_svg
from .forms import (
    CadenceForm,
    ExpectedForm,
    HoursRequirementForm,
    MakeupForm,
    MaterialForm,
    ReminderSettingsForm,
    ReviewForm,
    SessionForm,
    SessionVoidForm,
)
from .models import (
    CREDITED_STATUSES,
    REGULAR_KINDS,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    ComplianceCadence,
    Frequency,
    HoursRequirement,
    Makeup,
    MakeupState,
    ReminderSettings,
    Session,
    SessionKind,
    SessionState,
)
from .permissions import (
    get_makeup_for_user,
    get_material_for_user,
    get_session_for_user,
    makeups_managed_by,
    sessions_managed_by,
)

_CHECKIN_SESSION_KEY = "education_checkin_pass"


# --- helpers --------------------------------------------------------------------------------


PICKER_LIMIT = 50  # more branches than this: pick one from the rollup, not from a <select>


def _chosen_branch(request):
    """(the branch named by ?branch= among those the user manages (404 outside), else the
    first one they manage, else None; the branches for the picker, empty when there are more
    than PICKER_LIMIT). One query, two when the branch named is past the picker's list: the
    page does not grow with the number of branches an organizer manages."""
    managed = selectors.branch_choices(request.user)
    choices = list(managed[: PICKER_LIMIT + 1])
    pk = id_param(request, "branch")
    if pk is not None:
        branch = next((b for b in choices if b.pk == pk), None)
        if branch is None:
            branch = get_object_or_404(managed, pk=pk)
    else:
        branch = choices[0] if choices else None
    return branch, choices if len(choices) <= PICKER_LIMIT else []


# --- sessions -------------------------------------------------------------------------------


@permission_required("education.add_session")
def session_list(request):
    year = year_param(request, default=this_year())
    state = choice_param(request, "state", SessionState.values)
    org_pk = id_param(request, "org")
    org = get_organization_for_user(request.user, org_pk) if org_pk else None
    qs = selectors.session_list(
        sessions_managed_by(request.user), year=year, state=state, organization=org
    )
    page = Paginator(qs, 30).get_page(page_param(request))
    return render(
        request,
        "education/session_list.html",
        {
            "page": page,
            "year": year,
            "state": state,
            "org": org,
            "states": SessionState.choices,
            "query": f"year={year}&state={state}" + (f"&org={org.pk}" if org else ""),
            "year_query": f"state={state}" + (f"&org={org.pk}" if org else ""),
        },
    )


@permission_required("education.add_session")
def session_create(request):
    form = SessionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organization = data.pop("organization")
        branches = data.pop("branches", None) or ()
        require_perm(request.user, "members.manage_organization", organization)
        try:
            session = services.session_plan(
                organization=organization, branches=branches, actor=request.user, **data
            )
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The session is planned."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_form.html", {"form": form, "session": None})


@login_required
def session_detail(request, pk):
    session = get_session_for_user(request.user, pk)
    manage = has_perm(request.user, "education.change_session", session)
    scope = scope_for(request.user)
    context = {
        "session": session,
        "manage": manage,
        "materials": list(session.materials.all()),
        "material_form": MaterialForm() if manage else None,
        "branches": list(session.branches.all()),
    }
    if manage:
        context.update(_attendance_context(session))
        context["can_close"] = services.checkin_can_close(session)
        context["changes"] = selectors.session_changes(session)
        context["changes_limit"] = selectors.CHANGES_LIMIT
    if scope.member_id:
        own = (
            next((a for a in context["rows"] if a.member_id == scope.member_id), None)
            if manage  # the attendance list is loaded already
            else session.attendances.filter(member_id=scope.member_id).first()
        )
        context["own"] = own
        context["own_makeup_open"] = (
            own is not None
            and session.is_held
            and own.status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
            and not Makeup.objects.filter(member_id=scope.member_id, session=session)
            .exclude(state=MakeupState.REJECTED)
            .exists()
        )
    return render(request, "education/session_detail.html", context)


@permission_required("education.change_session", get_session_for_user)
def session_edit(request, session):
    form = SessionForm(
        request.POST or None, instance=session, user=request.user, with_minutes=session.is_held
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.SESSION_FIELDS}
        try:
            services.session_update(
                session=session,
                actor=request.user,
                branches=form.cleaned_data.get("branches") if "branches" in form.fields else None,
                version=form.cleaned_data.get("version"),
                **data,
            )
        except ConcurrentChange as exc:
            form.show_conflict(exc)
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_form.html", {"form": form, "session": session})


@permission_required("education.change_session", get_session_for_user)
def session_expected(request, session):
    candidates, current = selectors.expected_candidates(session)
    form = ExpectedForm(
        request.POST or None, candidates=candidates, initial={"members": sorted(current)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_set_expected(
                session=session, member_ids=form.cleaned_data["members"], actor=request.user
            )
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The list of expected members is saved."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_expected.html", {"form": form, "session": session})


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
        if not raw.isdigit():
            continue
        mid = int(raw)
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
    pending = set(
        session.attendances.filter(status=AttendanceStatus.PENDING).values_list(
            "member_id", flat=True
        )
    )
    left = pending - set(attendance)
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
            managed = organizations_managed_by(request.user).exclude(kind=OrganizationKind.GROUP)
            led = list(managed.filter(kind=OrganizationKind.BRANCH).order_by("path")[:2])
            if len(led) == 1 and not scope_for(request.user).is_organizer:
                return redirect(reverse("education:session_log_new") + f"?org={led[0].pk}")
            return render(
                request,
                "education/session_log_choose.html",
                {"organizations": organizations_managed_by(request.user).order_by("path")[:500]},
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
        data = {k: v for k, v in form.cleaned_data.items() if k in services.SESSION_FIELDS}
        if session is None:
            duplicates = _unconfirmed_duplicates(request.POST, organization, data)
        try:
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
            session = services.session_log(
                session=session,
                organization=organization,
                attendance=attendance,
                actor=request.user,
                branches=form.cleaned_data.get("branches") or (),
                version=form.cleaned_data.get("version"),
                **data,
            )
        except ConcurrentChange as exc:
            form.show_conflict(exc)
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The session and its attendance are saved."))
            return redirect("education:session_detail", session.pk)
    rows = selectors.log_rows(session, organization)
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
    found = selectors.similar_sessions(
        organization,
        kind=data.get("kind"),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
    )
    confirmed = {pk for value in post.getlist("confirm_duplicate") for pk in value.split(",")}
    return [s for s in found if str(s.pk) not in confirmed]


def _attendance_context(session, **extra):
    rows = selectors.session_attendance(session)
    return {
        "session": session,
        "manage": True,
        "rows": rows,
        "counts": selectors.session_counts(session, rows=rows),
        "statuses": [(s, label) for s, label in AttendanceStatus.choices if s in _MARKED],
        **extra,
    }


@require_POST
@permission_required("education.change_session", get_session_for_user)
def session_mark(request, session):
    """Mark one expected member by hand (button "member_id:status"). The session keeps its
    state: a planned session stays open for check-in, a held one has its hours updated."""
    raw_member, _sep, status = request.POST.get("mark", "").partition(":")
    if not raw_member.isdigit():
        raise Http404
    row = get_object_or_404(session.attendances.select_related("member"), member_id=raw_member)
    error = ""
    try:
        if status not in _MARKED:
            raise DomainError(_("Mark each member present, late, excused or absent."))
        services.attendance_mark(
            session=session, member=row.member, status=status, actor=request.user
        )
    except DomainError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request,
            "education/_attendance_section.html",
            _attendance_context(session, mark_error=error),
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


@require_POST
@permission_required("education.change_session", get_session_for_user)
def session_close(request, session):
    """Close check-in: members who did not check in (and were not marked) are absent, the
    session is held and everyone's hours count."""
    try:
        services.session_close_checkin(session=session, actor=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Check-in is closed and the session is held; the hours are credited.")
        )
    return redirect("education:session_detail", session.pk)


@permission_required("education.change_session", get_session_for_user)
def session_cancel(request, session):
    """Cancelling asks first: GET (or a POST without confirm=yes) shows what will happen."""
    if session.is_held:
        return _session_void(request, session)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        reminded = selectors.reminded_count(session)
        return render(
            request,
            "education/session_cancel_confirm.html",
            {"session": session, "reminded": reminded},
        )
    try:
        services.session_cancel(session=session, actor=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The session is cancelled."))
    return redirect("education:session_detail", session.pk)


def _session_void(request, session):
    """A held session is voided with a written reason (never deleted): its attendance stays
    on record and it stops counting for hours and the meeting grid."""
    form = SessionVoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_void(
                session=session, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The session is voided; its attendance stays on record."))
            return redirect("education:session_detail", session.pk)
    return render(
        request, "education/session_void_confirm.html", {"session": session, "form": form}
    )


@login_required
def session_ics(request, pk):
    session = get_session_for_user(request.user, pk)
    body = ics.sessions_calendar(
        [session],
        name=session.title,
        url_for=lambda s: request.build_absolute_uri(
            reverse("education:session_detail", args=[s.pk])
        ),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


# --- materials ------------------------------------------------------------------------------


@require_POST
@permission_required("education.change_session", get_session_for_user)
def material_add(request, session):
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.material_add(
                session=session,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The material is uploaded."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("education:session_detail", session.pk)


@login_required
def material_download(request, pk):
    material = get_material_for_user(request.user, pk)
    return private_file_response(
        material.file, filename=material.original_name, content_type=material.content_type
    )


@require_POST
@permission_required("education.delete_material", get_material_for_user)
def material_delete(request, material):
    services.material_delete(material=material, actor=request.user)
    messages.success(request, _("The material is deleted."))
    return redirect("education:session_detail", material.session_id)


# --- check-in -------------------------------------------------------------------------------


@permission_required("education.change_session", get_session_for_user)
def checkin_screen(request, session):
    """The kiosk for the meeting room's screen: full screen, no navigation; the QR code, the
    count and the names are the partial below, polled every few seconds."""
    opens, _closes = services.checkin_window(session)
    return render(
        request,
        "education/checkin_screen.html",
        {
            "session": session,
            "can_close": services.checkin_can_close(session),
            "opens_at": opens,
            "poll_seconds": CHECKIN_POLL_SECONDS,
        },
    )


# The kiosk asks for a fresh partial this often; the code itself changes every 15 s.
CHECKIN_POLL_SECONDS = 3


@never_cache
@permission_required("education.change_session", get_session_for_user)
def checkin_qr(request, session):
    """htmx partial polled by the kiosk: a fresh code, the live count and who has checked in
    (newest first). Two queries after the user's scope: the session and its attendance."""
    url = request.build_absolute_uri(
        reverse(
            "education:checkin_scan", args=[session.pk, checkin_code(session.pk, current_step())]
        )
    )
    board = selectors.checkin_board(session)
    return render(
        request,
        "education/_checkin_qr.html",
        {
            "session": session,
            "svg": qr_svg(url, title=_("Check-in code")) if session.is_planned else "",
            "url": url,
            **board,
        },
    )


@never_cache
def checkin_scan(request, pk, code):
    """Where the QR code points. A fresh code leaves a short-lived pass in the browser's
    session (it survives logging in) and sends the member on to confirm."""
    if not checkin_code_is_fresh(pk, code):
        return render(
            request,
            "education/checkin_result.html",
            {
                "ok": False,
                "message": _(
                    "This check-in code has expired. Scan the code on the screen in the room again."
                ),
            },
            status=400,
        )
    request.session[_CHECKIN_SESSION_KEY] = {"session": pk, "at": time.time()}
    return redirect("education:checkin_confirm", pk)


@never_cache
@login_required
def checkin_confirm(request, pk):
    """The member confirms their own check-in (only themselves, only once)."""
    held = request.session.get(_CHECKIN_SESSION_KEY) or {}
    fresh = held.get("session") == pk and time.time() - held.get("at", 0) <= CHECKIN_PASS_SECONDS
    session = Session.objects.select_related("organization").filter(pk=pk).first()
    if not fresh or session is None:
        return render(
            request,
            "education/checkin_result.html",
            {"ok": False, "message": _("Scan the code on the screen in the room to check in.")},
            status=400,
        )
    member = require_member(request.user)
    if request.method != "POST":
        return render(request, "education/checkin_confirm.html", {"session": session})
    try:
        services.check_in(session=session, member=member, actor=request.user)
    except DomainError as exc:
        return render(
            request,
            "education/checkin_result.html",
            {"ok": False, "message": " ".join(exc.messages), "session": session},
            status=400,
        )
    request.session.pop(_CHECKIN_SESSION_KEY, None)
    return render(
        request,
        "education/checkin_result.html",
        {"ok": True, "message": _("You are checked in. Welcome!"), "session": session},
    )


# --- make-up study --------------------------------------------------------------------------


@login_required
def makeup_list(request):
    member = require_member(request.user)
    makeups = Makeup.objects.filter(member=member).select_related("session")
    page = Paginator(makeups, 30).get_page(page_param(request))
    return render(request, "education/makeup_list.html", {"page": page})


@login_required
def makeup_create(request):
    member = require_member(request.user)
    missed = selectors.missed_sessions(member)
    initial = {}
    session_pk = id_param(request, "session")
    if session_pk:
        initial["session"] = missed.filter(pk=session_pk).first()
        if initial["session"] is not None:
            initial["hours"] = initial["session"].hours
    form = MakeupForm(
        request.POST or None, request.FILES or None, missed_sessions=missed, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.makeup_submit(member=member, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Your make-up study is recorded. It counts once the secretary confirms it."),
            )
            return redirect("education:makeup_list")
    return render(request, "education/makeup_form.html", {"form": form})


@permission_required("education.review_makeups")
def makeup_review_list(request):
    # Nobody confirms their own make-up study: a leader's own rows go to another reviewer.
    own = scope_for(request.user).member_id
    qs = selectors.makeups_to_review(makeups_managed_by(request.user).exclude(member_id=own))
    page = Paginator(qs, 30).get_page(page_param(request))
    return render(request, "education/makeup_review.html", {"page": page, "form": ReviewForm()})


@require_POST
@permission_required("education.review_makeup", partial(get_makeup_for_user, write=True))
def makeup_review(request, makeup):
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    action = request.POST.get("action")
    try:
        if action == "confirm":
            services.makeup_confirm(makeup=makeup, actor=request.user, note=note)
            messages.success(request, _("The make-up study is confirmed; its hours now count."))
        elif action == "reject":
            services.makeup_reject(makeup=makeup, actor=request.user, note=note)
            messages.success(request, _("The make-up study is rejected."))
        else:
            raise DomainError(_("Choose to confirm or reject."))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("education:makeup_review_list")


@login_required
def makeup_evidence(request, pk):
    makeup = get_makeup_for_user(request.user, pk)
    if not makeup.evidence:
        raise Http404
    return private_file_response(
        makeup.evidence, filename=makeup.evidence_name, content_type=makeup.evidence_type
    )


# --- study hours ----------------------------------------------------------------------------


@permission_required("education.view_hours_tables")
def hours_branch(request):
    year = year_param(request, default=this_year())
    branch, choices = _chosen_branch(request)

    def build():
        requirement = selectors.hours_requirement(branch, year) if branch else None
        members = selectors.branch_hours_table(branch, year, requirement) if branch else []
        return {
            "branch": branch,
            "choices": choices,
            "members": members,
            "year": year,
            "year_query": f"branch={branch.pk}" if branch else "",
            "requirement": requirement,
        }

    return render(request, "education/hours_branch.html", build())


@permission_required("education.view_hours_tables")
def hours_branch_export(request):
    year = year_param(request, default=this_year())
    branch, _choices = _chosen_branch(request)
    if branch is None:
        raise Http404
    audit_log(actor=request.user, action="education.hours.export_branch", obj=branch, year=year)
    header, rows = exports.branch_hours_rows(selectors.branch_hours_table(branch, year))
    return xlsx_response(
        f"hours-{branch.pk}-{year}.xlsx", [Sheet(f"{branch.name} {year}", header, rows)]
    )


@login_required
def hours_member(request, pk):
    member = get_member_for_user(request.user, pk)
    year = year_param(request, default=this_year())
    context = selectors.member_hours(member, year)
    context["member"] = member
    context["year_query"] = ""
    return render(request, "education/hours_member.html", context)


@login_required
def hours_member_export(request, pk):
    member = get_member_for_user(request.user, pk)
    year = year_param(request, default=this_year())
    if scope_for(request.user).member_id != member.pk:
        audit_log(actor=request.user, action="education.hours.export_member", obj=member, year=year)
    header, rows = exports.member_hours_rows(selectors.member_hours(member, year))
    return xlsx_response(f"hours-member-{member.pk}-{year}.xlsx", [Sheet(str(year), header, rows)])


def _rollup_org(request):
    pk = id_param(request, "org")
    if pk is not None:
        return get_organization_for_user(request.user, pk)
    roots = selectors.rollup_roots(request.user)
    if not roots:
        raise Http404
    return roots[0]


@reads_from_replica
@permission_required("education.view_rollup")
def hours_rollup(request):
    org = _rollup_org(request)
    year = year_param(request, default=this_year())
    return render(
        request,
        "education/hours_rollup.html",
        {
            "org": org,
            "year": year,
            "totals": selectors.rollup_totals(org, year),
            "page": selectors.rollup_children(org, year, page_number=page_param(request)),
            "roots": selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}",
            "year_query": f"org={org.pk}",
        },
    )


@reads_from_replica
@permission_required("education.view_rollup")
def hours_rollup_export(request):
    org = _rollup_org(request)
    year = year_param(request, default=this_year())
    audit_log(actor=request.user, action="education.hours.export_rollup", obj=org, year=year)

    def branches():
        ids = []
        for pk in (
            selectors.branches_below(org).values_list("pk", flat=True).iterator(chunk_size=500)
        ):
            ids.append(pk)
            if len(ids) == 500:
                yield from selectors.hours_rollup(org, ids, year)
                ids = []
        if ids:
            yield from selectors.hours_rollup(org, ids, year)

    header, rows = exports.rollup_rows(branches())
    return xlsx_response(
        f"hours-rollup-{org.pk}-{year}.xlsx", [Sheet(f"{org.name} {year}", header, rows)]
    )


# --- regular-meeting compliance -------------------------------------------------------------


@permission_required("education.view_hours_tables")
def compliance_branch(request):
    year = year_param(request, default=this_year())
    branch, choices = _chosen_branch(request)

    def build():
        grid = selectors.compliance_from_summary([branch], year)[0] if branch else None
        return {
            "branch": branch,
            "choices": choices,
            "grid": grid,
            "grid_rows": [
                (k, SessionKind(k).label, grid.rows[k], grid.missing[k]) for k in REGULAR_KINDS
            ]
            if grid
            else [],
            "year": year,
            "year_query": f"branch={branch.pk}" if branch else "",
            "months": range(1, 13),
        }

    return render(request, "education/compliance_branch.html", build())


@reads_from_replica
@permission_required("education.view_rollup")
def compliance_rollup(request):
    org = _rollup_org(request)
    year = year_param(request, default=this_year())
    sort = choice_param(request, "sort", selectors.SORTS, default="missing")
    return render(
        request,
        "education/compliance_rollup.html",
        {
            "org": org,
            "year": year,
            "sort": sort,
            "totals": selectors.rollup_totals(org, year),
            # Organizations below (not branches): their figures, one page.
            "below": selectors.rollup_children(
                org, year, page_number=page_param(request, "opage"), branches=False
            ),
            # Branches directly below: the grid, sorted and paginated by the database.
            "page": selectors.compliance_page(
                org, year, sort=sort, page_number=page_param(request)
            ),
            "months": range(1, 13),
            "kinds": [(k, SessionKind(k).label) for k in REGULAR_KINDS],
            "roots": selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}&sort={sort}",
            "year_query": f"org={org.pk}&sort={sort}",
        },
    )


# --- calendar -------------------------------------------------------------------------------


@login_required
def calendar_page(request):
    member = require_member(request.user)
    feed = CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).first()
    context = {"feed": feed, "url": "", "webcal_url": "", "qr": ""}
    if feed:
        url = request.build_absolute_uri(reverse("education:calendar_feed", args=[feed.token]))
        context.update(
            url=url,
            # webcal:// asks the phone's calendar to subscribe instead of downloading once.
            webcal_url="webcal://" + url.split("://", 1)[1],
            qr=qr_svg(url, title=_("QR code of your calendar address")),
        )
    return render(request, "education/calendar.html", context)


@login_required
@require_POST
def calendar_regenerate(request):
    member = require_member(request.user)
    services.calendar_feed_regenerate(member=member)
    messages.success(request, _("Your calendar link is new; the old one no longer works."))
    return redirect("education:calendar")


@login_required
@require_POST
def calendar_revoke(request):
    member = require_member(request.user)
    services.calendar_feed_revoke(member=member)
    messages.success(request, _("Your calendar link is turned off."))
    return redirect("education:calendar")


@never_cache
def calendar_feed(request, token):
    """A member's private feed: the secret URL is the credential (calendar clients cannot
    log in). Revoked or unknown tokens get 404."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("member"), token=token, revoked_at__isnull=True
    )
    if not feed.member.is_active:  # transferred out or deceased: the feed stops
        raise Http404
    body = ics.sessions_calendar(
        selectors.calendar_sessions(feed.member_id),
        name=_("Study sessions"),
        url_for=lambda s: request.build_absolute_uri(
            reverse("education:session_detail", args=[s.pk])
        ),
    )
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- settings -------------------------------------------------------------------------------


# The required hours and the meeting cadence are the bar a branch is measured against: only
# the organization above sets them (education.change_requirements); a branch's leaders
# choose their own reminders only.
_REQUIREMENT_FORMS = ("hours", "cadence")


@permission_required("education.change_settings", get_organization_for_user)
def org_settings(request, org):
    year = year_param(request, default=this_year())
    can_set_bar = has_perm(request.user, "education.change_requirements", org)
    forms_by_name = {
        "hours": HoursRequirementForm(
            instance=HoursRequirement.objects.filter(organization=org, year=year).first()
            or HoursRequirement(organization=org, year=year),
            prefix="hours",
        ),
        "cadence": CadenceForm(
            instance=ComplianceCadence.objects.filter(organization=org).first()
            or ComplianceCadence(organization=org),
            prefix="cadence",
        ),
        "reminders": ReminderSettingsForm(
            instance=ReminderSettings.objects.filter(organization=org).first()
            or ReminderSettings(organization=org),
            prefix="reminders",
        ),
    }
    if request.method == "POST":
        name = request.POST.get("form")
        if name not in forms_by_name:
            raise Http404
        if name in _REQUIREMENT_FORMS:
            require_perm(request.user, "education.change_requirements", org)
        form = type(forms_by_name[name])(
            request.POST, instance=forms_by_name[name].instance, prefix=name
        )
        forms_by_name[name] = form
        if form.is_valid():
            try:
                services.settings_save(
                    instance=form.save(commit=False),
                    actor=request.user,
                    version=form.cleaned_data.get("version"),
                    fields=list(form.Meta.fields),
                )
            except ConcurrentChange as exc:
                form.show_conflict(exc)
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The settings are saved."))
                return redirect(reverse("education:settings", args=[org.pk]) + f"?year={year}")
    return render(
        request,
        "education/settings.html",
        {
            "org": org,
            "year": year,
            "forms": forms_by_name,
            "can_set_bar": can_set_bar,
            "effective": selectors.hours_requirement(org, year),
            "cadence": [
                (SessionKind(k).label, Frequency(v).label)
                for k, v in selectors.cadence_for(
                    selectors.cadences_by_path([org.path], below=False), org.path
                ).items()
            ],
        },
    )
