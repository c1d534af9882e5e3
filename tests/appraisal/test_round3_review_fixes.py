"""Round-3 review of appraisal: the cycle list pages (no silent cap), peer comments reach the
reviewed member only after peer review, talks with leaders of the committee above, and the
commendation history reads its authors in one join."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import selectors, services
from appraisal import views as appraisal_views
from appraisal.commendations.models import Commendation
from appraisal.models import AppraisalCycle, Step
from members.models import OrganizationKind, Role
from members.services import DomainError
from tests.appraisal.commendation_helpers import propose
from tests.appraisal.cycles import YEAR, move_to, open_cycle
from tests.factories import make_member, make_org, make_position


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- 8. the cycle list is paginated, its query count pinned ----------------------------------


def _open_cycles(cast, names):
    branches = [make_org(name, OrganizationKind.BRANCH, parent=cast.c1) for name in names]
    for b in branches:
        make_member(b)
    start = AppraisalCycle.objects.filter(branch=cast.branch).first() or open_cycle(cast.branch)
    services.cycles_open_many(
        branches=branches,
        year=YEAR,
        self_assessment_due=start.self_assessment_due,
        peer_review_due=start.peer_review_due,
        ballot_opens_on=start.ballot_opens_on,
        ballot_closes_on=start.ballot_closes_on,
        rating_due=start.rating_due,
    )


def _walk(client, url):
    """Every page of the list: (cycle ids seen, queries of the first page)."""
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    queries = len(first.captured_queries)  # now: later requests reset the query log
    seen, number = [], 1
    while True:
        response = client.get(url, {"page": number})
        rows = response.context["managed"]
        assert len(rows) <= 4
        seen.extend(c.pk for c in rows)
        if not response.context["page"].has_next():
            return seen, queries
        number += 1


def test_cycle_list_pages_through_every_cycle_with_fixed_queries(cast, login, monkeypatch):
    monkeypatch.setattr(appraisal_views, "CYCLE_LIST_PER_PAGE", 4)
    client = login("organizer")
    url = reverse("appraisal:cycle_list")
    counts = []
    for names in (
        [f"分页支部{i:02d}" for i in range(6)],
        [f"分页支部{i:02d}" for i in range(6, 15)],
    ):
        _open_cycles(cast, names)
        seen, queries = _walk(client, url)
        expected = AppraisalCycle.objects.count()
        assert len(seen) == len(set(seen)) == expected  # nothing silently left out
        counts.append(queries)
    assert expected == 16
    assert counts[0] == counts[1] <= 14


# --- 9. peer comments only after peer review -------------------------------------------------


def test_peer_comments_reach_the_reviewed_only_after_peer_review(cast):
    cycle = move_to(open_cycle(cast.branch, peer_reviews_shown=True), Step.PEER_REVIEW)
    services.peer_review_save(
        cycle=cycle, reviewer=cast.peer, reviewed=cast.member, comment="发言积极"
    )
    assert selectors.peer_comments_about(cycle, cast.member) == []
    move_to(cycle, Step.BALLOT)
    assert selectors.peer_comments_about(cycle, cast.member) == ["发言积极"]


# --- 10. a leader of the committee above talks with the branch secretary ---------------------


def test_leader_of_the_committee_above_may_be_the_talker(cast, login):
    leader = make_member(cast.other_branch, "孙书记")
    make_position(leader, cast.c1, Role.SECRETARY)
    cycle = open_cycle(cast.branch)
    talk = services.talk_log(
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
        services.talk_log(
            cycle=cycle,
            talker=cast.other_member,
            talked_with=cast.secretary,
            held_on=date(YEAR, 11, 30),
        )
    # A secretary of a sibling branch leads nothing above this branch.
    with pytest.raises(DomainError):
        services.talk_log(
            cycle=cycle,
            talker=cast.other_secretary,
            talked_with=cast.secretary,
            held_on=date(YEAR, 11, 30),
        )
    # Nor does a leader whose position above has ended.
    former = make_member(cast.other_branch, "钱前书记")
    make_position(former, cast.c1, Role.SECRETARY, ended_on=date(YEAR - 1, 12, 31))
    with pytest.raises(DomainError):
        services.talk_log(
            cycle=cycle, talker=former, talked_with=cast.secretary, held_on=date(YEAR, 11, 30)
        )


# --- 5. commendation history: one join for the authors ---------------------------------------


def _history_queries(cast, login, n_saves):
    commendation = propose(cast)
    for i in range(n_saves):
        author = make_member(cast.branch, f"改者{n_saves}-{i}", account=f"h{n_saves}-{i}")
        commendation = Commendation.objects.get(pk=commendation.pk)
        commendation._history_user = author.account
        commendation.reason = f"{commendation.reason}。"
        commendation.save()
    client = login("secretary")
    url = reverse("appraisal:commendation_detail", args=[commendation.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert f"改者{n_saves}-{n_saves - 1}" in page
    return len(ctx.captured_queries)


def test_commendation_history_queries_do_not_grow_with_its_length(cast, login):
    assert _history_queries(cast, login, 2) == _history_queries(cast, login, 12)
