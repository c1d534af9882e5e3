"""Commendation pages (Art. 23): thin — check, read or call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from members.concurrency import posted_version
from members.dbrouting import reads_from_replica
from members.forms import add_service_error
from members.page_actions import run_service, run_service_for_form
from members.pagination import BoundedPaginator
from members.params import page_param, this_year, year_param
from members.permissions import (
    get_organization_for_user,
    has_perm,
    permission_required,
)
from members.services import DomainError, audit_log
from members.uploads import private_file_download
from members.void_pages import void_view
from members.xlsx import Sheet, xlsx_response

from . import selectors, services
from .filters import CommendationFilter
from .forms import CommendationProposeForm, DocumentAddForm, RejectForm
from .models import CommendationStatus
from .permissions import (
    commendations_visible_to,
    get_commendation_document_for_user,
    get_commendation_for_user,
)

# What a commendation page offers to void (a rejected proposal counts for nothing already).
VOIDABLE = (CommendationStatus.PROPOSED, CommendationStatus.APPROVED, CommendationStatus.PUBLISHED)


def _filtered(request):
    data = request.GET.copy()
    data.pop("page", None)
    if "year" not in data:
        data["year"] = str(this_year())
    filterset = CommendationFilter(
        data, queryset=commendations_visible_to(request.user), request=request
    )
    # The filter's data: a name search resolved to its organization.
    return filterset, filterset.data


@reads_from_replica
@permission_required("appraisal.view_commendation_list")
def commendation_list(request):
    """Commendations per organization and year: searchable, filterable, exportable."""

    def build():
        filterset, data = _filtered(request)
        if filterset.is_valid():
            paginator = BoundedPaginator(selectors.commendation_table(filterset.qs), 50)
            page = paginator.get_page_of_ids(page_param(request))
            page.object_list = selectors.rows_of_ids(page.object_list)
        else:
            page = BoundedPaginator([], 50).get_page(page_param(request))
        return {
            "filter": filterset,
            "page": page,
            "query": data.urlencode(),
            "waiting": selectors.waiting_rows(request.user, limit=20),
            "may_propose": has_perm(request.user, "appraisal.propose_commendation"),
            "organization": (
                filterset.form.cleaned_data.get("organization") if filterset.is_valid() else None
            ),
        }

    return render(request, "appraisal/commendations/commendation_list.html", build())


@reads_from_replica
@permission_required("appraisal.view_commendation_list")
def commendation_export(request):
    """The filtered list as an XLSX workbook (audited: it holds personal data)."""
    filterset, data = _filtered(request)
    if not filterset.is_valid():
        raise Http404
    sheet = Sheet(
        _("Commendations"),
        [
            _("Recipient"),
            _("Recipient kind"),
            _("Organization"),
            pgettext("commendation", "Title"),
            _("Awarding organization"),
            _("Level"),
            _("Date"),
            _("Status"),
            _("Reason"),
        ],
        (
            [
                c.recipient_name,
                _("Organization") if c.is_collective else _("Member"),
                c.home_organization.name,
                c.display_title,
                c.awarding_organization.name,
                c.awarding_organization.get_kind_display(),
                c.awarded_on,
                c.get_status_display(),
                c.reason,
            ]
            for c in selectors.commendation_table(filterset.qs).iterator(chunk_size=2000)
        ),
    )
    year = data.get("year") or "all"
    response = xlsx_response(f"commendations-{year}.xlsx", [sheet])
    organization = filterset.form.cleaned_data.get("organization")
    audit_log(
        actor=request.user,
        action="appraisal.commendation.export",
        obj=organization,
        rows=sheet.counted,
        # Only the filter's own (validated) fields: any other parameter is the caller's noise.
        filters={k: data[k] for k in filterset.form.fields if data.get(k)},
    )
    return response


@permission_required("appraisal.propose_commendation")
def commendation_propose(request):
    user = request.user
    form = CommendationProposeForm(
        request.POST or None,
        request.FILES or None,
        members=selectors.recipient_choices(user),
        organizations=selectors.organization_choices(user),
        awarding=selectors.awarding_choices(user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("recipient_kind")
        documents = data.pop("documents", [])
        try:
            commendation = services.commendation_propose(actor=user, documents=documents, **data)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The commendation has been proposed for approval."))
            return redirect("appraisal:commendation_detail", pk=commendation.pk)
    return render(request, "appraisal/commendations/commendation_propose.html", {"form": form})


@login_required
def commendation_detail(request, pk):
    commendation = get_commendation_for_user(request.user, pk)
    may_decide = has_perm(request.user, "appraisal.decide_commendation", commendation)
    may_manage = has_perm(request.user, "appraisal.add_commendation_document", commendation)
    return render(
        request,
        "appraisal/commendations/commendation_detail.html",
        {
            "c": commendation,
            "documents": selectors.commendation_documents(commendation),
            "may_decide": may_decide,
            "may_add_document": may_manage and commendation.status in ("proposed", "approved"),
            "may_void": commendation.status in VOIDABLE
            and has_perm(request.user, "appraisal.void_commendation", commendation),
            "history": selectors.commendation_history(commendation) if may_manage else [],
            "reject_form": RejectForm(),
            "document_form": DocumentAddForm(),
        },
    )


def _decide(request, commendation, service, success, **fields):
    """Run one decision service on the version the decider saw; its refusal or `success` is
    shown on the commendation's page."""
    run_service(
        request,
        lambda: service(
            actor=request.user,
            commendation=commendation,
            version=posted_version(request),
            **fields,
        ),
        success,
    )
    return redirect("appraisal:commendation_detail", pk=commendation.pk)


def _decision_view(service, success, *, with_reason=False):
    """A POST-only page that runs one decision service (approve, reject, publish)."""

    @require_POST
    @permission_required("appraisal.decide_commendation", get_commendation_for_user)
    def view(request, commendation):
        fields = {"reason": RejectForm(request.POST).data.get("reason", "")} if with_reason else {}
        return _decide(request, commendation, service, success, **fields)

    view.__name__ = service.__name__
    return view


commendation_approve = _decision_view(
    services.commendation_approve,
    gettext_lazy("The commendation is approved; publish it when it is announced."),
)
commendation_reject = _decision_view(
    services.commendation_reject, gettext_lazy("The proposal has been rejected."), with_reason=True
)
commendation_publish = _decision_view(
    services.commendation_publish, gettext_lazy("The commendation is published.")
)


commendation_void = void_view(
    perm="appraisal.void_commendation",
    fetch=get_commendation_for_user,
    service=services.commendation_void,
    field="commendation",
    success=gettext_lazy("The commendation is voided; it stays on record with your reason."),
    back="appraisal:commendation_detail",
)


@require_POST
@permission_required("appraisal.add_commendation_document", get_commendation_for_user)
def commendation_document_add(request, commendation):
    form = DocumentAddForm(request.POST, request.FILES)

    def add():
        for uploaded in form.cleaned_data["documents"]:
            services.commendation_document_add(
                actor=request.user, commendation=commendation, uploaded=uploaded
            )

    run_service_for_form(request, form, add, _("The documents have been added."))
    return redirect("appraisal:commendation_detail", pk=commendation.pk)


@login_required
def commendation_document(request, pk):
    """Download a supporting document, only for someone who may read its commendation."""
    return private_file_download(get_commendation_document_for_user(request.user, pk))


@login_required
def commendation_org(request, pk):
    """An organization's page of commendations: collective ones and its members', published."""
    organization = get_organization_for_user(request.user, pk)
    year = year_param(request)
    qs = selectors.organization_commendations(organization, year=year)
    page = BoundedPaginator(qs, 50).get_page(page_param(request))
    page.object_list = selectors.rows_by_ids(page.object_list)
    return render(
        request,
        "appraisal/commendations/commendation_org.html",
        {
            "organization": organization,
            "page": page,
            "year": year,
            "query": f"year={year}" if year else "",
        },
    )
