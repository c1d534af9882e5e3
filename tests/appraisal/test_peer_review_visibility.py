"""Who sees peer-review comments, and when: the reviewed member only after peer review (the
timing would tell who wrote them), committee members never see who commented on them."""

import pytest
from django.urls import reverse

from appraisal.models import (
    Step,
)
from appraisal.selectors.participation import peer_comments_about
from appraisal.services.participation import peer_review_save
from tests.appraisal.cycles import move_to, open_cycle


@pytest.fixture
def cycle(cast):
    return move_to(open_cycle(cast.branch), Step.BALLOT)


@pytest.mark.parametrize("shown", [False, True])
def test_committee_members_do_not_see_who_commented_on_them(cast, login, shown):
    cycle = move_to(open_cycle(cast.branch, peer_reviews_shown=shown), Step.PEER_REVIEW)
    peer_review_save(
        cycle=cycle, reviewer=cast.peer, reviewed=cast.secretary, comment="书记要多听意见"
    )
    peer_review_save(
        cycle=cycle, reviewer=cast.member, reviewed=cast.committee_member, comment="支委很用心"
    )
    url = reverse("appraisal:peer_reviews", args=[cycle.pk])
    response = login("secretary").get(url)
    named = [(r.reviewer_id, r.reviewed_id) for r in response.context["all_reviews"]]
    assert named == [(cast.member.pk, cast.committee_member.pk)]
    page = response.content.decode()
    all_section = page[page.index('id="all-heading"') :]
    assert "书记要多听意见" not in all_section and "支委很用心" in all_section
    # Like any member: the comment itself, without the name, only if the branch allows it,
    # and only once peer review is over (the timing would tell who wrote it).
    assert "书记要多听意见" not in page
    assert response.context["about_me"] == ([] if shown else None)
    # The committee member sees the comment on the secretary, signed, and not their own.
    response = login("committee_member").get(url)
    named = [(r.reviewer_id, r.reviewed_id) for r in response.context["all_reviews"]]
    assert named == [(cast.peer.pk, cast.secretary.pk)]
    # The organizer above (not reviewed in this branch) sees them all.
    response = login("organizer").get(url)
    assert len(response.context["all_reviews"]) == 2
    move_to(cycle, Step.BALLOT)
    response = login("secretary").get(url)
    assert ("书记要多听意见" in response.content.decode()) is shown
    assert response.context["about_me"] == (["书记要多听意见"] if shown else None)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_peer_comments_reach_the_reviewed_only_after_peer_review(cast):
    cycle = move_to(open_cycle(cast.branch, peer_reviews_shown=True), Step.PEER_REVIEW)
    peer_review_save(cycle=cycle, reviewer=cast.peer, reviewed=cast.member, comment="发言积极")
    assert peer_comments_about(cycle, cast.member) == []
    move_to(cycle, Step.BALLOT)
    assert peer_comments_about(cycle, cast.member) == ["发言积极"]
