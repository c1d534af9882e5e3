"""A second factor (a TOTP authenticator app, with single-use recovery codes) for those who
can see the most: site admins (staff, who reach the Django admin), protection case handlers
and organizers.

Which of these must use one is a setting, BRANCHSITE_2FA_REQUIRED_FOR (on for admins and case
handlers by default in production). Anyone who has set one up is always asked for it. Until
the session is verified every page (the admin included) redirects to the verification page,
or to the set-up page when the user has no authenticator yet.

Whether a session needs the second factor is decided when the user logs in and kept in the
session, so ordinary pages cost no query for it; when roles are required it is decided again
every RECHECK_SECONDS, so a member designated case handler mid-session is asked soon after.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.permissions import scope_for

ROLES = ("admin", "case_handler", "organizer")
STATE_KEY = "branchsite_second_factor"
RECHECK_SECONDS = 300
RECOVERY_CODES = 10
# Pages an unverified user can still reach: the two-factor pages themselves, logging out,
# the language switch; and pages that never look at who is logged in (the health probe, the
# calendar feed read by its secret token), which are not even asked to load the user.
EXEMPT_URL_NAMES = frozenset(
    {
        "second_factor_setup",
        "second_factor_verify",
        "logout",
        "set_language",
        "healthz",
        "calendar_feed",
    }
)


def required_roles(user) -> set[str]:
    """The roles in BRANCHSITE_2FA_REQUIRED_FOR that this user holds (queries only for the
    roles that are required)."""
    wanted = settings.BRANCHSITE_2FA_REQUIRED_FOR
    held = set()
    if "admin" in wanted and (user.is_staff or user.is_superuser):
        held.add("admin")
    if "organizer" in wanted and scope_for(user).is_organizer:
        held.add("organizer")
    if "case_handler" in wanted and is_case_handler(user):
        held.add("case_handler")
    return held


def is_case_handler(user) -> bool:
    """Designated to handle cases below an organization, or assigned to an open case."""
    from members.protection.models import CaseAssignment
    from members.protection.permissions import handler_paths

    member_id = scope_for(user).member_id
    if not member_id:
        return False
    return bool(handler_paths(user)) or (
        CaseAssignment.objects.filter(handler_id=member_id, removed_at__isnull=True).exists()
    )


def _decide(request):
    user = request.user
    enrolled = user_has_device(user, confirmed=True)
    state = {
        "needed": enrolled or bool(required_roles(user)),
        "enrolled": enrolled,
        "at": int(time.time()),
    }
    request.session[STATE_KEY] = state
    return state


@receiver(user_logged_in, dispatch_uid="branchsite.second_factor.decide_at_login")
def decide_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.user = user
        _decide(request)


def session_state(request):
    state = request.session.get(STATE_KEY)
    stale = state is None or (
        settings.BRANCHSITE_2FA_REQUIRED_FOR and time.time() - state.get("at", 0) > RECHECK_SECONDS
    )
    return _decide(request) if stale else state


class SecondFactorMiddleware:
    """Sends a logged-in user who needs the second factor and has not given it to the
    verification page (or the set-up page) first. After django_otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _exempt(request):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and not user.is_verified():
            state = session_state(request)
            if state["needed"]:
                name = "second_factor_verify" if state["enrolled"] else "second_factor_setup"
                target = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request"):
                    response = redirect(target)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
        return self.get_response(request)


def _exempt(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
    return match.url_name in EXEMPT_URL_NAMES


# --- writes ------------------------------------------------------------------------------


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up (not confirmed yet): the same key until confirmed, so
    the page can be reloaded after scanning."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def authenticator_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with a code from it; returns the new recovery codes (to be
    shown once), or None when the code is wrong. The session counts as verified."""
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=device.user)
    from django_otp import login as otp_login

    otp_login(request, device)
    _decide(request)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """A new set of single-use recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify(*, request, token: str) -> bool:
    """Check a code from the authenticator (six digits) or a recovery code (used up); on
    success the session counts as verified. Only the device the code's shape points to is
    tried, so a recovery code does not count as a wrong authenticator code (each device
    slows down after wrong codes)."""
    from django_otp import login as otp_login
    from django_otp import verify_token

    token = token.strip().replace(" ", "").lower()
    model = TOTPDevice if token.isdigit() and len(token) <= 8 else StaticDevice
    for device in model.objects.filter(user=request.user, confirmed=True):
        verified = verify_token(request.user, device.persistent_id, token)
        if verified is not None:
            otp_login(request, verified)
            return True
    return False


def safe_next(request, default="home"):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)
