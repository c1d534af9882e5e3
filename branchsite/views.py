"""Pages that compose several apps (home dashboard, a member's record) and operations."""

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from members import selectors as member_selectors
from members.permissions import loaded_positions, require_member, scope_for

from . import health, pagecache, record, throttle
from .forms import MemberPasswordResetForm


def too_many_attempts(request, seconds):
    """429 with a page that says why and when to try again."""
    response = render(request, "registration/throttled.html", {"minutes": -(-seconds // 60)})
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


def login_throttled(view):
    """Refuse a login attempt (429) once its address or account failed too often lately."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and throttle.login_blocked(request):
            return too_many_attempts(request, throttle.limit("login_ip").seconds)
        return view(request, *args, **kwargs)

    return wrapper


@method_decorator(login_throttled, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Password reset by the member's e-mail, limited per address and per e-mail address so
    nobody can flood a member's mailbox (branchsite/throttle.py)."""

    form_class = MemberPasswordResetForm

    def post(self, request, *args, **kwargs):
        per_ip = throttle.limit("reset_ip")
        if throttle.hit(per_ip, throttle.client_ip(request)) > per_ip.count:
            return too_many_attempts(request, per_ip.seconds)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        per_address = throttle.limit("reset_account")
        if throttle.hit(per_address, form.cleaned_data["email"].casefold()) > per_address.count:
            # The same answer as when a mail was sent: the caller learns nothing about the
            # address, and the mailbox receives nothing more.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@login_required
def home(request):
    """The dashboard that fits the role: own summary, led branches, organizations below."""
    scope = scope_for(request.user)
    year = timezone.localdate().year

    def build():
        sections = record.dashboard_sections(request.user, scope, year=year)
        return {
            "scope": scope,
            "year": year,
            # Loaded by scope_for already (with branch and group): no second query for it.
            "own": require_member(request.user) if scope.member_id else None,
            "led_branches": member_selectors.branch_summaries(scope.led_branch_ids),
            "organizer_orgs": member_selectors.organizer_overview(
                # The site admin overlooks the whole tree from its roots.
                member_selectors.root_paths() if scope.is_admin else scope.organizer_paths
            ),
            "sections": sections,
            pagecache.CACHE_VALID_UNTIL: record.valid_until(sections),
        }

    # Organizers see the whole tree below them; others their own branch and those they lead.
    paths = None
    if not (scope.is_organizer or scope.is_admin):
        paths = [p for p in (scope.branch_path, *scope.led_branch_paths) if p]
    return pagecache.render_cached(
        request, "branchsite/home.html", build, areas=pagecache.AREAS, branch_paths=paths
    )


@login_required
def my_record(request):
    """The member's own record: details, positions, branch history, and every app's section."""
    member = require_member(request.user)
    year = _year_param(request)

    def build():
        sections = record.record_sections(member, year=year)
        return {
            "member": member,
            "year": year,
            "positions": loaded_positions(request.user),
            "transfers": member_selectors.member_transfers(member),
            "sections": sections,
            pagecache.CACHE_VALID_UNTIL: record.valid_until(sections),
        }

    # Every record that concerns a member marks their (current) branch's pages out of date.
    return pagecache.render_cached(
        request,
        "branchsite/my_record.html",
        build,
        areas=pagecache.AREAS,
        branch_paths=[member.branch.path],
    )


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
    """200 when every needed service (database; broker and workers with REDIS_URL) is up, else
    503. Anonymous callers (load balancers, monitors) get the status only; the checks (which
    service failed, the database vendor) only staff or a caller presenting the monitoring
    token (`Authorization: Bearer <BRANCHSITE_HEALTHZ_TOKEN>`)."""
    checks = health.run_checks()
    status = 200 if all(c["ok"] for c in checks.values() if c["required"]) else 503
    body = {"status": "ok" if status == 200 else "error"}
    if health.may_see_details(request):
        body |= {"checks": checks, "database_vendor": connection.vendor}
    return JsonResponse(body, status=status)
