"""Branch-wide study notices reach the branch's group robot once per event, with counts."""

from datetime import datetime, timedelta

import pytest

from education import reminders
from education.services.checkin import check_in
from members.channels import services as channels
from members.channels.models import Delivery
from tests.education.helpers import SHANGHAI, at, plan
from tests.members.channel_fakes import FakeWeCom

NOW = datetime(2030, 5, 9, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def robot(settings, cast):
    fake = FakeWeCom()
    fake.robots["k"] = ""
    settings.BRANCHSITE_CHANNEL_URL_PREFIXES = {"wecom": [f"{fake.base}/cgi-bin/webhook/send?"]}
    channels.branch_channel_save(
        organization=cast.branch,
        kind="wecom",
        webhook_url=fake.url("k"),
        secret=None,
        is_enabled=True,
        actor=None,
    )
    yield fake
    fake.stop()


def test_a_session_tomorrow_is_posted_once_with_the_expected_count(cast, robot):
    plan(cast.branch, starts_at=at(2030, 5, 10, 14), title="网络安全法学习")
    reminders.session_reminders_send(now=NOW)
    reminders.session_reminders_send(now=NOW + timedelta(hours=1))  # the next hourly run
    delivery = Delivery.objects.get()
    assert delivery.kind == reminders.KIND_SESSION and "网络安全法学习" in delivery.title
    assert "4" in delivery.body.splitlines()[-1]  # four members of branch A expected
    channels.deliveries_send()
    [body] = robot.accepted
    assert "网络安全法学习" in body["markdown"]["content"]


def test_check_in_open_names_how_many_have_not_checked_in(cast, robot):
    session = plan(cast.branch, starts_at=at(2030, 5, 9, 8, 20), title="主题党日")
    assert reminders.checkin_open_notices_send(now=NOW - timedelta(minutes=20)) == 0  # not yet
    check_in(session=session, member=cast.member, now=NOW)
    assert reminders.checkin_open_notices_send(now=NOW) == 1
    delivery = Delivery.objects.get(kind=reminders.KIND_CHECKIN_OPEN)
    assert delivery.body.splitlines()[-1].endswith("3")  # 4 expected, 1 checked in
    reminders.checkin_open_notices_send(now=NOW + timedelta(minutes=5))
    assert Delivery.objects.filter(kind=reminders.KIND_CHECKIN_OPEN).count() == 1


def test_no_robot_no_delivery(cast):
    plan(cast.other_branch, starts_at=at(2030, 5, 10, 14))
    reminders.session_reminders_send(now=NOW)
    assert not Delivery.objects.exists()
