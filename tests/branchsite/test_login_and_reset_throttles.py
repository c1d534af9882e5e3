"""Login and password reset are limited per client address and per account, in the database
(so the limits hold with the cache down), on our login page and the admin's."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from branchsite import throttle

RIGHT = "pw-Test-123"
A, B, C = "192.0.2.10", "192.0.2.20", "192.0.2.30"


@pytest.fixture
def small_limits(settings):
    # Below axes' own limit (5 per username and address), so these limits are what refuses.
    settings.BRANCHSITE_THROTTLES = {
        "login_ip": (3, 900),
        "login_account": (3, 900),
        "reset_ip": (4, 3600),
        "reset_account": (2, 3600),
    }


def _login(client, username, password, ip, url=None):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_one_address_trying_many_accounts_is_refused(client, cast, small_limits):
    for username in ("member", "peer", "secretary"):
        assert _login(client, username, "wrong", A).status_code == 200
    refused = _login(client, "organizer", RIGHT, A)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert _login(client, "organizer", RIGHT, B).status_code == 302


def test_one_account_tried_from_many_addresses_is_refused(client, cast, small_limits):
    for ip in (A, B, C):
        assert _login(client, "member", "wrong", ip).status_code == 200
    assert _login(client, "member", RIGHT, "192.0.2.40").status_code == 429
    assert _login(client, "MEMBER", RIGHT, "192.0.2.40").status_code == 429  # any spelling
    assert _login(client, "peer", RIGHT, "192.0.2.40").status_code == 302


def test_a_successful_login_does_not_count(client, cast, small_limits):
    for _ in range(5):
        assert _login(client, "member", RIGHT, A).status_code == 302
        client.logout()


def test_the_admin_login_is_limited_too(client, cast, small_limits):
    url = reverse("admin:login")
    for _ in range(3):
        assert _login(client, "admin", "wrong", A, url).status_code == 200
    assert _login(client, "admin", RIGHT, A, url).status_code == 429


def test_the_limit_ends_with_its_window(db, small_limits):
    lim = throttle.limit("login_ip")
    earlier = timezone.now() - timedelta(seconds=lim.seconds)
    for _ in range(3):
        throttle.hit(lim, A, now=earlier)
    assert throttle.exceeded(lim, A, now=earlier)
    assert not throttle.exceeded(lim, A)


def test_password_reset_mails_one_address_only_so_often(client, cast, small_limits):
    for ip in (A, B, C):  # from any address
        response = client.post(
            reverse("password_reset"), {"email": cast.member.email}, REMOTE_ADDR=ip
        )
        # Always the same answer, so the caller cannot tell a limited address from another.
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 2
    # Another member's address still gets its mail.
    client.post(reverse("password_reset"), {"email": cast.peer.email}, REMOTE_ADDR="192.0.2.40")
    assert len(mail.outbox) == 3


def test_password_reset_from_one_address_is_refused_after_the_limit(client, cast, small_limits):
    for i in range(4):
        response = client.post(
            reverse("password_reset"), {"email": f"nobody{i}@example.org"}, REMOTE_ADDR=A
        )
        assert response.status_code == 302
    refused = client.post(reverse("password_reset"), {"email": cast.member.email}, REMOTE_ADDR=A)
    assert refused.status_code == 429
    assert mail.outbox == []
    assert "Retry-After" in refused


def test_limits_hold_with_the_cache_unreachable(client, cast, small_limits, settings):
    # A Redis cache on a port where nothing listens: the counts are in the database.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    lim = throttle.limit("login_ip")
    for _ in range(3):
        throttle.hit(lim, A)
    assert throttle.exceeded(lim, A)
    assert _login(client, "member", RIGHT, A).status_code == 429


def test_behind_a_proxy_the_address_it_appended_counts(rf, settings):
    settings.BRANCHSITE_TRUSTED_PROXIES = 1
    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.9, {A}")
    assert throttle.client_ip(request) == A  # the forged left entry is ignored
    settings.BRANCHSITE_TRUSTED_PROXIES = 0
    assert throttle.client_ip(request) == "127.0.0.1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_are_each_counted(settings):
    lim = throttle.Limit("login_ip", 1000, 900)
    results, barrier = [], threading.Barrier(12)

    def attempt():
        barrier.wait()
        try:
            results.append(throttle.hit(lim, A))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 13))
    assert throttle.count(lim, A) == 12
