"""The second-factor pages: set up an authenticator (with recovery codes shown once), and
verify a session after logging in (branchsite/second_factor.py)."""

from base64 import b32encode

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import second_factor


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(data):
    return segno.make(data, error="m").svg_inline(scale=5, border=2, omitsize=True)


def _grouped(key_bytes):
    text = b32encode(key_bytes).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@sensitive_post_parameters("token")
@login_required
def second_factor_setup(request):
    """Set up the authenticator app; with one already set up (and this session verified),
    make new recovery codes."""
    verified = request.user.is_verified()
    has_authenticator = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    if has_authenticator and not verified:
        return redirect("second_factor_verify")
    if has_authenticator:
        if request.method == "POST" and request.POST.get("action") == "recovery_codes":
            codes = second_factor.recovery_codes_renew(user=request.user)
            return render(request, "registration/second_factor_codes.html", {"codes": codes})
        return render(request, "registration/second_factor_status.html")

    device = second_factor.pending_authenticator(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.authenticator_confirm(
            request=request, device=device, token=form.cleaned_data["token"]
        )
        if codes is not None:
            return render(
                request,
                "registration/second_factor_codes.html",
                {"codes": codes, "next": second_factor.safe_next(request)},
            )
        form.add_error("token", _("That code is not right. Enter the current code from the app."))
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "key": _grouped(device.bin_key),
            "required": bool(second_factor.required_roles(request.user)),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def second_factor_verify(request):
    """After the password: a code from the authenticator app, or a recovery code."""
    if request.user.is_verified():
        return redirect(second_factor.safe_next(request))
    if not user_has_device(request.user, confirmed=True):
        return redirect("second_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.verify(request=request, token=form.cleaned_data["token"]):
            return redirect(second_factor.safe_next(request))
        form.add_error(
            "token",
            _("That code is not right, or too many wrong codes were tried: wait a little."),
        )
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": request.GET.get("next", request.POST.get("next", ""))},
    )
