"""The rating page and the decision of the organization above."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.page_actions import run_service, run_service_for_form
from members.permissions import (
    has_perm,
    permission_required,
)

from .. import forms
from ..models.cycles import Grade, RatingState, Step
from ..permissions import (
    get_cycle_for_user,
)
from ..selectors import results as result_selectors
from ..services import rating as rating_services

# --- rating ----------------------------------------------------------------------------------


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def rating(request, cycle):
    if not cycle.reached(Step.RATING):
        messages.info(request, _("The rating is made after the ballot closes."))
        return redirect("appraisal:cycle_detail", cycle.pk)
    sheet = result_selectors.rating_sheet(cycle)
    if request.method != "POST":
        return render(
            request,
            "appraisal/rating.html",
            _rating_context(request, cycle, sheet, forms.RatingForm(rows=sheet["rows"])),
        )
    form = forms.RatingForm(request.POST, rows=sheet["rows"])
    if not sheet["editable"]:
        raise PermissionDenied
    if form.is_valid():
        entries = form.entries()
        filled = 0
        if "fill_qualified" in request.POST:
            # "The rest qualified": every member still without a grade is rated qualified.
            for member_id, (grade, reason) in entries.items():
                if not grade:
                    entries[member_id] = (Grade.QUALIFIED, reason)
                    filled += 1

        def save():
            rating_services.ratings_save(cycle=cycle, entries=entries, actor=request.user)
            if "submit" in request.POST:
                rating_services.rating_submit(cycle=cycle, actor=request.user)

        if "submit" in request.POST:
            success = _("The rating is sent for approval.")
        elif "fill_qualified" in request.POST:
            success = _(
                "%(n)s member(s) without a grade are now rated qualified. Check the "
                "sheet, then send it for approval."
            ) % {"n": filled}
        else:
            success = _("Saved.")
        if run_service(request, save, success):
            return redirect("appraisal:rating", cycle.pk)
    return render(request, "appraisal/rating.html", _rating_context(request, cycle, sheet, form))


def _rating_context(request, cycle, sheet, form):
    can_approve = has_perm(request.user, "appraisal.approve_rating", cycle)
    return {
        "cycle": cycle,
        "sheet": sheet,
        "form": form,
        "can_approve": can_approve,
        # Built only when the page shows it (a submitted rating, for the approver).
        "decision_form": forms.DecisionForm()
        if can_approve and cycle.rating_state == RatingState.SUBMITTED
        else None,
    }


@require_POST
@permission_required("appraisal.approve_rating", get_cycle_for_user)
def rating_decide(request, cycle):
    form = forms.DecisionForm(request.POST)
    run_service_for_form(
        request,
        form,
        lambda: rating_services.rating_decide(
            cycle=cycle,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            actor=request.user,
        ),
        _("Decision recorded."),
        invalid=_("Choose approve or return."),
    )
    return redirect("appraisal:rating", cycle.pk)
