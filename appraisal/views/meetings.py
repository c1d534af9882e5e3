"""Pages of life meetings and rectification items."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.models import OrganizationKind
from members.page_actions import run_service_for_form, submit
from members.pagination import BoundedPaginator
from members.params import id_param, page_param
from members.permissions import (
    has_perm,
    permission_required,
    scope_for,
)
from members.void_pages import void_view

from .. import forms
from ..permissions import (
    get_life_meeting_for_user,
    get_rectification_for_user,
)
from ..selectors import meetings as meeting_selectors
from ..services import meetings as meeting_services

# --- life meetings ---------------------------------------------------------------------------


@permission_required("appraisal.view_life_meetings")
def meeting_list(request):
    page = BoundedPaginator(meeting_selectors.life_meetings(request.user), 30).get_page(
        page_param(request)
    )
    context = {
        "page": page,
        "can_add": has_perm(request.user, "appraisal.add_life_meeting"),
        "my_items": meeting_selectors.own_rectifications(scope_for(request.user).member_id),
    }
    return render(request, "appraisal/meeting_list.html", context)


@permission_required("appraisal.add_life_meeting")
def meeting_create(request):
    organizations = meeting_selectors.meeting_organizations(request.user)
    organization = meeting_selectors.organization_chosen(
        organizations, id_param(request, "organization")
    )
    if organization is None:
        return render(
            request,
            "appraisal/meeting_choose_org.html",
            {"organizations": organizations[:500]},
        )
    return _meeting_form(request, None, organization, organizations)


@permission_required("appraisal.manage_life_meeting", get_life_meeting_for_user)
def meeting_edit(request, meeting):
    organizations = meeting_selectors.meeting_organizations(
        request.user, pk=meeting.organization_id
    )
    return _meeting_form(request, meeting, meeting.organization, organizations)


def _meeting_form(request, meeting, organization, organizations):
    people = meeting_selectors.meeting_people(organization)
    initial = {"organization": organization.pk}
    if meeting is None:
        initial["attendees"] = meeting_selectors.member_ids(people)
        initial["kind"] = (
            "organizational_life_meeting"
            if organization.kind == OrganizationKind.BRANCH
            else "democratic_life_meeting"
        )
    form = forms.LifeMeetingForm(
        request.POST or None,
        instance=meeting,
        initial=initial,
        organizations=organizations,
        members=people,
    )
    saved = submit(
        request,
        form,
        lambda: meeting_services.life_meeting_save(
            meeting=meeting, actor=request.user, **form.cleaned_data
        ),
        _("Meeting record saved."),
    )
    if saved:
        return redirect("appraisal:meeting_detail", saved.value.pk)
    context = {"form": form, "meeting": meeting, "organization": organization}
    return render(request, "appraisal/meeting_form.html", context)


@login_required
def meeting_detail(request, pk):
    meeting = get_life_meeting_for_user(request.user, pk)
    manages = has_perm(request.user, "appraisal.manage_life_meeting", meeting)
    detail = meeting_selectors.meeting_detail(meeting)
    form = None
    if manages and not meeting.is_voided:
        form = forms.RectificationForm(
            request.POST or None,
            members=list(meeting_selectors.meeting_people(meeting.organization)),
        )
    if request.method == "POST" and not manages:
        raise PermissionDenied
    if form is not None and submit(
        request,
        form,
        lambda: meeting_services.rectification_add(
            meeting=meeting, actor=request.user, **form.cleaned_data
        ),
        _("Rectification item added."),
    ):
        return redirect("appraisal:meeting_detail", meeting.pk)
    member_id = scope_for(request.user).member_id
    context = {
        "meeting": meeting,
        "manages": manages,
        "form": form,
        "done_form": forms.RectificationDoneForm(),
        "member_id": member_id,
        "can_void": not meeting.is_voided
        and has_perm(request.user, "appraisal.void_life_meeting", meeting),
        **detail,
    }
    return render(request, "appraisal/meeting_detail.html", context)


meeting_void = void_view(
    perm="appraisal.void_life_meeting",
    fetch=get_life_meeting_for_user,
    service=meeting_services.life_meeting_void,
    field="meeting",
    success=gettext_lazy("The meeting record is voided; it stays on record with your reason."),
    back="appraisal:meeting_detail",
)


@require_POST
@permission_required("appraisal.close_rectification", get_rectification_for_user)
def rectification_done(request, item):
    meeting = item.meeting
    form = forms.RectificationDoneForm(request.POST)
    run_service_for_form(
        request,
        form,
        lambda: meeting_services.rectification_complete(
            rectification=item,
            done_on=timezone.localdate(),
            note=form.cleaned_data["note"],
            actor=request.user,
        ),
        _("Marked done."),
        invalid=_("Say what was done."),
    )
    return redirect("appraisal:meeting_detail", meeting.pk)
