"""Make-up study: a member records it; a leader reviews it; the evidence file."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.page_actions import run_service, submit
from members.params import id_param, page_param
from members.permissions import permission_required, require_member, scope_for
from members.uploads import private_file_download

from ..forms import MakeupForm, ReviewForm
from ..permissions import get_makeup_for_user, makeups_managed_by
from ..selectors import sessions as sessions_selectors
from ..services import makeups as makeups_services


@login_required
def makeup_list(request):
    member = require_member(request.user)
    makeups = sessions_selectors.member_makeups(member)
    page = Paginator(makeups, 30).get_page(page_param(request))
    return render(request, "education/makeup_list.html", {"page": page})


@login_required
def makeup_create(request):
    member = require_member(request.user)
    missed = sessions_selectors.missed_sessions(member)
    initial = {}
    session_pk = id_param(request, "session")
    if session_pk:
        initial["session"] = sessions_selectors.missed_session(member, session_pk)
        if initial["session"] is not None:
            initial["hours"] = initial["session"].hours
    form = MakeupForm(
        request.POST or None, request.FILES or None, missed_sessions=missed, initial=initial
    )
    if submit(
        request,
        form,
        lambda: makeups_services.makeup_submit(
            member=member, actor=request.user, **form.cleaned_data
        ),
        _("Your make-up study is recorded. It counts once the secretary confirms it."),
    ):
        return redirect("education:makeup_list")
    return render(request, "education/makeup_form.html", {"form": form})


@permission_required("education.review_makeups")
def makeup_review_list(request):
    qs = sessions_selectors.makeups_to_review(
        makeups_managed_by(request.user), reviewer_member_id=scope_for(request.user).member_id
    )
    page = Paginator(qs, 30).get_page(page_param(request))
    return render(request, "education/makeup_review.html", {"page": page, "form": ReviewForm()})


@require_POST
@permission_required("education.review_makeup", partial(get_makeup_for_user, write=True))
def makeup_review(request, makeup):
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    action = request.POST.get("action")
    if action == "confirm":
        run_service(
            request,
            lambda: makeups_services.makeup_confirm(makeup=makeup, actor=request.user, note=note),
            _("The make-up study is confirmed; its hours now count."),
        )
    elif action == "reject":
        run_service(
            request,
            lambda: makeups_services.makeup_reject(makeup=makeup, actor=request.user, note=note),
            _("The make-up study is rejected."),
        )
    else:
        messages.error(request, _("Choose to confirm or reject."))
    return redirect("education:makeup_review_list")


@login_required
def makeup_evidence(request, pk):
    makeup = get_makeup_for_user(request.user, pk)
    evidence = getattr(makeup, "evidence", None)  # its MakeupEvidence, if it has one
    if evidence is None:
        raise Http404
    return private_file_download(evidence)
