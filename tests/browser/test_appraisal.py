"""Browser journey of the democratic appraisal (Chromium, phone width): a member submits a
self-assessment and casts a secret ballot; the secretary closes the ballot and sees the tally."""

from appraisal.models import BallotCount, BallotParticipation, Grade, SelfAssessment, Step
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.browser.conftest import browser_login, screenshot


def test_member_self_assesses_and_votes_secretary_closes_and_sees_tally(
    phone_page, live_server, cast
):
    page = phone_page
    cycle = open_cycle(cast.branch)

    # The member writes and submits a self-assessment.
    browser_login(page, live_server, "member")
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/self-assessment/")
    page.fill("#id_study", "系统学习了党员网络行为规定。")
    page.fill("#id_duties", "按时完成本职工作。")
    page.fill("#id_discipline", "严守纪律。")
    page.fill("#id_online_conduct", "网上发言注意身份，不转发未核实信息。")
    page.fill("#id_improvements", "转发前先核实来源。")
    page.click("[data-testid=submit-assessment]")
    page.locator("[data-testid=assessment-submitted]").wait_for()
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
    for pk in graded:
        # The first choice is "excellent"; the radios are styled as buttons (their labels).
        page.click(f"label[for=id_m{pk}_0]")
        if pk == graded[0]:
            # The count follows the choices (static JS), and the jump moves on.
            assert f"已评 1/{n}" in progress.inner_text()
            jump = page.get_by_test_id("ballot-jump")
            assert jump.get_attribute("href") == f"#grade-m{graded[1]}"
    assert f"已评 {n}/{n}" in progress.inner_text()
    assert page.get_by_test_id("ballot-jump").is_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the ballot is {width}px wide at 375px"
    screenshot(page, "appraisal-ballot-phone")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=cast-ballot]")
    page.locator("[data-testid=voted]").wait_for()
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
