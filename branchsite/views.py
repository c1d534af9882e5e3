"""Pages that compose several apps (home dashboard, a member's record) and operations."""

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appraisal.selectors import sections as appraisal_sections
from education.models.sessions import AttendanceStatus, SessionKind
from education.selectors import overview as education_overview
from members import selectors as member_selectors
from members.dbrouting import reads_from_replica
from members.params import BadParameter, this_year, year_param
from members.permissions import loaded_positions, permission_required, require_member, scope_for
from members.protection import selectors as protection_selectors
from members.row_html import html_format, html_rows, translated_labels, url_per_row

from . import health, record, throttle
from . import todo as todo_items
from .forms import MemberPasswordResetForm


def favicon(request):
    """The site's icon for browsers that ask /favicon.ico directly (pages link the SVG)."""
    return redirect(staticfiles_storage.url("branchsite/favicon.ico"), permanent=True)


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


RING_CIRCUMFERENCE = 326.73  # 2πr of the ring in education/_hours_ring.html (r = 52)

# A member's session lists (this month's on home and /me/, the year's on /me/) are written in
# Python: as a template, a row cost some 200 µs (a date filter, a reverse, a translation,
# several lookups), and the year's two dozen rows were most of /me/'s rendering.
_MONTH_ROW = (
    '<li class="month-item">\n'
    '  <div class="month-date">'
    '<span class="month-day">{day}</span><span class="small">{time}</span></div>\n'
    '  <div class="flex-grow-1 min-w-0"><a href="{url}">{title}</a>\n'
    '    <div class="small text-muted">{detail}</div></div>\n'
    '  <span class="att-badge att-badge-{status}">{status_label}</span>\n'
    "</li>"
)
_YEAR_ROW = (
    '<li class="month-item">\n'
    '  <div class="month-date"><span class="month-day month-day-sm">{date}</span></div>\n'
    '  <div class="flex-grow-1 min-w-0"><a href="{url}">{title}</a>\n'
    '    <div class="small text-muted">{detail}</div>{makeup}</div>\n'
    '  <span class="att-badge att-badge-{status}">{status_label}</span>\n'
    "</li>"
)


def month_session_items(attendances):
    """The rows of 'Your sessions this month': day and time, title, kind and place, status."""
    session_url = url_per_row("education:session_detail")
    kinds, statuses = translated_labels(SessionKind), translated_labels(AttendanceStatus)

    def row(a):
        session = a.session
        starts = timezone.localtime(session.starts_at)
        kind = kinds.get(session.kind, session.kind)
        return {
            "day": starts.day,
            "time": starts.strftime("%H:%M"),
            "url": session_url(session.pk),
            "title": session.title,
            "detail": f"{kind} · {session.place}" if session.place else kind,
            "status": a.status,
            "status_label": statuses.get(a.status, a.status),
        }

    return html_rows(_MONTH_ROW, map(row, attendances), sep="\n")


def year_session_items(attendances):
    """The rows of 'Your sessions in <year>': date, title, kind and the hours credited by a
    held session, a make-up link where one can be recorded, status."""
    hours_label = _("%(h)s h")
    makeup_url = reverse("education:makeup_create")
    makeup_label = _("Record make-up study")
    session_url = url_per_row("education:session_detail")
    kinds, statuses = translated_labels(SessionKind), translated_labels(AttendanceStatus)

    def row(a):
        session = a.session
        kind = kinds.get(session.kind, session.kind)
        return {
            "date": timezone.localtime(session.starts_at).strftime("%m-%d"),
            "url": session_url(session.pk),
            "title": session.title,
            # Hours print as they are stored (one decimal; below a thousand: no separator).
            "detail": f"{kind} · {hours_label % {'h': a.hours}}" if session.is_held else kind,
            "makeup": html_format(
                '\n    <a class="small" href="{url}?session={pk}">{label}</a>',
                url=makeup_url,
                pk=session.pk,
                label=makeup_label,
            )
            if a.can_make_up
            else "",
            "status": a.status,
            "status_label": statuses.get(a.status, a.status),
        }

    return html_rows(_YEAR_ROW, map(row, attendances), sep="\n")


def year_switch_items(years):
    """The year switch's links (the last few years) and its select's options (every year),
    written in Python as the session rows are: some fifty template nodes otherwise."""
    url = reverse("my_record")
    chosen = years["year"]
    links = html_rows(
        '<li><a href="{url}?year={y}" class="year-link"{current}>{y}</a></li>',
        (
            {
                "url": url,
                "y": y,
                "current": mark_safe(' aria-current="page"') if y == chosen else "",
            }
            for y in years["links"]
        ),
    )
    options = html_rows(
        '<option value="{y}"{selected}>{y}</option>',
        ({"y": y, "selected": mark_safe(" selected") if y == chosen else ""} for y in years["all"]),
    )
    return {"links": links, "options": options, "more": len(years["all"]) > len(years["links"])}


def _member_today(user, scope, member, year, *, cycles=None):
    """The member's own block on home and /me/: hours, sessions, to-do. Two queries (hours,
    attendance), and a third for this year's appraisal cycles unless `cycles` (the member's
    open cycles, already read) is given; the to-do only for the current year."""
    education = education_overview.member_overview(member, year)
    hours = education["hours"]
    hours.ring_dash = round(hours.percent * RING_CIRCUMFERENCE / 100, 2)
    this_year = timezone.localdate().year
    todo = None
    if year == this_year:
        if cycles is None:
            cycles = appraisal_sections.open_own_cycles(member.pk, year=year)
        todo = todo_items.member_todo(education=education, cycles=cycles)
    years = todo_items.year_choices(member, year)
    return {
        "education": education,
        "month_items": month_session_items(education["month"]),
        "hours": hours,
        "todo": todo,
        "years": years,
        "year_switch": year_switch_items(years),
        "ring_circumference": RING_CIRCUMFERENCE,
    }


@login_required
def home(request):
    """Home: the member's own to-do, hours and this month's sessions first (what a member on
    a phone came for); a leader's or organizer's overview loads below it (home_work)."""
    scope = scope_for(request.user)
    year = timezone.localdate().year
    # Loaded by scope_for already (with branch and group): no second query for it.
    own = require_member(request.user) if scope.member_id else None
    context = {
        "scope": scope,
        "year": year,
        "own": own,
        "has_work": bool(scope.led_branch_ids or scope.is_organizer or scope.is_admin),
        "protection": protection_selectors.protection_dashboard_section(
            request.user, scope, year=year
        ),
    }
    if own is not None:
        context.update(_member_today(request.user, scope, own, year))
    return render(request, "branchsite/home.html", context)


@permission_required("members.view_work")
def home_work(request):
    """The part of home for those who run something: led branches, organizations below and
    every app's work section (loaded into home by htmx, also a page on its own)."""
    scope = scope_for(request.user)
    year = timezone.localdate().year
    led_branches = member_selectors.branch_summaries(scope.led_branch_ids)
    # The organizations below an organizer: figures that may lag a few seconds (the replica).
    with reads_from_replica():
        organizer_orgs = member_selectors.organizer_overview(
            # The site admin overlooks the whole tree from its roots.
            member_selectors.root_paths() if scope.is_admin else scope.organizer_paths
        )
    context = {
        "scope": scope,
        "year": year,
        "led_branches": led_branches,
        "organizer_orgs": organizer_orgs,
        "sections": record.dashboard_sections(request.user, scope, year=year),
    }
    template = "branchsite/_home_work.html" if request.htmx else "branchsite/home_work.html"
    return render(request, template, context)


@login_required
def my_record(request):
    """The member's own record (/me/), addressed to them: to-do, the year's hours and
    sessions, a year switcher, every app's section, and personal data folded below."""
    member = require_member(request.user)
    year = year_param(request, default=this_year())
    scope = scope_for(request.user)
    sections = record.record_sections(member, year=year)
    appraisal = next(
        (s["context"] for s in sections if s["template"] == record.APPRAISAL_RECORD_TEMPLATE), {}
    )
    today = _member_today(
        request.user, scope, member, year, cycles=appraisal.get("open_cycles", [])
    )
    context = {
        "member": member,
        "year": year,
        "positions": loaded_positions(request.user),
        "transfers": member_selectors.member_transfers(member),
        "sections": sections,
        "year_items": year_session_items(today["education"]["attendances"]),
        **today,
    }
    return render(request, "branchsite/my_record.html", context)


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


def bad_request(request, exception=None):
    """400: a bad query parameter is named in a sentence; anything else gets Django's page."""
    if not isinstance(exception, BadParameter):
        return defaults.bad_request(request, exception)
    return render(request, "400.html", {"message": str(exception)}, status=400)
