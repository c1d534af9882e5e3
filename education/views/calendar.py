"""Calendars: a member's private feed (page, new link, revoke, the feed) and one session's .ics."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.permissions import require_member

from .. import ics
from ..checkin import qr_svg
from ..permissions import get_session_for_user
from ..selectors import sessions as sessions_selectors
from ..services import calendar as calendar_services


@login_required
def session_ics(request, pk):
    session = get_session_for_user(request.user, pk)
    body = ics.sessions_calendar(
        [session],
        name=session.title,
        url_for=lambda s: request.build_absolute_uri(
            reverse("education:session_detail", args=[s.pk])
        ),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


@login_required
def calendar_page(request):
    member = require_member(request.user)
    feed = sessions_selectors.live_calendar_feed(member)
    context = {"feed": feed, "url": "", "webcal_url": "", "qr": ""}
    if feed:
        url = request.build_absolute_uri(reverse("education:calendar_feed", args=[feed.token]))
        context.update(
            url=url,
            # webcal:// asks the phone's calendar to subscribe instead of downloading once.
            webcal_url="webcal://" + url.split("://", 1)[1],
            qr=qr_svg(url, title=_("QR code of your calendar address")),
        )
    return render(request, "education/calendar.html", context)


def _change_feed(request, change, message):
    change(member=require_member(request.user))
    messages.success(request, message)
    return redirect("education:calendar")


@login_required
@require_POST
def calendar_regenerate(request):
    return _change_feed(
        request,
        calendar_services.calendar_feed_regenerate,
        _("Your calendar link is new; the old one no longer works."),
    )


@login_required
@require_POST
def calendar_revoke(request):
    return _change_feed(
        request, calendar_services.calendar_feed_revoke, _("Your calendar link is turned off.")
    )


@never_cache
def calendar_feed(request, token):
    """A member's private feed: the secret URL is the credential (calendar clients cannot
    log in). Revoked or unknown tokens get 404."""
    feed = sessions_selectors.calendar_feed_by_token(token)
    if feed is None or not feed.member.is_active:  # transferred out or deceased: it stops
        raise Http404
    body = ics.sessions_calendar(
        sessions_selectors.calendar_sessions(feed.member_id),
        name=_("Study sessions"),
        url_for=lambda s: request.build_absolute_uri(
            reverse("education:session_detail", args=[s.pk])
        ),
    )
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
