"""Who decides a commendation and who is asked: nobody decides their own (nor the leaders of a
commended organization), an organization is not commended by itself, and every proposal
reaches an approver."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from appraisal.commendations import services
from appraisal.commendations.models import CommendationStatus, CommendationTitle
from appraisal.commendations.selectors import waiting_for, waiting_rows
from members.models import Notification, Role
from members.permissions import has_perm as can
from members.services import DomainError
from tests.appraisal.commendation_helpers import propose
from tests.factories import make_member, make_position


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _waiting_recipients():
    return sorted(
        Notification.objects.filter(kind="appraisal.commendation_waiting").values_list(
            "recipient_id", flat=True
        )
    )


def test_commended_organizer_cannot_approve_reject_or_publish_their_own(cast):
    # The branch secretary proposes the organizer (a member of branch B) for a C1 award.
    c = propose(cast, by="other_secretary", member=cast.organizer)
    organizer = cast.users["organizer"]
    assert not can(organizer, "appraisal.decide_commendation", c)
    with pytest.raises(PermissionDenied):
        services.commendation_approve(actor=organizer, commendation=c)
    with pytest.raises(PermissionDenied):
        services.commendation_reject(actor=organizer, commendation=c, reason="x")
    assert c not in waiting_for(organizer)
    # Someone else approves; the commended still cannot publish.
    services.commendation_approve(actor=cast.users["admin"], commendation=c)
    c.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.commendation_publish(actor=organizer, commendation=c)
    assert c not in waiting_for(organizer)


def test_leaders_of_a_commended_organization_do_not_decide_it(cast):
    # A committee member of C1 is an organizer there; C1 is commended by the root.
    c1_leader = make_member(cast.other_branch, "孙丽", account="c1_leader")
    make_position(c1_leader, cast.c1, Role.COMMITTEE_MEMBER)
    root_organizer = make_member(cast.far_branch, "钱进", account="root_organizer")
    make_position(root_organizer, cast.root, Role.ORGANIZER)
    c = services.commendation_propose(
        actor=root_organizer.account,
        organization=cast.c1,
        title=CommendationTitle.ADVANCED_ORGANIZATION,
        awarding_organization=cast.root,
        reason="网上阵地建设成效显著。",
        awarded_on=date(2025, 6, 28),
    )
    # The organizer at C1 leads it too (organizer role there).
    for user in (c1_leader.account, cast.users["organizer"]):
        assert not can(user, "appraisal.decide_commendation", c)
        assert c not in waiting_for(user)
    assert can(cast.users["admin"], "appraisal.decide_commendation", c)


def test_commended_member_is_not_reminded_of_their_own_commendation(cast):
    second = make_member(cast.other_branch, "吴刚", account="second_organizer")
    make_position(second, cast.c1, Role.ORGANIZER)
    propose(cast, by="other_secretary", member=cast.organizer)
    services.commendation_approver_reminders_send()
    assert _waiting_recipients() == [second.pk]


def test_an_organization_is_not_commended_by_itself(cast):
    with pytest.raises(DomainError):
        propose(
            cast,
            by="secretary",
            organization=cast.branch,
            title=CommendationTitle.ADVANCED_ORGANIZATION,
            awarding=cast.branch,
        )
    c = propose(
        cast,
        by="secretary",
        organization=cast.branch,
        title=CommendationTitle.ADVANCED_ORGANIZATION,
        awarding=cast.c1,
    )
    assert c.status == CommendationStatus.PROPOSED


def test_proposal_by_the_only_approver_passes_up_to_the_next_level(cast):
    # The organizer is C1's only decision holder and proposes for a C1 award himself.
    root_organizer = make_member(cast.far_branch, "钱进", account="root_organizer")
    make_position(root_organizer, cast.root, Role.ORGANIZER)
    c = propose(cast, by="organizer", awarding=cast.c1)
    assert services.commendation_approver_reminders_send() == 1
    assert _waiting_recipients() == [root_organizer.pk]
    assert can(root_organizer.account, "appraisal.decide_commendation", c)
    assert c in waiting_for(root_organizer.account)


def test_branch_secretary_proposing_a_branch_award_passes_it_up(cast):
    propose(cast, by="secretary", awarding=cast.branch)
    services.commendation_approver_reminders_send()
    assert _waiting_recipients() == [cast.organizer.pk]


def test_the_lists_compiled_rows_are_waiting_for_of_every_role(cast):
    """The list page reads the first proposals waiting compiled (waiting_rows): the same rows
    as waiting_for, for every role, whoever proposed and whoever is commended."""
    propose(cast, by="other_secretary", member=cast.organizer)
    propose(cast, by="secretary", member=cast.member)
    propose(cast, by="secretary", member=cast.peer, awarding=cast.branch)
    propose(cast, by="other_secretary", member=cast.other_member)
    for role, user in cast.users.items():
        if user is None:
            continue
        expected = list(waiting_for(user).values_list("pk", flat=True)[:20])
        assert [row.pk for row in waiting_rows(user, limit=20)] == expected, role
        assert [row.pk for row in waiting_rows(user, limit=1)] == expected[:1], role
