"""Reads that tolerate lag come from a real streaming replica; a writer reads their own write.

The standby is a second PostgreSQL server on this machine, made with pg_basebackup from the
test server (bench.standby: -R -X stream, a private port 5442-5449), replaying its WAL.
Replay is paused with pg_wal_replay_pause(): from then on the replica is a known, stale
copy, so a page that shows the old figure read it from the replica, and one that shows the
new figure read the primary.
"""

import os
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from bench.standby import PORTS, Standby
from members.dbrouting import PIN_COOKIE, REPLICA, reads_from_replica
from members.models import Member, Role
from tests.factories import make_member, make_position

pytestmark = [
    pytest.mark.postgres,
    # One standby for the module: its tests stay on one pytest-xdist worker.
    pytest.mark.xdist_group("read_replica"),
    # The replica reads committed rows: the test database's own transactions are real.
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """A standby of the test server, and the "replica" alias pointed at it (reading the test
    database, which the standby copies). Module-scoped: set up before each test's database
    fixture, which must know the alias."""
    # Its own port and slot per pytest-xdist worker, should the group ever be split again.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    port = PORTS[int(worker.removeprefix("gw")) % len(PORTS)]
    with Standby(port, label=f"branchsite_test_{worker}") as standby:
        saved = connections.settings.get(REPLICA)
        default = connections.settings["default"]
        connections.settings[REPLICA] = {
            **default,
            "HOST": "127.0.0.1",
            "PORT": str(standby.port),
            "NAME": default["NAME"],
            "CONN_MAX_AGE": 0,
            "TEST": {"MIRROR": "default"},
        }
        try:
            yield standby
        finally:
            standby.resume_replay()
            connections[REPLICA].close()
            if hasattr(connections._connections, REPLICA):
                delattr(connections._connections, REPLICA)
            if saved is None:
                del connections.settings[REPLICA]
            else:
                connections.settings[REPLICA] = saved


@pytest.fixture(autouse=True)
def _replaying(replica):
    yield
    replica.resume_replay()


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _branch_count(client, branch):
    """The member count an organizer page (the tree node of a branch) shows."""
    response = client.get(reverse("members:tree_children", args=[branch.pk]))
    assert response.status_code == 200
    # The branch's member figures row (kept in the write's transaction).
    return response.context["figures"].members


def _add_member(client, branch, name):
    response = client.post(
        reverse("members:member_add"),
        {
            "branch": branch.pk,
            "full_name": name,
            "gender": "female",
            "birth_date": "1995-05-04",
            "ethnicity": "汉族",
            "education": "bachelor",
            "phone": "",
            "email": "",
            "joined_on": "2020-07-01",
            "full_member_on": "2021-07-01",
            "status": "full",
            "group": "",
        },
    )
    assert response.status_code == 302, response.content[:500]
    return response


def test_organizer_pages_read_the_replica_and_a_writer_reads_the_primary(cast, replica, settings):
    settings.REPLICA_PIN_SECONDS = 30  # generous: a loaded CI machine is slow between steps
    # A second organizer over the same committee: a reader who did not write.
    colleague = make_member(cast.other_branch, "孙丽", account="colleague")
    make_position(colleague, cast.c1, Role.ORGANIZER)
    writer, reader = _client(cast.users["organizer"]), _client(colleague.account)
    replica.wait_until_caught_up()
    before = Member.objects.filter(branch=cast.branch).count()
    assert _branch_count(reader, cast.branch) == before

    replica.pause_replay()
    response = _add_member(writer, cast.branch, "新党员甲")
    assert PIN_COOKIE in response.cookies
    assert Member.objects.filter(branch=cast.branch).count() == before + 1  # on the primary

    # The reader's organizer page comes from the paused replica: the old figure.
    assert _branch_count(reader, cast.branch) == before
    # The writer's own next page stays on the primary: the new figure.
    assert _branch_count(writer, cast.branch) == before + 1
    # Once the pin has expired (a window of 1 s, 1.5 s later), the writer reads the replica.
    settings.REPLICA_PIN_SECONDS = 1
    time.sleep(1.5)
    assert _branch_count(writer, cast.branch) == before

    # /healthz reports the replica and how far behind it is (to staff).
    health = _client(cast.users["admin"]).get(reverse("healthz")).json()
    replica_check = health["checks"]["replica"]
    assert replica_check["required"] is False
    assert "lag" in replica_check["detail"] or "behind" in replica_check["detail"]

    replica.resume_replay()
    replica.wait_until_caught_up()
    assert _branch_count(reader, cast.branch) == before + 1


def test_only_marked_reads_go_to_the_replica(cast, replica):
    replica.wait_until_caught_up()
    replica.pause_replay()
    make_member(cast.branch, "新党员乙")
    fresh = Member.objects.filter(branch=cast.branch).count()
    with reads_from_replica():
        assert Member.objects.filter(branch=cast.branch).count() == fresh - 1
        # Accounts and sessions never lag; nor do reads inside a write's transaction.
        assert Member.objects.db_manager("default").filter(branch=cast.branch).count() == fresh
        from django.contrib.auth import get_user_model

        assert get_user_model().objects.filter(pk=cast.users["member"].pk).exists()
        from django.db import transaction

        with transaction.atomic():
            assert Member.objects.filter(branch=cast.branch).count() == fresh
    # Unmarked: the primary. A roster (a secretary's own branch) is never served stale.
    assert Member.objects.filter(branch=cast.branch).count() == fresh
    response = _client(cast.users["secretary"]).get(
        reverse("members:roster") + f"?branch={cast.branch.pk}"
    )
    assert "新党员乙" in response.content.decode()


def test_only_a_request_that_wrote_pins(cast, replica):
    client = _client(cast.users["organizer"])
    # A form that does not validate writes nothing: no pin.
    response = client.post(reverse("members:member_add"), {"branch": cast.branch.pk})
    assert response.status_code == 200 and not Member.objects.filter(full_name="").exists()
    assert PIN_COOKIE not in response.cookies
    # A GET never pins; a POST that wrote does.
    assert PIN_COOKIE not in client.get(reverse("members:tree")).cookies
    assert PIN_COOKIE in _add_member(client, cast.branch, "新党员丙").cookies
