"""education/ pages: thin — check, read or call one service, render.

Objects are fetched through the user's scope (404 outside it); a logged-in user who lacks a
permission gets 403.
"""

import time
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.dbrouting import reads_from_replica
from members.models import Organization, OrganizationKind
from members.permissions import (
    get_member_for_user,
    get_organization_for_user,
    organization_scope_q,
    organizations_managed_by,
    require_member,
    scope_for,
)
from members.services import DomainError, audit_log

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
)
from .models import (
    REGULAR_KINDS,
    AttendanceStatus,
    CalendarFeed,
    ComplianceCadence,
    Frequency,
    HoursRequirement,
    Makeup,
    MakeupState,
    Material,
    ReminderSettings,
    Session,
    SessionKind,
    SessionState,
)
from .permissions import (
    can_manage_session,
    get_session_for_user,
    makeups_managed_by,
    sessions_managed_by,
)

_CHECKIN_SESSION_KEY = "education_checkin_pass"


# --- helpers --------------------------------------------------------------------------------


def _require(user, perm, obj=None):
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def _year(request):
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if 1921 <= year <= this_year + 1 else this_year


def _int_param(request, name):
    raw = request.GET.get(name) or request.POST.get(name)
    return int(raw) if raw and raw.isdigit() else None


def _form_error(form, exc: DomainError):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _chosen_branch(request):
    """The branch named by ?branch= among those the user manages (404 outside), else the
    first one they manage, else None."""
    choices = selectors.branch_choices(request.user)
    pk = _int_param(request, "branch")
    if pk is not None:
        return get_object_or_404(choices, pk=pk), choices
    return choices.first(), choices


# --- sessions -------------------------------------------------------------------------------


@login_required
def session_list(request):
    _require(request.user, "education.add_session")
    year = _year(request)
    state = request.GET.get("state") if request.GET.get("state") in SessionState.values else ""
    org_pk = _int_param(request, "org")
    org = get_organization_for_user(request.user, org_pk) if org_pk else None
    qs = selectors.session_list(
        sessions_managed_by(request.user), year=year, state=state, organization=org
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
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


@login_required
def session_create(request):
    _require(request.user, "education.add_session")
    form = SessionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organization = data.pop("organization")
        branches = data.pop("branches", None) or ()
        if not scope_for(request.user).manages_org(organization):
            raise PermissionDenied
        try:
            session = services.session_plan(
                organization=organization, branches=branches, actor=request.user, **data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The session is planned."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_form.html", {"form": form, "session": None})


@login_required
def session_detail(request, pk):
    session = get_session_for_user(request.user, pk)
    manage = can_manage_session(request.user, session)
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
        context["can_close"] = session.is_planned and session.starts_at <= timezone.now()
        context["changes"] = selectors.session_changes(session)
        context["changes_limit"] = selectors.CHANGES_LIMIT
    if scope.member_id:
        own = session.attendances.filter(member_id=scope.member_id).first()
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


@login_required
def session_edit(request, pk):
    session = get_session_for_user(request.user, pk, write=True)
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
                **data,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_form.html", {"form": form, "session": session})


@login_required
def session_expected(request, pk):
    session = get_session_for_user(request.user, pk, write=True)
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
            _form_error(form, exc)
        else:
            messages.success(request, _("The list of expected members is saved."))
            return redirect("education:session_detail", session.pk)
    return render(request, "education/session_expected.html", {"form": form, "session": session})


MAX_ROW_HOURS = Decimal("99.9")
_MARKED = frozenset(s for s in AttendanceStatus.values if s != AttendanceStatus.PENDING)


def _parse_attendance(post):
    """{member_id: (status, hours)} from the logging table; unmarked rows are left out.

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
        result[mid] = (status, value)
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
        session = get_session_for_user(request.user, pk, write=True)
        organization = session.organization
    else:
        _require(request.user, "education.add_session")
        session = None
        org_pk = _int_param(request, "org")
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
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.SESSION_FIELDS}
        try:
            attendance = _parse_attendance(request.POST)
            if session is not None:
                _settle_unmarked(request.POST, session, attendance)
            session = services.session_log(
                session=session,
                organization=organization,
                attendance=attendance,
                actor=request.user,
                branches=form.cleaned_data.get("branches") or (),
                **data,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The session and its attendance are saved."))
            return redirect("education:session_detail", session.pk)
    rows = selectors.log_rows(session, organization)
    if request.method == "POST":
        for row in rows:
            mid = row["member"].pk
            row["status"] = request.POST.get(f"status_{mid}") or row["status"]
            row["hours"] = request.POST.get(f"hours_{mid}", "")
    return render(
        request,
        "education/session_log.html",
        {
            "form": form,
            "session": session,
            "organization": organization,
            "rows": rows,
            "statuses": [
                (s, label) for s, label in AttendanceStatus.choices if s != AttendanceStatus.PENDING
            ],
        },
    )


def _attendance_context(session, **extra):
    return {
        "session": session,
        "manage": True,
        "rows": selectors.session_attendance(session),
        "counts": selectors.session_counts(session),
        "statuses": [(s, label) for s, label in AttendanceStatus.choices if s in _MARKED],
        **extra,
    }


@login_required
@require_POST
def session_mark(request, pk):
    """Mark one expected member by hand (button "member_id:status"). The session keeps its
    state: a planned session stays open for check-in, a held one has its hours updated."""
    session = get_session_for_user(request.user, pk, write=True)
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


@login_required
@require_POST
def session_close(request, pk):
    """Close check-in: members who did not check in (and were not marked) are absent, the
    session is held and everyone's hours count."""
    session = get_session_for_user(request.user, pk, write=True)
    try:
        services.session_close_checkin(session=session, actor=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Check-in is closed and the session is held; the hours are credited.")
        )
    return redirect("education:session_detail", session.pk)


@login_required
def session_cancel(request, pk):
    """Cancelling asks first: GET (or a POST without confirm=yes) shows what will happen."""
    session = get_session_for_user(request.user, pk, write=True)
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


@login_required
@require_POST
def material_add(request, pk):
    session = get_session_for_user(request.user, pk, write=True)
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


def _material_for_user(user, pk):
    material = get_object_or_404(Material.objects.select_related("session"), pk=pk)
    # Raises 404 when the session itself is outside the user's reach.
    get_session_for_user(user, material.session_id)
    return material


@login_required
def material_download(request, pk):
    material = _material_for_user(request.user, pk)
    try:
        handle = material.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=material.file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def material_delete(request, pk):
    material = _material_for_user(request.user, pk)
    if not can_manage_session(request.user, material.session):
        raise PermissionDenied
    services.material_delete(material=material, actor=request.user)
    messages.success(request, _("The material is deleted."))
    return redirect("education:session_detail", material.session_id)


# --- check-in -------------------------------------------------------------------------------


@login_required
def checkin_screen(request, pk):
    """The screen shown in the room: a QR code that changes every few seconds."""
    session = get_session_for_user(request.user, pk, write=True)
    can_close = session.is_planned and session.starts_at <= timezone.now()
    return render(
        request, "education/checkin_screen.html", {"session": session, "can_close": can_close}
    )


@never_cache
@login_required
def checkin_qr(request, pk):
    """htmx partial polled by the check-in screen: a fresh code and the live count."""
    session = get_session_for_user(request.user, pk, write=True)
    url = request.build_absolute_uri(
        reverse(
            "education:checkin_scan", args=[session.pk, checkin_code(session.pk, current_step())]
        )
    )
    return render(
        request,
        "education/_checkin_qr.html",
        {
            "session": session,
            "svg": qr_svg(url),
            "url": url,
            "counts": selectors.session_counts(session),
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
    page = Paginator(makeups, 30).get_page(request.GET.get("page"))
    return render(request, "education/makeup_list.html", {"page": page})


@login_required
def makeup_create(request):
    member = require_member(request.user)
    missed = selectors.missed_sessions(member)
    initial = {}
    session_pk = _int_param(request, "session")
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
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Your make-up study is recorded. It counts once the secretary confirms it."),
            )
            return redirect("education:makeup_list")
    return render(request, "education/makeup_form.html", {"form": form})


@login_required
def makeup_review_list(request):
    _require(request.user, "education.review_makeups")
    # Nobody confirms their own make-up study: a leader's own rows go to another reviewer.
    own = scope_for(request.user).member_id
    qs = selectors.makeups_to_review(makeups_managed_by(request.user).exclude(member_id=own))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "education/makeup_review.html", {"page": page, "form": ReviewForm()})


@login_required
@require_POST
def makeup_review(request, pk):
    makeup = get_object_or_404(makeups_managed_by(request.user), pk=pk)
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
    scope = scope_for(request.user)
    visible = Makeup.objects.all()
    if not scope.is_admin:
        # Q() | Q(x) is just Q(x): an admin's empty scope Q must not be OR-ed.
        visible = visible.filter(
            organization_scope_q(request.user, prefix="member__branch__")
            | Q(member_id=scope.member_id or 0)
        )
    makeup = get_object_or_404(visible, pk=pk)
    if not makeup.evidence:
        raise Http404
    try:
        handle = makeup.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle, as_attachment=True, filename=makeup.evidence.name.rsplit("/", 1)[-1]
    )


# --- study hours ----------------------------------------------------------------------------


@login_required
def hours_branch(request):
    _require(request.user, "education.view_hours_tables")
    year = _year(request)
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


@login_required
def hours_branch_export(request):
    _require(request.user, "education.view_hours_tables")
    year = _year(request)
    branch, _choices = _chosen_branch(request)
    if branch is None:
        raise Http404
    audit_log(actor=request.user, action="education.hours.export_branch", obj=branch, year=year)
    header, rows = exports.branch_hours_rows(selectors.branch_hours_table(branch, year))
    return exports.xlsx_response(
        f"hours-{branch.pk}-{year}.xlsx", f"{branch.name} {year}", header, rows
    )


@login_required
def hours_member(request, pk):
    member = get_member_for_user(request.user, pk)
    year = _year(request)
    context = selectors.member_hours(member, year)
    context["member"] = member
    context["year_query"] = ""
    return render(request, "education/hours_member.html", context)


@login_required
def hours_member_export(request, pk):
    member = get_member_for_user(request.user, pk)
    year = _year(request)
    if scope_for(request.user).member_id != member.pk:
        audit_log(actor=request.user, action="education.hours.export_member", obj=member, year=year)
    header, rows = exports.member_hours_rows(selectors.member_hours(member, year))
    return exports.xlsx_response(f"hours-member-{member.pk}-{year}.xlsx", str(year), header, rows)


def _rollup_org(request):
    _require(request.user, "education.view_rollup")
    pk = _int_param(request, "org")
    if pk is not None:
        return get_organization_for_user(request.user, pk)
    roots = selectors.rollup_roots(request.user)
    if not roots:
        raise Http404
    return roots[0]


@reads_from_replica
@login_required
def hours_rollup(request):
    org = _rollup_org(request)
    year = _year(request)

    def build():
        children, totals = selectors.hours_rollup_children(org, year)
        page = Paginator(selectors.branches_below(org).values_list("pk", flat=True), 50).get_page(
            request.GET.get("page")
        )
        return {
            "org": org,
            "year": year,
            "page": page,
            "branches": selectors.hours_rollup(org, list(page), year),
            "totals": totals,
            "children": children,
            "roots": selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}",
            "year_query": f"org={org.pk}",
        }

    return render(request, "education/hours_rollup.html", build())


@reads_from_replica
@login_required
def hours_rollup_export(request):
    org = _rollup_org(request)
    year = _year(request)
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
    return exports.xlsx_response(
        f"hours-rollup-{org.pk}-{year}.xlsx", f"{org.name} {year}", header, rows
    )


# --- regular-meeting compliance -------------------------------------------------------------


@login_required
def compliance_branch(request):
    _require(request.user, "education.view_hours_tables")
    year = _year(request)
    branch, choices = _chosen_branch(request)

    def build():
        grid = selectors.compliance([branch], year, roots=[branch.path])[0] if branch else None
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
@login_required
def compliance_rollup(request):
    org = _rollup_org(request)
    year = _year(request)
    sort = request.GET.get("sort") if request.GET.get("sort") in selectors.SORTS else "missing"

    def build():
        page = selectors.compliance_page(org, year, sort=sort, page_number=request.GET.get("page"))
        return {
            "org": org,
            "year": year,
            "sort": sort,
            "page": page,
            "months": range(1, 13),
            "kinds": [(k, SessionKind(k).label) for k in REGULAR_KINDS],
            "children": list(
                Organization.objects.get_children(org).exclude(kind=OrganizationKind.GROUP)
            ),
            "roots": selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}&sort={sort}",
            "year_query": f"org={org.pk}&sort={sort}",
        }

    return render(request, "education/compliance_rollup.html", build())


# --- calendar -------------------------------------------------------------------------------


@login_required
def calendar_page(request):
    member = require_member(request.user)
    feed = CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).first()
    url = (
        request.build_absolute_uri(reverse("education:calendar_feed", args=[feed.token]))
        if feed
        else ""
    )
    return render(request, "education/calendar.html", {"feed": feed, "url": url})


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


@login_required
def org_settings(request, pk):
    org = get_organization_for_user(request.user, pk)
    _require(request.user, "education.change_settings", org)
    year = _year(request)
    can_set_bar = request.user.has_perm("education.change_requirements", org)
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
        if name in _REQUIREMENT_FORMS and not can_set_bar:
            raise PermissionDenied
        form = type(forms_by_name[name])(
            request.POST, instance=forms_by_name[name].instance, prefix=name
        )
        forms_by_name[name] = form
        if form.is_valid():
            try:
                services.settings_save(instance=form.save(commit=False), actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
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
