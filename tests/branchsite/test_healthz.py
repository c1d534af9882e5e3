"""/healthz: 200 or 503 for everyone; which check failed only for staff or the monitor token."""

import pytest
from django.urls import reverse

TOKEN = "monitor-token-0123456789"


@pytest.fixture
def token(settings):
    settings.BRANCHSITE_HEALTHZ_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def test_healthz_is_200_in_the_embedded_default(client, db, settings, token):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker needed: tasks run in-process
    response = client.get(reverse("healthz"), **token)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "workers"}


def test_anonymous_callers_get_the_status_only(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_wrong_or_missing_token_gets_the_status_only(client, db, settings, token):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    for header in ({"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Bearer "}, {}):
        assert client.get(reverse("healthz"), **header).json() == {"status": "ok"}
    settings.BRANCHSITE_HEALTHZ_TOKEN = ""  # unset: no token opens the details
    assert client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer ").json() == {"status": "ok"}


def test_staff_see_the_details_without_a_token(login, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    body = login("admin").get(reverse("healthz")).json()
    assert body["checks"]["database"]["ok"] is True and "database_vendor" in body
    assert login("organizer").get(reverse("healthz")).json() == {"status": "ok"}


def test_healthz_is_503_when_a_required_service_is_down(client, db, settings, monkeypatch, token):
    from branchsite import health

    def broken():
        raise ConnectionError("down")

    monkeypatch.setattr(health, "_database", broken)
    anonymous = client.get(reverse("healthz"))
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "error"}
    response = client.get(reverse("healthz"), **token)
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "required": True,
        "detail": "ConnectionError",
    }


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_healthz_sees_the_real_broker_and_worker(client, celery_worker_thread, token):
    body = client.get(reverse("healthz"), **token).json()
    assert body["checks"]["broker"] == {"ok": True, "required": True, "detail": "ok"}
    assert body["checks"]["workers"]["ok"] is True


@pytest.mark.broker
def test_healthz_is_503_when_no_worker_answers(client, db, token):
    body = client.get(reverse("healthz"), **token)
    assert body.status_code == 503
    assert body.json()["checks"]["broker"]["ok"] is True
    assert body.json()["checks"]["workers"]["ok"] is False
    assert client.get(reverse("healthz")).json() == {"status": "error"}
