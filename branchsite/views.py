"""Pages that compose several apps (home dashboard, a member's record) and operations."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from members import selectors as member_selectors
from members.dbrouting import reads_from_replica
from members.permissions import loaded_positions, require_member, scope_for

from . import health, record


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


@login_required
def home(request):
    """The dashboard that fits the role: own summary, led branches, organizations below."""
    scope = scope_for(request.user)
    year = timezone.localdate().year
    # The organizations below an organizer: figures that may lag a few seconds (the replica).
    with reads_from_replica():
        organizer_orgs = member_selectors.organizer_overview(
            # The site admin overlooks the whole tree from its roots.
            member_selectors.root_paths() if scope.is_admin else scope.organizer_paths
        )

    context = {
        "scope": scope,
        "year": year,
        # Loaded by scope_for already (with branch and group): no second query for it.
        "own": require_member(request.user) if scope.member_id else None,
        "led_branches": member_selectors.branch_summaries(scope.led_branch_ids),
        "organizer_orgs": organizer_orgs,
        "sections": record.dashboard_sections(request.user, scope, year=year),
    }
    return render(request, "branchsite/home.html", context)


@login_required
def my_record(request):
    """The member's own record: details, positions, branch history, and every app's section."""
    member = require_member(request.user)
    year = _year_param(request)

    context = {
        "member": member,
        "year": year,
        "positions": loaded_positions(request.user),
        "transfers": member_selectors.member_transfers(member),
        "sections": record.record_sections(member, year=year),
    }
    return render(request, "branchsite/my_record.html", context)


def _year_param(request):
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if 1921 <= year <= this_year + 1 else this_year


@never_cache
@require_GET
def healthz(request):
    """JSON state of the database, the broker and the workers; 503 when one needed is down."""
    checks = health.run_checks()
    status = 200 if all(c["ok"] for c in checks.values() if c["required"]) else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "error",
            "checks": checks,
            "database_vendor": connection.vendor,
        },
        status=status,
    )
