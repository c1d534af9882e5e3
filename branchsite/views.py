"""Pages that compose several apps (home dashboard, a member's record) and operations."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from members import selectors as member_selectors
from members.params import BadParameter, this_year, year_param
from members.permissions import loaded_positions, require_member, scope_for

from . import health, record


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


@login_required
def home(request):
    """The dashboard that fits the role: own summary, led branches, organizations below."""
    scope = scope_for(request.user)
    year = timezone.localdate().year

    context = {
        "scope": scope,
        "year": year,
        # Loaded by scope_for already (with branch and group): no second query for it.
        "own": require_member(request.user) if scope.member_id else None,
        "led_branches": member_selectors.branch_summaries(scope.led_branch_ids),
        "organizer_orgs": member_selectors.organizer_overview(
            # The site admin overlooks the whole tree from its roots.
            member_selectors.root_paths() if scope.is_admin else scope.organizer_paths
        ),
        "sections": record.dashboard_sections(request.user, scope, year=year),
    }
    return render(request, "branchsite/home.html", context)


@login_required
def my_record(request):
    """The member's own record: details, positions, branch history, and every app's section."""
    member = require_member(request.user)
    year = year_param(request, default=this_year())

    context = {
        "member": member,
        "year": year,
        "positions": loaded_positions(request.user),
        "transfers": member_selectors.member_transfers(member),
        "sections": record.record_sections(member, year=year),
    }
    return render(request, "branchsite/my_record.html", context)


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


def bad_request(request, exception=None):
    """400: a bad query parameter is named in a sentence; anything else gets Django's page."""
    if not isinstance(exception, BadParameter):
        return defaults.bad_request(request, exception)
    return render(request, "400.html", {"message": str(exception)}, status=400)
