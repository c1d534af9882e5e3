"""Browser journey of the democratic appraisal (Chromium, phone width): a member submits a
self-assessment and casts a secret ballot; the secretary closes the ballot and sees the tally."""

from appraisal.models import BallotCount, BallotParticipation, Grade, SelfAssessment, Step
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.browser import journeys as j
from tests.browser.conftest import browser_login, screenshot


def test_member_self_assesses_and_votes_secretary_closes_and_sees_tally(
    phone_page, live_server, cast
):
    page = phone_page
    cycle = open_cycle(cast.branch)

    # The member writes and submits a self-assessment.
    browser_login(page, live_server, "member")
    j.self_assessment_submit(page, live_server, cycle.pk)
    assessment = SelfAssessment.objects.get(cycle=cycle, member=cast.member)
    assert assessment.status == "submitted"
    assert "不转发未核实信息" in assessment.online_conduct

    # The committee opens the ballot; two others have voted already.
    move_to(cycle, Step.BALLOT)
    vote(cycle, cast.peer)
    vote(cycle, cast.committee_member)

    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/ballot/")
    assert "2" in page.locator("[data-testid=turnout]").inner_text()
    n = cycle.participants.filter(graded=True).count()
    progress = page.get_by_test_id("ballot-progress")
    assert f"已评 0/{n}" in progress.inner_text()
    graded = list(
        cycle.participants.filter(graded=True)
        .order_by("member__full_name", "member_id")
        .values_list("member_id", flat=True)
    )
    # The radios are styled as buttons (their labels). The count follows the choices (static
    # JS), and the jump moves on.
    page.click(f"#grade-m{graded[0]} input[value=excellent] + label")
    assert f"已评 1/{n}" in progress.inner_text()
    assert page.get_by_test_id("ballot-jump").get_attribute("href") == f"#grade-m{graded[1]}"
    j.ballot_grade(page, default="excellent")
    assert f"已评 {n}/{n}" in progress.inner_text()
    assert page.get_by_test_id("ballot-jump").is_hidden()
    j.fits(page)
    screenshot(page, "appraisal-ballot-phone")
    j.ballot_cast(page)
    assert BallotParticipation.objects.filter(cycle=cycle).count() == 3
    assert (
        BallotCount.objects.get(cycle=cycle, member=cast.member, grade=Grade.EXCELLENT).count == 1
    )

    # The secretary closes the ballot and sees the tally.
    page.context.clear_cookies()
    browser_login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/")
    page.click("[data-testid=move-button]")
    # The confirmation says what closing means, then closes the ballot.
    assert "结束民主测评后不可撤销" in page.locator("main").inner_text()
    page.click("[data-testid=confirm-move]")
    page.locator("[data-testid=tally-table]").wait_for()
    cycle.refresh_from_db()
    assert cycle.step == Step.RATING
    table = page.locator("[data-testid=tally-table]").inner_text()
    assert "张伟" in table and "33.3%" in table  # 1 of 3 ballots: excellent
    assert "3" in page.locator("[data-testid=tally-summary]").inner_text()
    screenshot(page, "appraisal-tally-phone")
