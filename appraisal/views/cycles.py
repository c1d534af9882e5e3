"""Pages of cycles: the list, opening, the overview, editing and moving to the next step."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.page_actions import run_service, submit
from members.pagination import BoundedPaginator
from members.params import page_param, year_param
from members.permissions import (
    has_perm,
    permission_required,
    scope_for,
)
from members.void_pages import void_view

from .. import forms
from ..models.cycles import Step
from ..models.participation import AssessmentStatus
from ..permissions import (
    get_cycle_for_user,
)
from ..selectors import cycles as cycle_selectors
from ..selectors import papers as paper_selectors
from ..services import cycles as cycle_services
from ..services import moves as move_services

# --- cycles ----------------------------------------------------------------------------------


CYCLE_LIST_PER_PAGE = 50


@permission_required("appraisal.view_cycles")
def cycle_list(request):
    """Cycles the user runs or follows (with progress; an organizer's one page for all
    branches), and the user's own."""
    year = year_param(request)
    scope = scope_for(request.user)
    ids = cycle_selectors.managed_cycle_ids(request.user, year=year)
    page = BoundedPaginator(ids, CYCLE_LIST_PER_PAGE).get_page(page_param(request))
    page.object_list = cycle_selectors.cycles_with_progress(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "year": year,
        "years": cycle_selectors.cycle_years(request.user),
        "managed": page.object_list,
        "page": page,
        "query": query.urlencode(),
        "own": list(cycle_selectors.own_cycles(scope.member_id, year=year)),
        "can_open": has_perm(request.user, "appraisal.open_cycle"),
        "waiting": list(cycle_selectors.rating_waiting(request.user)[:100]),
    }
    return render(request, "appraisal/cycle_list.html", context)


@permission_required("appraisal.open_cycle")
def cycle_open(request):
    form = forms.CycleOpenForm(request.POST or None, user=request.user)
    outcome = submit(
        request,
        form,
        lambda: cycle_services.cycles_open_many(actor=request.user, **form.cleaned_data),
    )
    if outcome:
        opened, skipped = outcome.value
        year = form.cleaned_data["year"]
        if opened:
            messages.success(
                request,
                _("Opened %(n)s appraisal cycle(s) for %(year)s.")
                % {"n": len(opened), "year": year},
            )
        for branch in skipped:
            messages.warning(
                request,
                _("%(branch)s already has a cycle for %(year)s.")
                % {"branch": branch, "year": year},
            )
        if len(opened) == 1:
            return redirect("appraisal:cycle_detail", opened[0].pk)
        return redirect(f"{reverse('appraisal:cycle_list')}?year={year}")
    return render(request, "appraisal/cycle_open.html", {"form": form})


@permission_required("appraisal.view_cycle", get_cycle_for_user)
def cycle_detail(request, cycle):
    """The overview: where the cycle stands, what is open in this step, and the next step."""
    manages = has_perm(request.user, "appraisal.manage_cycle", cycle)
    own = cycle_selectors.own_part(cycle, scope_for(request.user).member_id)
    context = {
        "cycle": cycle,
        "manages": manages,
        "takes_part": own is not None,
        "own": own,
        "own_status": AssessmentStatus(own["assessment_status"]).label
        if own and own["assessment_status"]
        else None,
        "next_step": cycle.next_step(),
    }
    context["next_step_label"] = Step(context["next_step"]).label if context["next_step"] else ""
    if manages:
        context["progress"] = cycle_selectors.cycle_progress(cycle)
        context["moves"] = cycle_selectors.cycle_moves(cycle)
        context["can_approve"] = has_perm(request.user, "appraisal.approve_rating", cycle)
    context["can_void"] = not cycle.is_voided and has_perm(
        request.user, "appraisal.void_cycle", cycle
    )
    return render(request, "appraisal/cycle_detail.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def cycle_edit(request, cycle):
    form = forms.CycleEditForm(request.POST or None, instance=cycle)

    def update():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        version = form.cleaned_data.get("version")
        return cycle_services.cycle_update(
            cycle=cycle, actor=request.user, version=version, **fields
        )

    if submit(request, form, update, _("Saved.")):
        return redirect("appraisal:cycle_detail", cycle.pk)
    return render(request, "appraisal/cycle_edit.html", {"cycle": cycle, "form": form})


@permission_required("appraisal.move_cycle", get_cycle_for_user)
def cycle_move(request, cycle):
    """GET: what is still open in this step, and the form to go ahead; POST: the move."""
    next_step = cycle.next_step()
    form = forms.MoveForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        outcome = run_service(
            request,
            lambda: move_services.cycle_move(
                cycle=cycle,
                to_step=request.POST.get("to_step", ""),
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            ),
            lambda move: _("The cycle moved to “%(step)s”.") % {"step": Step(move.to_step).label},
        )
        if not outcome:
            return redirect("appraisal:cycle_move", cycle.pk)
        if outcome.value.from_step == Step.BALLOT:
            return redirect("appraisal:tally", cycle.pk)
        return redirect("appraisal:cycle_detail", cycle.pk)
    hard, soft = move_services.move_blockers(cycle) if next_step else ([], [])
    context = {
        "cycle": cycle,
        "manages": True,
        "next_step": next_step,
        "next_label": Step(next_step).label if next_step else "",
        "hard": hard,
        "soft": soft,
        "form": form,
        "open_items": paper_selectors.open_items(cycle),
    }
    return render(request, "appraisal/cycle_move_confirm.html", context)


cycle_void = void_view(
    perm="appraisal.void_cycle",
    fetch=get_cycle_for_user,
    service=cycle_services.cycle_void,
    field="cycle",
    success=gettext_lazy("The appraisal cycle is voided; it stays on record with your reason."),
    back="appraisal:cycle_detail",
)
