"""Publicity, objections and records."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.page_actions import run_service_for_form, submit
from members.permissions import (
    has_perm,
    permission_required,
    require_member,
    scope_for,
)

from .. import forms
from ..models.cycles import Step
from ..permissions import (
    get_cycle_for_user,
    get_objection_for_user,
    get_record_for_user,
)
from ..permissions import (
    takes_part as participates,
)
from ..selectors import results as result_selectors
from ..services import publicity as publicity_services

# --- publicity and records -------------------------------------------------------------------


@permission_required("appraisal.view_publicity", get_cycle_for_user)
def publicity(request, cycle):
    manages = has_perm(request.user, "appraisal.manage_cycle", cycle)
    takes_part = participates(request.user, cycle)
    results = result_selectors.approved_results(cycle) if cycle.reached(Step.PUBLICITY) else []
    form = None
    if takes_part and cycle.step == Step.PUBLICITY and cycle.is_running:
        member = require_member(request.user)
        form = forms.ObjectionForm(request.POST or None, members=[r.member for r in results])
        if submit(
            request,
            form,
            lambda: publicity_services.objection_file(
                cycle=cycle, member=member, **form.cleaned_data
            ),
            _("Your objection is filed; the committee will answer."),
        ):
            return redirect("appraisal:publicity", cycle.pk)
    elif request.method == "POST":
        raise PermissionDenied
    member_id = scope_for(request.user).member_id
    context = {
        "cycle": cycle,
        "results": results,
        "manages": manages,
        "takes_part": takes_part,
        "active_step": Step.CLOSED.value if cycle.is_closed else Step.PUBLICITY.value,
        "form": form,
        "objections": result_selectors.objections(cycle)
        if manages
        else result_selectors.objections(cycle, member_id=member_id or 0),
        "answer_form": forms.AnswerForm(),
        "records": result_selectors.cycle_records(cycle) if manages and cycle.is_closed else [],
    }
    return render(request, "appraisal/publicity.html", context)


@require_POST
@permission_required("appraisal.answer_objection", get_objection_for_user)
def objection_answer(request, objection):
    form = forms.AnswerForm(request.POST)
    run_service_for_form(
        request,
        form,
        lambda: publicity_services.objection_answer(
            objection=objection, answer=form.cleaned_data["answer"], actor=request.user
        ),
        _("Answer saved."),
    )
    return redirect("appraisal:publicity", objection.cycle_id)


@permission_required("appraisal.view_record", get_record_for_user)
def record_detail(request, record):
    can_amend = not record.cycle.is_voided and has_perm(
        request.user, "appraisal.amend_record", record
    )
    form = forms.AmendForm(request.POST or None) if can_amend else None
    if request.method == "POST" and not can_amend:
        raise PermissionDenied
    if form is not None and submit(
        request,
        form,
        lambda: publicity_services.record_amend(
            record=record, actor=request.user, **form.cleaned_data
        ),
        _("The correction is recorded beside the original."),
    ):
        return redirect("appraisal:record_detail", record.pk)
    context = {
        "record": record,
        "amendments": result_selectors.record_with_amendments(record),
        "form": form,
    }
    return render(request, "appraisal/record_detail.html", context)
