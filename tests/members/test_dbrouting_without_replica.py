"""Without DATABASE_REPLICA_URL there is one database: the replica marker changes nothing and
no request is pinned (the real replica is proven in tests/branchsite/test_read_replica.py)."""

from django.urls import reverse

from members.dbrouting import (
    PIN_COOKIE,
    ReplicaRouter,
    read_alias,
    reading_from_replica,
    reads_from_replica,
    replica_configured,
)
from members.models import Member


def test_one_database_when_no_replica_is_configured(cast, client):
    assert not replica_configured()
    router = ReplicaRouter()
    with reads_from_replica():
        assert not reading_from_replica()
        assert router.db_for_read(Member) == "default" and read_alias() == "default"
    assert router.db_for_write(Member) == "default"
    assert router.allow_migrate("replica", "members") is False
    assert router.allow_migrate("default", "members") is None

    @reads_from_replica
    def page():
        return reading_from_replica(), Member.objects.filter(branch=cast.branch).count()

    assert page() == (False, Member.objects.filter(branch=cast.branch).count())
    client.force_login(cast.users["organizer"])
    response = client.get(reverse("members:tree"))
    assert response.status_code == 200 and PIN_COOKIE not in response.cookies
