"""Protection-case pages (Art. 24): thin — fetch through the visible set, check, call one
service, render. Any case outside the user's reach is a 404; every read is logged."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.concurrency import posted_version
from members.forms import add_service_error
from members.page_actions import run_service, run_service_for_form
from members.permissions import has_perm, permission_required, require_member
from members.services import DomainError

from ..pagination import BoundedPaginator
from ..params import page_param
from ..uploads import private_file_download
from ..void_pages import void_view
from . import selectors, services
from .forms import (
    AssignForm,
    CaseActionForm,
    CaseOpenForm,
    CaseSearchForm,
    ClarificationForm,
    EvidenceAddForm,
    TransitionForm,
)
from .permissions import (
    get_case_action_for_user,
    get_case_assignment_for_user,
    get_case_evidence_for_user,
    get_case_for_user,
    get_clarification_for_user,
    members_user_may_open_for,
)


def _back_to_case(request, case, success=""):
    """The case's page again, with a success message when one is given."""
    if success:
        messages.success(request, success)
    return redirect("members:case_detail", ref=case.ref)


@login_required
def case_list(request):
    """Every case the user may read: their own and those they handle."""
    require_member(request.user)

    def build():
        form = CaseSearchForm(request.GET or None)
        status = q = ""
        if form.is_valid():
            status, q = form.cleaned_data["status"], form.cleaned_data["q"].strip()
        ids = selectors.case_ids(request.user, status=status, q=q)
        page = BoundedPaginator(ids, 30).get_page_of_ids(page_param(request))
        page.object_list = selectors.case_rows(page.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        return {"page": page, "form": form, "query": query.urlencode()}

    return render(request, "members/protection/case_list.html", build())


@login_required
def case_open(request):
    me = require_member(request.user)
    behalf = members_user_may_open_for(request.user)
    behalf_qs = behalf if behalf.exists() else None
    form = CaseOpenForm(request.POST or None, request.FILES or None, behalf_queryset=behalf_qs)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        member = data.pop("on_behalf_of", None) or me
        files = data.pop("files", [])
        try:
            case = services.case_open(actor=request.user, member=member, files=files, **data)
        except DomainError as error:
            add_service_error(form, error)
        else:
            if member.pk == me.pk:
                messages.success(request, _("Your case has been opened."))
                return redirect("members:case_detail", ref=case.ref)
            messages.success(
                request,
                _(
                    "The case has been opened for %(name)s. It is confidential: you cannot "
                    "read it from now on unless you are assigned to handle it."
                )
                % {"name": member.full_name},
            )
            return redirect("members:case_list")
    context = {"form": form, "no_handler": not services.supervisor_ids_above(me.branch.path)}
    return render(request, "members/protection/case_open.html", context)


@login_required
def case_detail(request, ref):
    case = selectors.case_detail(request.user, ref)
    services.case_view_record(viewer=request.user, case=case)
    user = request.user
    may_handle = has_perm(user, "members.handle_case", case)
    may_assign = has_perm(user, "members.assign_case", case)
    context = {
        "case": case,
        "is_member": has_perm(user, "members.consent_clarification", case),
        "may_handle": may_handle,
        "may_assign": may_assign,
        "may_add_evidence": has_perm(user, "members.add_case_evidence", case)
        and case.status not in ("closed", "voided"),
        "may_void": not case.is_voided and has_perm(user, "members.void_case", case),
        "transitions": services.allowed_transitions(case.status) if may_handle else [],
        "may_record_action": may_handle and case.status in ("accepted", "in_progress"),
        "may_record_clarification": may_handle and case.status not in ("reported", "declined"),
        "views": selectors.case_views(case)
        if has_perm(user, "members.view_case_log", case)
        else None,
        "evidence_form": EvidenceAddForm(),
    }
    if may_handle:
        context["action_form"] = CaseActionForm()
        context["clarification_form"] = ClarificationForm(
            organizations=selectors.approving_organization_choices(case)
        )
    if may_assign:
        form = AssignForm(candidates=selectors.handler_candidates(case))
        field = form.fields["handler"]
        # Listed once (a form field's choices would count the rows first: one query more).
        context["assign_form"] = form
        context["handler_choices"] = [("", field.empty_label)] + [
            (m.pk, field.label_from_instance(m)) for m in field.queryset
        ]
    return render(request, "members/protection/case_detail.html", context)


@login_required
def case_evidence(request, ref):
    """Download one evidence file: permission first, then the log, then the file."""
    evidence = get_case_evidence_for_user(request.user, ref)
    services.case_view_record(viewer=request.user, case=evidence.case, evidence=evidence)
    return private_file_download(evidence)


@require_POST
@permission_required("members.add_case_evidence", get_case_for_user, lookup="ref")
def case_evidence_add(request, case):
    form = EvidenceAddForm(request.POST, request.FILES)

    def add():
        for uploaded in form.cleaned_data["files"]:
            services.case_evidence_add(
                actor=request.user, case=case, uploaded=uploaded, note=form.cleaned_data["note"]
            )

    run_service_for_form(request, form, add, _("The evidence has been added."))
    return _back_to_case(request, case)


@require_POST
@permission_required("members.handle_case", get_case_for_user, lookup="ref")
def case_transition(request, case):
    form = TransitionForm(request.POST)
    run_service_for_form(
        request,
        form,
        lambda: services.case_transition(
            actor=request.user,
            case=case,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
            version=posted_version(request),
        ),
        _("The case has been updated."),
        invalid=_("Choose what to do."),
    )
    return _back_to_case(request, case)


case_void = void_view(
    perm="members.void_case",
    fetch=get_case_for_user,
    service=services.case_void,
    field="case",
    success=gettext_lazy("The case is voided; it stays on record with your reason."),
    back="members:case_detail",
    lookup="ref",
)


@require_POST
@permission_required("members.handle_case", get_case_for_user, lookup="ref")
def case_action_add(request, case):
    form = CaseActionForm(request.POST)
    run_service_for_form(
        request,
        form,
        lambda: services.case_action_record(actor=request.user, case=case, **form.cleaned_data),
        _("The action has been added to the timeline."),
    )
    return _back_to_case(request, case)


@require_POST
@permission_required("members.complete_follow_up", get_case_action_for_user)
def case_follow_up_done(request, action):
    run_service(
        request,
        lambda: services.case_follow_up_done(actor=request.user, action=action),
        _("The follow-up is marked done."),
    )
    return _back_to_case(request, action.case)


@require_POST
@permission_required("members.assign_case", get_case_for_user, lookup="ref")
def case_assign(request, case):
    form = AssignForm(request.POST, candidates=selectors.handler_candidates(case))
    run_service_for_form(
        request,
        form,
        lambda: services.case_assign(
            actor=request.user, case=case, handler=form.cleaned_data["handler"]
        ),
        _("The handler has been assigned."),
        invalid=_("Choose a handler from the list."),
    )
    return _back_to_case(request, case)


@require_POST
@permission_required("members.unassign_case", get_case_assignment_for_user)
def case_unassign(request, assignment):
    run_service(
        request,
        lambda: services.case_unassign(actor=request.user, assignment=assignment),
        _("The handler no longer handles this case."),
    )
    return _back_to_case(request, assignment.case)


@require_POST
@permission_required("members.handle_case", get_case_for_user, lookup="ref")
def case_clarification_add(request, case):
    form = ClarificationForm(
        request.POST, organizations=selectors.approving_organization_choices(case)
    )
    run_service_for_form(
        request,
        form,
        lambda: services.clarification_record(actor=request.user, case=case, **form.cleaned_data),
        _("The clarification has been recorded."),
    )
    return _back_to_case(request, case)


@require_POST
@permission_required("members.consent_to_clarification", get_clarification_for_user)
def case_clarification_consent(request, clarification):
    consents = request.POST.get("consents") == "1"
    services.clarification_consent_set(
        actor=request.user, clarification=clarification, consents=consents
    )
    if consents:
        message = _("The clarification now shows on your record.")
    else:
        message = _("The clarification no longer shows on your record.")
    return _back_to_case(request, clarification.case, message)
