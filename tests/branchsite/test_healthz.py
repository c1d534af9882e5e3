import pytest
from django.urls import reverse


def test_healthz_is_200_in_the_embedded_default(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker needed: tasks run in-process
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "workers"}


def test_healthz_is_503_when_a_required_service_is_down(client, db, settings, monkeypatch):
    from branchsite import health

    def broken():
        raise ConnectionError("down")

    monkeypatch.setattr(health, "_database", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "required": True,
        "detail": "ConnectionError",
    }


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_healthz_sees_the_real_broker_and_worker(client, celery_worker_thread):
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["broker"] == {"ok": True, "required": True, "detail": "ok"}
    assert body["checks"]["workers"]["ok"] is True


@pytest.mark.broker
def test_healthz_is_503_when_no_worker_answers(client, db):
    body = client.get(reverse("healthz"))
    assert body.status_code == 503
    assert body.json()["checks"]["broker"]["ok"] is True
    assert body.json()["checks"]["workers"]["ok"] is False
