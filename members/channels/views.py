"""Channel pages: a branch's robots (with a test message) and delivery log, for the branch's
secretary and committee (and organizers above); a member's own channel order.

Thin: permission -> form/selector -> service -> template. Nothing here sends a message:
services queue deliveries and a worker sends them.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..pagination import BoundedPaginator
from ..permissions import get_organization_for_user, has_perm, require_member
from . import selectors, services
from .forms import BranchChannelForm, ChannelOrderForm
from .models import ChannelKind

LOG_PAGE_SIZE = 50


def _branch_for(user, pk):
    """A branch the user manages (its committee, an organizer above, an admin), else 404."""
    branch = get_organization_for_user(user, pk)
    if not branch.is_branch or not has_perm(user, "members.manage_channels", branch):
        raise Http404
    return branch


@login_required
@require_http_methods(["GET", "POST"])
def channel_settings(request, pk):
    branch = _branch_for(request.user, pk)
    stored = selectors.branch_channels(branch)
    kinds = services.offered_group_kinds()
    forms_by_kind = {
        kind: BranchChannelForm(
            prefix=kind,
            initial=(
                {"webhook_url": stored[kind].webhook_url, "is_enabled": stored[kind].is_enabled}
                if kind in stored
                else None
            ),
        )
        for kind in kinds
    }
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in forms_by_kind:
            raise Http404
        action = request.POST.get("action", "save")
        if action == "remove":
            if kind in stored:
                services.branch_channel_remove(channel=stored[kind])
                messages.success(request, _("The robot was removed."))
            return redirect("members:channel_settings", pk=branch.pk)
        if action == "test":
            if kind not in stored:
                raise Http404
            services.test_message_queue(channel=stored[kind], actor=request.user)
            messages.success(
                request,
                _("A test message is queued; the delivery log shows when the group accepted it."),
            )
            return redirect("members:delivery_log", pk=branch.pk)
        form = BranchChannelForm(request.POST, prefix=kind)
        forms_by_kind[kind] = form
        if form.is_valid():
            try:
                services.branch_channel_save(
                    organization=branch,
                    kind=kind,
                    webhook_url=form.cleaned_data["webhook_url"],
                    secret=form.cleaned_data["secret"] or None,
                    is_enabled=form.cleaned_data["is_enabled"],
                    actor=request.user,
                )
            except services.ChannelError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The robot is saved. Send a test message to check it."))
                return redirect("members:channel_settings", pk=branch.pk)
    return render(
        request,
        "members/channels/settings.html",
        {
            "branch": branch,
            "cards": [
                {
                    "kind": kind,
                    "label": ChannelKind(kind).label,
                    "form": forms_by_kind[kind],
                    "channel": stored.get(kind),
                }
                for kind in kinds
            ],
            "sms_enabled": ChannelKind.SMS in services.offered_personal_kinds(),
        },
    )


@login_required
@require_GET
def delivery_log(request, pk):
    branch = _branch_for(request.user, pk)
    page = BoundedPaginator(selectors.delivery_log(branch), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "members/channels/delivery_log.html", {"branch": branch, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def my_channels(request):
    member = require_member(request.user)
    offered = services.offered_personal_kinds()
    order = [c for c in selectors.channel_order(member) if c in offered]
    initial = {"first": order[0] if order else "", "second": order[1] if len(order) > 1 else ""}
    form = ChannelOrderForm(request.POST or None, initial=initial, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_preference_save(member=member, order=form.order())
        except services.ChannelError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your channels are saved."))
            return redirect(reverse("my_channels"))
    return render(
        request,
        "members/channels/my_channels.html",
        {
            "form": form,
            "member": member,
            "has_email": bool(member.email),
            "has_phone": bool(member.phone),
            "sms_offered": ChannelKind.SMS in offered,
        },
    )
