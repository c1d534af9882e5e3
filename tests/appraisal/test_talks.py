"""Heart-to-heart talks (谈心谈话): who may be the talker, a leader of the committee above
included, and nobody without a position reaching the branch."""

from datetime import date

import pytest
from django.urls import reverse

from appraisal.services.participation import talk_log
from members.models import Role
from members.services import DomainError
from tests.appraisal.cycles import YEAR, open_cycle
from tests.factories import make_member, make_position


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_leader_of_the_committee_above_may_be_the_talker(cast, login):
    leader = make_member(cast.other_branch, "孙书记")
    make_position(leader, cast.c1, Role.SECRETARY)
    cycle = open_cycle(cast.branch)
    talk = talk_log(
        cycle=cycle, talker=leader, talked_with=cast.secretary, held_on=date(YEAR, 11, 30)
    )
    assert talk.talker == leader
    # Through the page too: the leader is offered as the talker.
    response = login("committee_member").post(
        reverse("appraisal:talk_list", args=[cycle.pk]),
        {"talker": cast.organizer.pk, "talked_with": cast.member.pk, "held_on": f"{YEAR}-11-30"},
    )
    assert response.status_code == 302
    assert cycle.talks.filter(talker=cast.organizer).exists()


def test_talker_outside_the_branch_without_a_position_above_is_refused(cast):
    cycle = open_cycle(cast.branch)
    with pytest.raises(DomainError):
        talk_log(
            cycle=cycle,
            talker=cast.other_member,
            talked_with=cast.secretary,
            held_on=date(YEAR, 11, 30),
        )
    # A secretary of a sibling branch leads nothing above this branch.
    with pytest.raises(DomainError):
        talk_log(
            cycle=cycle,
            talker=cast.other_secretary,
            talked_with=cast.secretary,
            held_on=date(YEAR, 11, 30),
        )
    # Nor does a leader whose position above has ended.
    former = make_member(cast.other_branch, "钱前书记")
    make_position(former, cast.c1, Role.SECRETARY, ended_on=date(YEAR - 1, 12, 31))
    with pytest.raises(DomainError):
        talk_log(cycle=cycle, talker=former, talked_with=cast.secretary, held_on=date(YEAR, 11, 30))
