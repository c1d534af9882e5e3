"""Study hours pages and exports: a branch's table, a member's hours, the organizer's rollup."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from members.dbrouting import reads_from_replica
from members.params import page_param, this_year, year_param
from members.permissions import get_member_for_user, permission_required, scope_for
from members.services import audit_log
from members.xlsx import Sheet, xlsx_response

from .. import exports
from ..selectors import hours as hours_selectors
from ..selectors import org_settings as org_settings_selectors
from ..selectors import rollup as rollup_selectors
from .pickers import chosen_branch, rollup_org


@permission_required("education.view_hours_tables")
def hours_branch(request):
    year = year_param(request, default=this_year())
    branch, choices = chosen_branch(request)

    def build():
        requirement = org_settings_selectors.hours_requirement(branch, year) if branch else None
        members = hours_selectors.branch_hours_table(branch, year, requirement) if branch else []
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
    branch, _choices = chosen_branch(request)
    if branch is None:
        raise Http404
    audit_log(actor=request.user, action="education.hours.export_branch", obj=branch, year=year)
    header, rows = exports.branch_hours_rows(hours_selectors.branch_hours_table(branch, year))
    return xlsx_response(
        f"hours-{branch.pk}-{year}.xlsx", [Sheet(f"{branch.name} {year}", header, rows)]
    )


@login_required
def hours_member(request, pk):
    member = get_member_for_user(request.user, pk)
    year = year_param(request, default=this_year())
    context = hours_selectors.member_hours(member, year)
    context["member"] = member
    context["year_query"] = ""
    return render(request, "education/hours_member.html", context)


@login_required
def hours_member_export(request, pk):
    member = get_member_for_user(request.user, pk)
    year = year_param(request, default=this_year())
    if scope_for(request.user).member_id != member.pk:
        audit_log(actor=request.user, action="education.hours.export_member", obj=member, year=year)
    header, rows = exports.member_hours_rows(hours_selectors.member_hours(member, year))
    return xlsx_response(f"hours-member-{member.pk}-{year}.xlsx", [Sheet(str(year), header, rows)])


@reads_from_replica
@permission_required("education.view_rollup")
def hours_rollup(request):
    org = rollup_org(request)
    year = year_param(request, default=this_year())
    return render(
        request,
        "education/hours_rollup.html",
        {
            "org": org,
            "year": year,
            "totals": rollup_selectors.rollup_totals(org, year),
            "page": rollup_selectors.rollup_children(org, year, page_number=page_param(request)),
            "roots": rollup_selectors.rollup_roots(request.user),
            "query": f"org={org.pk}&year={year}",
            "year_query": f"org={org.pk}",
        },
    )


@reads_from_replica
@permission_required("education.view_rollup")
def hours_rollup_export(request):
    org = rollup_org(request)
    year = year_param(request, default=this_year())
    audit_log(actor=request.user, action="education.hours.export_rollup", obj=org, year=year)

    header, rows = exports.rollup_rows(rollup_selectors.hours_rollup_below(org, year))
    return xlsx_response(
        f"hours-rollup-{org.pk}-{year}.xlsx", [Sheet(f"{org.name} {year}", header, rows)]
    )
