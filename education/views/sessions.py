"""Session pages: list, plan, detail, edit, who is expected, cancel or void."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from members.page_actions import run_service, submit
from members.params import choice_param, id_param, page_param, this_year, year_param
from members.permissions import (
    get_organization_for_user,
    has_perm,
    permission_required,
    require_perm,
    scope_for,
)

from ..forms import ExpectedForm, MaterialForm, SessionForm, SessionVoidForm
from ..models.sessions import SESSION_FIELDS, AttendanceStatus, SessionState
from ..permissions import get_session_for_user, sessions_managed_by
from ..selectors import history as history_selectors
from ..selectors import sessions as sessions_selectors
from ..services import checkin as checkin_services
from ..services import sessions as sessions_services
from .attendance import attendance_context


@permission_required("education.add_session")
def session_list(request):
    year = year_param(request, default=this_year())
    state = choice_param(request, "state", SessionState.values)
    org_pk = id_param(request, "org")
    org = get_organization_for_user(request.user, org_pk) if org_pk else None
    qs = sessions_selectors.session_list(
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

    def plan():
        data = dict(form.cleaned_data)
        organization = data.pop("organization")
        branches = data.pop("branches", None) or ()
        require_perm(request.user, "members.manage_organization", organization)
        return sessions_services.session_plan(
            organization=organization, branches=branches, actor=request.user, **data
        )

    planned = submit(request, form, plan, _("The session is planned."))
    if planned:
        return redirect("education:session_detail", planned.value.pk)
    return render(request, "education/session_form.html", {"form": form, "session": None})


@login_required
def session_detail(request, pk):
    session = get_session_for_user(request.user, pk)
    manage = has_perm(request.user, "education.change_session", session)
    scope = scope_for(request.user)
    context = {
        "session": session,
        "manage": manage,
        "materials": sessions_selectors.session_materials(session),
        "material_form": MaterialForm() if manage else None,
        "branches": sessions_selectors.session_branches(session),
    }
    if manage:
        context.update(attendance_context(session))
        context["can_close"] = checkin_services.checkin_can_close(session)
        context["changes"] = history_selectors.session_changes(session)
        context["changes_limit"] = history_selectors.CHANGES_LIMIT
    if scope.member_id:
        own = (
            next((a for a in context["rows"] if a.member_id == scope.member_id), None)
            if manage  # the attendance list is loaded already
            else sessions_selectors.own_attendance(session, scope.member_id)
        )
        context["own"] = own
        context["own_makeup_open"] = (
            own is not None
            and session.is_held
            and own.status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
            and not sessions_selectors.has_open_makeup(scope.member_id, session)
        )
    return render(request, "education/session_detail.html", context)


@permission_required("education.change_session", get_session_for_user)
def session_edit(request, session):
    form = SessionForm(
        request.POST or None, instance=session, user=request.user, with_minutes=session.is_held
    )

    def update():
        data = {k: v for k, v in form.cleaned_data.items() if k in SESSION_FIELDS}
        return sessions_services.session_update(
            session=session,
            actor=request.user,
            branches=form.cleaned_data.get("branches") if "branches" in form.fields else None,
            version=form.cleaned_data.get("version"),
            **data,
        )

    if submit(request, form, update, _("The session is saved.")):
        return redirect("education:session_detail", session.pk)
    return render(request, "education/session_form.html", {"form": form, "session": session})


@permission_required("education.change_session", get_session_for_user)
def session_expected(request, session):
    candidates, current = sessions_selectors.expected_candidates(session)
    form = ExpectedForm(
        request.POST or None, candidates=candidates, initial={"members": sorted(current)}
    )
    if submit(
        request,
        form,
        lambda: sessions_services.session_set_expected(
            session=session, member_ids=form.cleaned_data["members"], actor=request.user
        ),
        _("The list of expected members is saved."),
    ):
        return redirect("education:session_detail", session.pk)
    return render(request, "education/session_expected.html", {"form": form, "session": session})


@permission_required("education.change_session", get_session_for_user)
def session_cancel(request, session):
    """Cancelling asks first: GET (or a POST without confirm=yes) shows what will happen."""
    if session.is_held:
        return _session_void(request, session)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        reminded = sessions_selectors.reminded_count(session)
        return render(
            request,
            "education/session_cancel_confirm.html",
            {"session": session, "reminded": reminded},
        )
    run_service(
        request,
        lambda: sessions_services.session_cancel(session=session, actor=request.user),
        _("The session is cancelled."),
    )
    return redirect("education:session_detail", session.pk)


def _session_void(request, session):
    """A held session is voided with a written reason (never deleted): its attendance stays
    on record and it stops counting for hours and the meeting grid."""
    form = SessionVoidForm(request.POST or None)
    if submit(
        request,
        form,
        lambda: sessions_services.session_void(
            session=session, reason=form.cleaned_data["reason"], actor=request.user
        ),
        _("The session is voided; its attendance stays on record."),
    ):
        return redirect("education:session_detail", session.pk)
    return render(
        request, "education/session_void_confirm.html", {"session": session, "form": form}
    )
