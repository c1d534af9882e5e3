"""Two-step login (TOTP authenticator + recovery codes) for admins, case handlers and
organizers, as BRANCHSITE_2FA_REQUIRED_FOR requires; anyone who set it up is asked too."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.protection import services as protection_services

PASSWORD = "pw-Test-123"


def code_for(device, *, later=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def log_in(client, username):
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response
    return client


def set_up(client):
    """Set up the authenticator through the pages; returns (device, recovery codes)."""
    page = client.get(reverse("second_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'data-testid="second-factor-key"' in html
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    done = client.post(reverse("second_factor_setup"), {"token": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


@pytest.fixture
def required(settings):
    def _required(*roles):
        settings.BRANCHSITE_2FA_REQUIRED_FOR = frozenset(roles)

    return _required


def _setting_in_a_fresh_process(**env):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'branchsite.settings');"
        "django.setup(); from django.conf import settings;"
        "print(','.join(sorted(settings.BRANCHSITE_2FA_REQUIRED_FOR)))"
    )
    base = {k: v for k, v in os.environ.items() if k != "BRANCHSITE_2FA_REQUIRED_FOR"}
    base |= {"DJANGO_SECRET_KEY": "x" * 50, **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=base,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_requires_it_of_admins_and_case_handlers_by_default():
    assert _setting_in_a_fresh_process(DJANGO_DEBUG="0").stdout.strip() == "admin,case_handler"
    assert _setting_in_a_fresh_process(DJANGO_DEBUG="1").stdout.strip() == ""
    chosen = _setting_in_a_fresh_process(
        DJANGO_DEBUG="0", BRANCHSITE_2FA_REQUIRED_FOR="organizer, admin"
    )
    assert chosen.stdout.strip() == "admin,organizer"
    wrong = _setting_in_a_fresh_process(DJANGO_DEBUG="0", BRANCHSITE_2FA_REQUIRED_FOR="members")
    assert wrong.returncode != 0 and "BRANCHSITE_2FA_REQUIRED_FOR" in wrong.stderr


def test_a_required_admin_sets_up_the_authenticator_before_anything_else(client, cast, required):
    required("admin")
    log_in(client, "admin")
    for url in (reverse("home"), reverse("admin:index"), "/admin/members/member/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("second_factor_setup"))
    set_up(client)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_next_login_asks_for_the_code(client, cast, required):
    required("admin")
    log_in(client, "admin")
    device, _codes = set_up(client)
    log_in(client, "admin")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_verify"))
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_verify"))
    # The code used to set up is spent (django-otp refuses a code twice): the next one works.
    assert (
        client.post(reverse("second_factor_verify"), {"token": code_for(device)}).status_code == 200
    )
    device.throttle_reset()
    done = client.post(
        reverse("second_factor_verify"), {"token": code_for(device, later=30), "next": "/admin/"}
    )
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_recovery_code_works_once(client, cast, required):
    required("admin")
    log_in(client, "admin")
    _device, codes = set_up(client)
    log_in(client, "admin")
    assert client.post(reverse("second_factor_verify"), {"token": codes[0]}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    log_in(client, "admin")
    again = client.post(reverse("second_factor_verify"), {"token": codes[0]})
    assert again.status_code == 200  # refused: shown the form again
    assert client.get(reverse("admin:index")).status_code == 302
    assert StaticToken.objects.filter(token=codes[0]).exists() is False
    StaticDevice.objects.get(user__username="admin").throttle_reset()  # the wrong try slowed it
    assert client.post(reverse("second_factor_verify"), {"token": codes[1]}).status_code == 302


def test_new_recovery_codes_replace_the_old(client, cast, required):
    required("admin")
    log_in(client, "admin")
    _device, old = set_up(client)
    page = client.post(reverse("second_factor_setup"), {"action": "recovery_codes"})
    new = re.findall(r"<li>([a-z0-9]{8})</li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_case_handlers_need_it_and_plain_members_do_not(client, cast, required):
    required("case_handler")
    log_in(client, "organizer")
    assert client.get(reverse("home")).status_code == 200  # not a case handler (yet)
    protection_services.handler_designate(member=cast.organizer, organization=cast.c1)
    log_in(client, "organizer")
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_setup"))
    log_in(client, "member")
    assert client.get(reverse("home")).status_code == 200
    log_in(client, "admin")  # admins are not required by this setting
    assert client.get(reverse("home")).status_code == 200


def test_a_designation_during_a_session_is_caught_at_the_next_check(client, cast, required):
    from branchsite import second_factor

    required("case_handler")
    log_in(client, "organizer")
    assert client.get(reverse("home")).status_code == 200
    protection_services.handler_designate(member=cast.organizer, organization=cast.c1)
    session = client.session
    session[second_factor.STATE_KEY]["at"] -= second_factor.RECHECK_SECONDS + 1
    session.save()
    assert client.get(reverse("home")).status_code == 302


def test_organizers_when_the_setting_names_them(client, cast, required):
    required("organizer")
    log_in(client, "organizer")
    assert client.get(reverse("home")).status_code == 302
    log_in(client, "secretary")
    assert client.get(reverse("home")).status_code == 200


def test_nobody_is_asked_when_nothing_is_required_unless_they_set_it_up(client, cast, required):
    required()
    log_in(client, "admin")
    assert client.get(reverse("admin:index")).status_code == 200
    log_in(client, "member")
    device, _codes = set_up(client)
    log_in(client, "member")
    assert client.get(reverse("my_record"))["Location"].startswith(reverse("second_factor_verify"))
    client.post(reverse("second_factor_verify"), {"token": code_for(device, later=30)})
    assert client.get(reverse("my_record")).status_code == 200


def test_htmx_requests_are_sent_to_the_page_too(client, cast, required):
    required("admin")
    log_in(client, "admin")
    response = client.get(reverse("home"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("second_factor_setup"))


def test_an_unverified_user_can_still_log_out_and_switch_language(client, cast, required):
    required("admin")
    log_in(client, "admin")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_the_verify_page_sends_elsewhere_only_within_the_site(client, cast, required):
    required("admin")
    log_in(client, "admin")
    _device, codes = set_up(client)
    log_in(client, "admin")
    done = client.post(
        reverse("second_factor_verify"), {"token": codes[0], "next": "https://evil.example/"}
    )
    assert done["Location"] == reverse("home")


def test_a_wrong_code_is_refused_and_slows_the_next_try(client, cast, required):
    required("admin")
    log_in(client, "admin")
    client.get(reverse("second_factor_setup"))
    device = TOTPDevice.objects.get(user__username="admin", confirmed=False)
    wrong = client.post(reverse("second_factor_setup"), {"token": "000000"})
    assert wrong.status_code == 200 and 'id="error_1_id_token"' in wrong.content.decode()
    # Right at once after a wrong one: still refused (django-otp's growing delay).
    late = client.post(reverse("second_factor_setup"), {"token": code_for(device)})
    assert late.status_code == 200 and "recovery-codes" not in late.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count >= 1
