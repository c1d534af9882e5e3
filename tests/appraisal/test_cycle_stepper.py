"""The appraisal cycle as one stepper: one row of navigation, the next step named on its button,
a confirmation that lists what is still open, the rating's hand-off, "the rest qualified",
the ballot's progress, the tally's bars, and exact query counts on these pages."""

import re

import pytest
from django.urls import reverse

from appraisal.models import Grade, Rating, Step
from appraisal.services.participation import self_assessment_save
from appraisal.services.rating import rating_submit, ratings_save
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.appraisal.test_query_counts import _branch_cycle


def _chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def _stepper(page):
    return page[page.index('class="stepper"') : page.index("</ol>", page.index('class="stepper"'))]


def test_one_row_of_steps_done_and_current_are_links_future_are_not(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    page = login("secretary").get(reverse("appraisal:cycle_detail", args=[cycle.pk])).content
    page = page.decode()
    assert page.count('class="stepper"') == 1
    assert 'class="nav nav-pills' not in page  # the old second row of tabs is gone
    stepper = _stepper(page)
    # Done and current: links to their pages.
    assert reverse("appraisal:self_assessment_list", args=[cycle.pk]) in stepper
    assert reverse("appraisal:peer_reviews", args=[cycle.pk]) in stepper
    assert reverse("appraisal:tally", args=[cycle.pk]) in stepper
    # Ahead: shown, but not links that would bounce back.
    assert reverse("appraisal:rating", args=[cycle.pk]) not in stepper
    assert reverse("appraisal:publicity", args=[cycle.pk]) not in stepper
    assert stepper.count('aria-disabled="true"') == 3  # rating, publicity, closed
    assert stepper.count("is-done") == 2 and stepper.count("is-current") == 1


def test_a_member_sees_the_same_row_with_their_own_pages(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    page = login("member").get(reverse("appraisal:cycle_detail", args=[cycle.pk])).content
    stepper = _stepper(page.decode())
    assert reverse("appraisal:my_self_assessment", args=[cycle.pk]) in stepper
    assert reverse("appraisal:ballot", args=[cycle.pk]) in stepper
    assert reverse("appraisal:tally", args=[cycle.pk]) not in stepper
    assert reverse("appraisal:self_assessment_list", args=[cycle.pk]) not in stepper


def test_the_next_step_is_named_on_its_button_in_chinese(cast, login):
    cycle = open_cycle(cast.branch)
    client = _chinese(login("secretary"))
    page = client.get(reverse("appraisal:cycle_detail", args=[cycle.pk])).content.decode()
    button = re.search(r'data-testid="move-button">(.*?)</a>', page, re.S).group(1)
    assert "进入下一步：党员互评" in button
    assert reverse("appraisal:cycle_move", args=[cycle.pk]) in page


def test_confirmation_lists_who_has_not_submitted_and_needs_a_reason(cast, login):
    cycle = open_cycle(cast.branch)
    self_assessment_save(
        cycle=cycle,
        member=cast.member,
        study="学",
        duties="职",
        discipline="纪",
        online_conduct="网",
        improvements="改",
        submit=True,
    )
    client = login("secretary")
    url = reverse("appraisal:cycle_move", args=[cycle.pk])
    page = client.get(url).content.decode()
    listed = re.search(r'data-testid="open-items">(.*?)</div>', page, re.S).group(1)
    for name in ("王芳", "李娜", "刘洋"):
        assert name in listed
    assert "张伟" not in listed  # submitted
    assert "Self-assessments not submitted (3)" in listed
    cycle.refresh_from_db()
    assert cycle.step == Step.SELF_ASSESSMENT  # looking changes nothing

    # Without a reason the move is refused and the page says why.
    response = client.post(url, {"to_step": "peer_review"}, follow=True)
    assert "give a reason" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.step == Step.SELF_ASSESSMENT
    client.post(url, {"to_step": "peer_review", "reason": "会上补交"})
    cycle.refresh_from_db()
    assert cycle.step == Step.PEER_REVIEW
    assert cycle.moves.get().reason == "会上补交"


def test_confirmation_before_closing_the_ballot_lists_who_has_not_voted(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    vote(cycle, cast.member)
    page = login("secretary").get(reverse("appraisal:cycle_move", args=[cycle.pk])).content
    listed = re.search(r'data-testid="open-items">(.*?)</div>', page.decode(), re.S).group(1)
    assert "王芳" in listed and "张伟" not in listed
    assert "Close the ballot and go to: Organizational rating" in page.decode()


def test_confirmation_shows_a_hard_blocker_without_a_button(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    page = login("secretary").get(reverse("appraisal:cycle_move", args=[cycle.pk])).content
    page = page.decode()
    assert 'data-testid="move-blocked"' in page
    assert "has not approved the rating" in page
    assert 'data-testid="confirm-move"' not in page


def test_the_move_page_is_for_those_who_move_the_cycle(cast, login):
    cycle = open_cycle(cast.branch)
    url = reverse("appraisal:cycle_move", args=[cycle.pk])
    assert login("member").get(url).status_code == 403
    assert login("other_secretary").get(url).status_code == 404
    assert login("organizer").get(url).status_code == 200


@pytest.mark.parametrize(
    ("state", "turn"),
    [("draft", 0), ("submitted", 1)],
)
def test_the_rating_page_says_the_secretary_rates_and_the_organizer_approves(
    cast, login, state, turn
):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    if state == "submitted":
        ids = cycle.participants.filter(graded=True).values_list("member_id", flat=True)
        ratings_save(cycle=cycle, entries={pk: (Grade.QUALIFIED, "") for pk in ids})
        rating_submit(cycle=cycle)
    page = _chinese(login("secretary")).get(reverse("appraisal:rating", args=[cycle.pk]))
    handoff = re.search(r'data-testid="handoff">(.*?)</ol>', page.content.decode(), re.S).group(1)
    assert "支部评定" in handoff and "上级党组织审批" in handoff
    rows = handoff.split("<li")[1:]
    assert "is-current" in rows[turn] and "轮到" in rows[turn]
    assert "轮到" not in rows[1 - turn]


def test_rate_the_rest_qualified_fills_only_the_empty_grades(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    client = login("secretary")
    url = reverse("appraisal:rating", args=[cycle.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="fill-qualified"' in page
    graded = list(cycle.participants.filter(graded=True).values_list("member_id", flat=True))
    data = {f"g{pk}": "" for pk in graded} | {f"r{pk}": "" for pk in graded}
    data[f"g{cast.member.pk}"] = Grade.EXCELLENT
    data[f"g{cast.peer.pk}"] = Grade.BASICALLY_QUALIFIED
    data[f"r{cast.peer.pk}"] = "学习不够"
    response = client.post(url, data | {"fill_qualified": "1"}, follow=True)
    grades = dict(Rating.objects.filter(cycle=cycle).values_list("member_id", "grade"))
    assert grades[cast.member.pk] == Grade.EXCELLENT
    assert grades[cast.peer.pk] == Grade.BASICALLY_QUALIFIED
    others = [pk for pk in graded if pk not in (cast.member.pk, cast.peer.pk)]
    assert others and all(grades[pk] == Grade.QUALIFIED for pk in others)
    assert f"{len(others)} member(s) without a grade are now rated qualified" in (
        response.content.decode()
    )
    cycle.refresh_from_db()
    assert cycle.rating_state == "draft"  # filled, not sent: the secretary checks first
    assert 'data-testid="fill-qualified"' not in response.content.decode()


def test_ballot_shows_how_many_are_graded_and_jumps_to_the_first_left(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    client = _chinese(login("member"))
    url = reverse("appraisal:ballot", args=[cycle.pk])
    graded = list(
        cycle.participants.filter(graded=True)
        .order_by("member__full_name", "member_id")
        .values_list("member_id", flat=True)
    )
    page = client.get(url).content.decode()
    assert f"已评 0/{len(graded)}" in page
    assert f'href="#grade-m{graded[0]}"' in page
    assert "branchsite/appraisal.js" in page and "onclick" not in page and "<style" not in page
    # A refused submission keeps the choices and points to the first member left.
    response = client.post(url, {f"m{graded[0]}": Grade.QUALIFIED})
    page = response.content.decode()
    assert f"已评 1/{len(graded)}" in page
    assert f'href="#grade-m{graded[1]}"' in page


def test_tally_draws_each_members_grades_as_a_bar_with_the_table_behind(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    vote(cycle, cast.member, special={cast.member: Grade.EXCELLENT})
    vote(cycle, cast.peer)
    vote(cycle, cast.secretary)
    move_to(cycle, Step.RATING)
    page = login("secretary").get(reverse("appraisal:tally", args=[cycle.pk])).content.decode()
    chart = re.search(r'data-testid="tally-chart">(.*?)</section>', page, re.S).group(1)
    row = re.search(
        r"<li class=\"tally-bar-row\">\s*<span class=\"tally-name\">张伟</span>(.*?)</li>",
        chart,
        re.S,
    ).group(1)
    assert 'role="img"' in row and "张伟：Excellent 1（33.3%）" in row
    assert 'class="g-excellent" x="0.0" y="0" width="33.3"' in row
    assert 'class="g-qualified" x="33.3" y="0" width="66.7"' in row
    # The figures behind the picture: each grade's count and share, then the ballots.
    table = re.search(r'data-testid="tally-table">(.*?)</table>', page, re.S).group(1)
    row = re.search(r">张伟</th>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r'<td class="text-end">(\d+)(?:<span[^>]*> \(([\d.]+)%\)</span>)?</td>', row)
    # Excellent 1 of 3, qualified 2 of 3, the other grades none; 3 ballots.
    assert cells == [("1", "33.3"), ("2", "66.7"), ("0", "0.0"), ("0", "0.0"), ("3", "")]
    assert "<progress" in page  # the turnout as a bar


def test_tally_withholds_a_members_result_below_the_minimum_of_ballots(cast, login):
    """A member with fewer ballots than the minimum has neither bar nor counts on the tally,
    only that too few voted."""
    cycle = move_to(open_cycle(cast.other_branch), Step.BALLOT)
    vote(cycle, cast.other_secretary)
    move_to(cycle, Step.RATING)
    page = login("other_secretary").get(reverse("appraisal:tally", args=[cycle.pk]))
    page = page.content.decode()
    chart = re.search(r'data-testid="tally-chart">(.*?)</section>', page, re.S).group(1)
    table = re.search(r'data-testid="tally-table">(.*?)</table>', page, re.S).group(1)
    n = chart.count('<li class="tally-bar-row">')
    assert n == cycle.participants.filter(graded=True).count() > 0
    assert "<svg" not in chart and chart.count("Too few ballots to show a result.") == n
    assert table.count('<td colspan="4" class="text-muted small">Too few ballots') == n


@pytest.mark.parametrize("n", [5, 80])
@pytest.mark.parametrize(
    ("page", "step", "role", "queries"),
    [
        ("cycle_detail", Step.BALLOT, "secretary", 7),
        ("cycle_detail", Step.BALLOT, "member", 6),
        ("cycle_move", Step.BALLOT, "secretary", 8),
        ("ballot", Step.BALLOT, "member", 8),
        ("tally", Step.RATING, "secretary", 7),
        ("rating", Step.RATING, "secretary", 9),
    ],
)
def test_stepper_pages_have_exact_query_counts(
    cast, login, n, page, step, role, queries, django_assert_num_queries
):
    cycle = _branch_cycle(cast, n, step)
    client = login(role)
    url = reverse(f"appraisal:{page}", args=[cycle.pk])
    client.get(url)  # per-process caches (content types, translations) warm
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
