"""The preparation page, the printable packet and the results export."""

from django.shortcuts import render
from django.utils import timezone

from members.permissions import (
    permission_required,
)
from members.xlsx import xlsx_response

from ..permissions import (
    get_cycle_for_user,
)
from ..selectors import ballot as ballot_selectors
from ..selectors import cycles as cycle_selectors
from ..selectors import papers as paper_selectors
from ..services import publicity as publicity_services

# --- preparation, packet, export -------------------------------------------------------------


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def prepare(request, cycle):
    n, eligible = ballot_selectors.turnout(cycle)
    context = {
        "cycle": cycle,
        "prep": paper_selectors.preparation(cycle),
        "turnout": n,
        "eligible": eligible,
    }
    return render(request, "appraisal/prepare.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def packet(request, cycle):
    """The printable packet (A4): agenda, sign-in sheet, blank ballots, self-assessments."""
    publicity_services.export_logged(
        actor=request.user,
        cycle=cycle,
        what="packet",
        rows=len(cycle_selectors.participants(cycle)),
    )
    context = {"cycle": cycle, "today": timezone.localdate(), **paper_selectors.packet(cycle)}
    return render(request, "appraisal/packet.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def export_results(request, cycle):
    sheets, n_tallied = paper_selectors.results_sheets(cycle)
    response = xlsx_response(f"appraisal-{cycle.year}-{cycle.branch_id}.xlsx", sheets)
    n_rows = n_tallied + sheets[1].counted + sheets[2].counted
    publicity_services.export_logged(actor=request.user, cycle=cycle, what="results", rows=n_rows)
    return response
