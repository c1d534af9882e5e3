"""members/ pages: thin — check, read or call one service, render."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rules.contrib.views import permission_required

from . import selectors, services
from .models import Notification
from .permissions import require_member


@login_required
def inbox(request):
    member = require_member(request.user)
    qs = Notification.objects.filter(recipient=member).order_by("-created_at", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "members/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_read(request):
    member = require_member(request.user)
    raw = request.POST.get("notification")
    services.notification_mark_read(
        member=member, notification_id=int(raw) if raw and raw.isdigit() else None
    )
    return redirect("members:inbox")


@permission_required("members.view_roster", raise_exception=True)
def roster(request):
    page = Paginator(selectors.roster(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "members/roster.html", {"page": page})


@permission_required("members.view_tree", raise_exception=True)
def tree(request):
    return render(request, "members/tree.html", {})
