"""Regular-meeting compliance pages: a branch's grid and the organizer's rollup."""

from django.shortcuts import render

from members.dbrouting import reads_from_replica
from members.params import choice_param, page_param, this_year, year_param
from members.permissions import permission_required

from ..models.sessions import REGULAR_KINDS, SessionKind
from ..selectors import regular_meetings as meetings_selectors
from ..selectors import rollup as rollup_selectors
from .pickers import chosen_branch, rollup_org


@permission_required("education.view_hours_tables")
def compliance_branch(request):
    year = year_param(request, default=this_year())
    branch, choices = chosen_branch(request)

    def build():
        grid = meetings_selectors.compliance_from_summary([branch], year)[0] if branch else None
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
    org = rollup_org(request)
    year = year_param(request, default=this_year())
    sort = choice_param(request, "sort", meetings_selectors.SORTS, default="missing")
    return render(
        request,
        "education/compliance_rollup.html",
        {
            "org": org,
            "year": year,
            "sort": sort,
            "totals": rollup_selectors.rollup_totals(org, year),
            # Organizations below (not branches): their figures, one page.
            "below": rollup_selectors.rollup_children(
                org, year, page_number=page_param(request, "opage"), branches=False
            ),
            # Branches directly below: the grid, sorted and paginated by the database.
            "page": meetings_selectors.compliance_page(
                org, year, sort=sort, page_number=page_param(request)
            ),
            "roots": rollup_selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}&sort={sort}",
            "year_query": f"org={org.pk}&sort={sort}",
        },
    )
