"""Check-in: the kiosk screen and its polled QR code, the scan, the member's confirmation, and
closing check-in."""

import time

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.page_actions import run_service
from members.permissions import member_id_of, permission_required, require_member
from members.services import DomainError

from ..checkin import (
    CHECKIN_PASS_SECONDS,
    checkin_code,
    checkin_code_is_fresh,
    current_step,
    qr_svg,
)
from ..models.sessions import Session
from ..permissions import get_session_for_user
from ..selectors import sessions as sessions_selectors
from ..services import checkin as checkin_services

_CHECKIN_SESSION_KEY = "education_checkin_pass"


@require_POST
@permission_required("education.change_session", get_session_for_user)
def session_close(request, session):
    """Close check-in: members who did not check in (and were not marked) are absent, the
    session is held and everyone's hours count."""
    run_service(
        request,
        lambda: checkin_services.session_close_checkin(session=session, actor=request.user),
        _("Check-in is closed and the session is held; the hours are credited."),
    )
    return redirect("education:session_detail", session.pk)


@permission_required("education.change_session", get_session_for_user)
def checkin_screen(request, session):
    """The kiosk for the meeting room's screen: full screen, no navigation; the QR code, the
    count and the names are the partial below, polled every few seconds."""
    opens, _closes = checkin_services.checkin_window(session)
    return render(
        request,
        "education/checkin_screen.html",
        {
            "session": session,
            "can_close": checkin_services.checkin_can_close(session),
            "opens_at": opens,
            "poll_seconds": CHECKIN_POLL_SECONDS,
        },
    )


# The kiosk asks for a fresh partial this often; the code itself changes every 15 s.
CHECKIN_POLL_SECONDS = 3


@never_cache
@permission_required("education.change_session", get_session_for_user)
def checkin_qr(request, session):
    """htmx partial polled by the kiosk: a fresh code, the live count and who has checked in
    (newest first). Two queries after the user's scope: the session and its attendance."""
    url = request.build_absolute_uri(
        reverse(
            "education:checkin_scan", args=[session.pk, checkin_code(session.pk, current_step())]
        )
    )
    board = sessions_selectors.checkin_board(session)
    return render(
        request,
        "education/_checkin_qr.html",
        {
            "session": session,
            "svg": qr_svg(url, title=_("Check-in code")) if session.is_planned else "",
            "url": url,
            **board,
        },
    )


@never_cache
def checkin_scan(request, pk, code):
    """Where the QR code points. A fresh code leaves a short-lived pass in the browser's
    session (it survives logging in) and sends the member on to confirm."""
    if not checkin_code_is_fresh(pk, code):
        return render(
            request,
            "education/checkin_result.html",
            {
                "ok": False,
                "message": _(
                    "This check-in code has expired. Scan the code on the screen in the room again."
                ),
            },
            status=400,
        )
    request.session[_CHECKIN_SESSION_KEY] = {"session": pk, "at": time.time()}
    return redirect("education:checkin_confirm", pk)


@never_cache
@login_required
def checkin_confirm(request, pk):
    """The member confirms their own check-in (only themselves, only once).

    The POST is what a room full of members sends at once, so it is kept small: no query
    for the session before the service (which reads it locked), the member's id only, the
    pass left in the browser's session to expire (no write of the session row: a second
    confirm finds the member checked in), and an answer without the menu."""
    held = request.session.get(_CHECKIN_SESSION_KEY) or {}
    fresh = held.get("session") == pk and time.time() - held.get("at", 0) <= CHECKIN_PASS_SECONDS
    if request.method != "POST":
        session = sessions_selectors.session_for_checkin(pk)
        if not fresh or session is None:
            return _checkin_unscanned(request)
        require_member(request.user)
        return render(request, "education/checkin_confirm.html", {"session": session})
    if not fresh:
        return _checkin_unscanned(request)
    member_id = member_id_of(request.user)
    if member_id is None:
        raise Http404
    try:
        row = checkin_services.check_in(session=pk, member=member_id, actor=request.user)
    except Session.DoesNotExist:
        return _checkin_unscanned(request)
    except DomainError as exc:
        return render(
            request,
            "education/checkin_result.html",
            {
                "ok": False,
                "message": " ".join(exc.messages),
                "session": sessions_selectors.session_for_checkin(pk),
            },
            status=400,
        )
    return HttpResponse(
        render_to_string(
            "education/checkin_done.html",
            {"message": _("You are checked in. Welcome!"), "session": row.session},
        )
    )


def _checkin_unscanned(request):
    return render(
        request,
        "education/checkin_result.html",
        {"ok": False, "message": _("Scan the code on the screen in the room to check in.")},
        status=400,
    )
