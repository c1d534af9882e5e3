"""The ballot opening, its closing (with how many have not voted) and the start of publicity
reach the branch's group robot once; the personal reminders stay personal."""

from datetime import timedelta

import pytest

from appraisal.models import Step
from appraisal.services.notices import ballot_closing_reminders_send
from members.channels import services as channels
from members.channels.models import Delivery
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.members.channel_fakes import FakeWeCom


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


def test_ballot_open_closing_and_publicity_reach_the_group_once(cast, robot):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    opened = Delivery.objects.get(kind="appraisal.step_ballot")
    voters = cycle.participants.filter(votes=True).count()
    assert opened.body.splitlines()[-1].endswith(str(voters))
    vote(cycle, cast.member)
    ballot_closing_reminders_send(today=cycle.ballot_closes_on - timedelta(days=1))
    ballot_closing_reminders_send(today=cycle.ballot_closes_on)  # the next day's run
    closing = Delivery.objects.get(kind="appraisal.ballot_closing")
    assert closing.body.endswith(str(voters - 1))  # "Not voted yet: n"
    move_to(cycle, Step.PUBLICITY, today=cycle.ballot_closes_on + timedelta(days=1))
    assert Delivery.objects.filter(kind="appraisal.step_publicity").count() == 1
    assert channels.deliveries_send()["accepted"] == 3
    assert len(robot.accepted) == 3
