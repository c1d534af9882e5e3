"""members/ pages: thin — check, read or call one service, render.

Who may open what (members.permissions decides; tests/members/test_permissions_matrix.py
pins it): the roster, import and export need a leadership or organizer role (403 without);
a member's page is found through the user's scope (404 outside it, never disclosing that
the member exists); the organization tree is for organizers and site admins.
"""

import copy
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import page_sections, roster_io, roster_selectors, selectors, services
from .channels.selectors import deliveries_by_notification
from .concurrency import ConcurrentChange
from .dbrouting import reads_from_replica
from .filters import RosterFilter
from .forms import (
    MemberAddForm,
    MemberForm,
    MemberTransferForm,
    RosterImportForm,
    add_service_error,
)
from .params import choice_param, id_param, page_param
from .permissions import (
    get_member_for_user,
    get_notification_for_user,
    get_organization_for_user,
    permission_required,
    require_member,
    scope_for,
)
from .protection.selectors import consented_clarifications
from .xlsx import xlsx_response

IMPORT_SESSION_KEY = "members.roster_import"
# The preview lists at most this many rows (those with errors first): a 10 000-row table
# would take longer to render and to scroll than it helps.
PREVIEW_MAX_ROWS = 200


@login_required
def inbox(request):
    member = require_member(request.user)
    page = Paginator(selectors.member_notifications(member), 30).get_page(page_param(request))
    # Where each notice went beyond the inbox and e-mail (SMS): one query for the page.
    sent = deliveries_by_notification([n.pk for n in page])
    for n in page:
        n.channel_deliveries = sent.get(n.pk, [])
    return render(request, "members/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_read(request):
    member = require_member(request.user)
    # A malformed id is a 400, never "mark all".
    notification_id = id_param(request, "notification")
    services.notification_mark_read(member=member, notification_id=notification_id)
    return redirect("members:inbox")


@login_required
def inbox_open(request, pk):
    """Follow a notification's link and mark it read (only one's own; 404 otherwise)."""
    notification = get_notification_for_user(request.user, pk)
    services.notification_mark_read(
        member=require_member(request.user), notification_id=notification.pk
    )
    url = notification.url
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("members:inbox")
    return redirect(url)


def _query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- roster ------------------------------------------------------------------------------


@permission_required("members.view_roster")
@require_GET
def roster(request):
    def build():
        roster_filter = RosterFilter(
            request.GET, queryset=selectors.roster(request.user), user=request.user
        )
        rows = roster_filter.result.only(*selectors.ROSTER_ROW_COLUMNS)
        page = Paginator(rows, 50).get_page(page_param(request))
        query = _query_without_page(request)
        return {
            "filter": roster_filter,
            "page": page,
            "query": query,
            "is_filtered": bool(query),
        }

    return render(request, "members/roster.html", build())


@permission_required("members.view_roster")
@require_GET
def roster_export(request):
    """The filtered roster as a file; every export is written to the audit log."""
    fmt = choice_param(request, "format", ("xlsx", "csv"), default="xlsx")
    roster_filter = RosterFilter(
        request.GET,
        queryset=selectors.roster(request.user),
        user=request.user,
        offer_choices=False,  # no form shown: the selects' options are not read
    )
    members = list(roster_filter.result)
    scope_object = roster_filter.scope_object
    title = scope_object.name if scope_object is not None else _("Roster")
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"{title}-{stamp}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(roster_io.export_csv(members), content_type="text/csv")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = "no-store"
    else:
        response = xlsx_response(filename, [roster_io.export_sheet(members, title=title)])
    services.audit_log(
        actor=request.user,
        action="members.roster.export",
        obj=scope_object,
        rows=len(members),
        format=fmt,
        query=_query_without_page(request),
    )
    return response


# --- one member --------------------------------------------------------------------------


@login_required
def member_detail(request, pk):
    member = get_member_for_user(request.user, pk)
    context = {
        "member": member,
        "positions": selectors.member_positions(member),
        "transfers": selectors.member_transfers(member),
        "history": roster_selectors.member_history(member),
        "can_write": scope_for(request.user).manages_member(member),
        "clarification_section": _clarification_section(member),
        "sections": page_sections.sections_for(member),
    }
    return render(request, "members/member_detail.html", context)


def _clarification_section(member):
    """Clarifications the member agreed to show; nothing else of any protection case."""
    clarifications = consented_clarifications(member)
    return {"clarifications": clarifications} if clarifications else None


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    detail_url = reverse("members:member_detail", args=[member.pk])
    # The form edits a copy: a rejected edit must not show up in the page's heading.
    form = MemberForm(request.POST or None, instance=copy.copy(member), cancel_url=detail_url)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, _("Nothing was changed."))
            return redirect(detail_url)
        try:
            services.member_update(member=member, actor=request.user, **form.cleaned_data)
        except ConcurrentChange as exc:
            form.show_conflict(exc)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("The details of %(name)s were saved.") % {"name": member.full_name}
            )
            return redirect(detail_url)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@permission_required("members.add_member")
@require_http_methods(["GET", "POST"])
def member_add(request):
    initial = {}
    branch_pk = id_param(request, "branch")
    if branch_pk is not None:
        initial["branch"] = branch_pk
    form = MemberAddForm(
        request.POST or None,
        user=request.user,
        initial=initial,
        cancel_url=reverse("members:roster"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was added to %(branch)s.")
                % {"name": member.full_name, "branch": member.branch.name},
            )
            return redirect("members:member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": None})


@login_required
@require_http_methods(["GET", "POST"])
def member_transfer(request, pk):
    """组织关系转接: to any active branch, or out of the system."""
    member = get_member_for_user(request.user, pk, write=True)
    detail_url = reverse("members:member_detail", args=[member.pk])
    form = MemberTransferForm(request.POST or None, member=member, cancel_url=detail_url)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["to_organization"]
        try:
            services.member_transfer(
                member=member,
                to_organization=target,
                transferred_on=form.cleaned_data["transferred_on"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if target is None:
                text = _("%(name)s was transferred out of the system.") % {"name": member.full_name}
            else:
                text = _("%(name)s was transferred to %(branch)s.") % {
                    "name": member.full_name,
                    "branch": target.name,
                }
            messages.success(request, text)
            # A member moved beyond the user's reach is no longer theirs to see.
            if roster_selectors.can_read_member(request.user, member.pk):
                return redirect(detail_url)
            return redirect("members:roster")
    return render(request, "members/member_transfer.html", {"form": form, "member": member})


# --- organization tree ---------------------------------------------------------------------


@reads_from_replica
@permission_required("members.view_tree")
@require_GET
def tree(request):
    return render(
        request, "members/tree.html", {"roots": roster_selectors.tree_roots(request.user)}
    )


@reads_from_replica
@permission_required("members.view_tree")
@require_GET
def tree_children(request, pk):
    """One organization's children: a partial for htmx, a page of its own otherwise."""
    organization = get_organization_for_user(request.user, pk)
    page = roster_selectors.tree_children(organization, page_number=page_param(request))
    context = {"organization": organization, "children": page, "page": page}
    if request.htmx:
        return render(request, "members/_tree_children.html", context)
    context["ancestors"] = roster_selectors.tree_ancestors_in_scope(request.user, organization)
    context["figures"] = selectors.member_figures(organization)
    return render(request, "members/tree_node.html", context)


# --- import ------------------------------------------------------------------------------


@permission_required("members.add_member")
@require_GET
def roster_import_template(request):
    return xlsx_response(_("roster-import-template") + ".xlsx", roster_io.import_template_sheets())


@permission_required("members.add_member")
@require_http_methods(["GET", "POST"])
def roster_import(request):
    """Upload -> preview with every row's errors -> confirm; all rows or none are saved.

    Between preview and confirm the parsed rows wait in the session under a one-time
    token (never in MEDIA); the confirm step checks them all again before writing.
    """
    if request.method == "POST" and "token" in request.POST:
        return _roster_import_confirm(request)
    initial = {}
    branch_pk = id_param(request, "branch")
    if branch_pk is not None:
        initial["branch"] = branch_pk
    form = RosterImportForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        branch = form.cleaned_data["branch"]
        upload = form.cleaned_data["file"]
        try:
            headers, rows, ignored = roster_io.read_table(upload.name, upload.read())
        except roster_io.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            results = roster_io.validate_rows(branch=branch, headers=headers, rows=rows)
            token = ""
            request.session.pop(IMPORT_SESSION_KEY, None)
            if all(r.ok for r in results):
                token = secrets.token_urlsafe(16)
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token,
                    "branch": branch.pk,
                    "filename": upload.name,
                    "headers": headers,
                    "rows": rows,
                }
            return _render_preview(
                request, branch, upload.name, headers, results, ignored, token, form=form
            )
    return render(request, "members/roster_import.html", {"form": form})


def _render_preview(request, branch, filename, headers, results, ignored, token, form=None):
    errors = [(r.number, label, msg) for r in results for label, msg in r.errors]
    columns = roster_io.preview_columns(headers)
    shown = results
    if len(results) > PREVIEW_MAX_ROWS:
        bad = [r for r in results if not r.ok][:PREVIEW_MAX_ROWS]
        good = [r for r in results if r.ok][: PREVIEW_MAX_ROWS - len(bad)]
        shown = sorted(bad + good, key=lambda r: r.number)
    for row in shown:
        row.cells = [row.values.get(key, "") for key, _label in columns]
    context = {
        "branch": branch,
        "filename": filename,
        "columns": columns,
        "results": results,
        "shown": shown,
        "errors": errors,
        "errors_shown": errors[:PREVIEW_MAX_ROWS],
        "errors_hidden": max(0, len(errors) - PREVIEW_MAX_ROWS),
        "n_bad_rows": sum(1 for r in results if not r.ok),
        "ignored": ignored,
        "token": token,
        "form": form or RosterImportForm(user=request.user, initial={"branch": branch.pk}),
    }
    return render(request, "members/roster_import_preview.html", context)


def _roster_import_confirm(request):
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or not secrets.compare_digest(pending["token"], request.POST["token"]):
        messages.error(
            request, _("This import is no longer pending. Upload the file again, please.")
        )
        return redirect("members:roster_import")
    branch = selectors.branch_choices(request.user).filter(pk=pending["branch"]).first()
    if branch is None:
        request.session.pop(IMPORT_SESSION_KEY, None)
        raise PermissionDenied
    rows = [(number, values) for number, values in pending["rows"]]
    results = roster_io.validate_rows(branch=branch, headers=pending["headers"], rows=rows)
    if all(r.ok for r in results):
        try:
            n = roster_io.import_members(branch=branch, rows=results, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.success(
                request,
                ngettext(
                    "%(n)d member was imported into %(branch)s.",
                    "%(n)d members were imported into %(branch)s.",
                    n,
                )
                % {"n": n, "branch": branch.name},
            )
            return redirect(reverse("members:roster") + f"?branch={branch.pk}")
    # Something changed since the preview (e.g. a member added meanwhile): nothing is saved.
    request.session.pop(IMPORT_SESSION_KEY, None)
    messages.error(request, _("Nothing was imported: the file no longer passes the checks."))
    return _render_preview(
        request, branch, pending["filename"], pending["headers"], results, [], ""
    )
