"""Browser journey at 375 px, in Chinese: an organizer runs a branch's appraisal cycle from
opening it to the records, the secretary rates and the organizer approves; screenshots of the
stepper pages at 375 and 1366 px for a person to look at."""

from datetime import timedelta

from django.utils import timezone

from appraisal.models import AppraisalCycle, AppraisalRecord, Grade, Step
from appraisal.services.participation import self_assessment_save, talk_log
from tests.appraisal.cycles import vote
from tests.browser import journeys as j
from tests.browser.conftest import DESKTOP, PHONE, browser_login, screenshot, tab


def _shoot(page, name):
    """A screenshot at the phone's width and one at a desktop's."""
    screenshot(page, f"{name}-375")
    page.set_viewport_size({"width": 1366, "height": DESKTOP["height"]})
    screenshot(page, f"{name}-1366")
    page.set_viewport_size({"width": 375, "height": 812})


def test_organizer_runs_a_cycle_from_opening_to_the_records(browser, live_server, cast):
    with tab(browser, PHONE) as page, tab(browser, PHONE) as secretary:
        _journey(page, secretary, live_server, cast)


def _journey(page, secretary, live_server, cast):
    year = timezone.localdate().year
    browser_login(page, live_server, "organizer")

    # Opening: the organizer's list, the form, the button that says what it does.
    cycle_id = j.cycle_open(page, live_server, cast.branch.name)
    cycle = AppraisalCycle.objects.get(branch=cast.branch, year=year)
    assert cycle.pk == cycle_id
    assert "当前步骤：个人自评" in page.get_by_test_id("current-step").inner_text()
    stepper = page.get_by_role("navigation", name="评议步骤")
    assert stepper.get_by_role("link", name="组织评定").count() == 0  # ahead: not a link
    button = page.get_by_test_id("move-button")
    assert button.inner_text().strip() == "进入下一步：党员互评"
    j.fits(page)
    _shoot(page, "appraisal-overview")

    # Two members submit their self-assessments; the confirmation names the two who did not.
    for m in (cast.member, cast.peer):
        self_assessment_save(
            cycle=cycle,
            member=m,
            study="学",
            duties="职",
            discipline="纪",
            online_conduct="网",
            improvements="改",
            submit=True,
        )
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/")
    assert "2/4" in page.get_by_test_id("progress-assessments").inner_text()
    page.get_by_test_id("move-button").click()
    listed = page.get_by_test_id("open-items").inner_text()
    assert "未提交个人自评的党员 (2)" in listed
    assert "李娜" in listed and "刘洋" in listed and "张伟" not in listed
    j.fits(page)
    _shoot(page, "appraisal-move-confirm")
    page.get_by_role("link", name="暂不进入").click()
    cycle.refresh_from_db()
    assert cycle.step == Step.SELF_ASSESSMENT  # looking changed nothing

    j.cycle_move(page, live_server, cycle.pk, reason="其余两人会上当面说明")
    cycle.refresh_from_db()
    assert cycle.step == Step.PEER_REVIEW
    # The done step is now a link back; the overview names the next step.
    stepper = page.get_by_role("navigation", name="评议步骤")
    assert stepper.get_by_role("link", name="个人自评").count() == 1
    assert page.get_by_test_id("move-button").inner_text().strip() == "进入下一步：民主测评"

    talk_log(
        cycle=cycle,
        talker=cast.secretary,
        talked_with=cast.member,
        held_on=timezone.localdate(),
    )
    j.cycle_move(page, live_server, cycle.pk, expect_open=["王芳", "刘洋"], reason="集中谈话已安排")
    cycle.refresh_from_db()
    assert cycle.step == Step.BALLOT

    # Three of four vote; closing early names the one who has not.
    vote(cycle, cast.member, special={cast.member: Grade.EXCELLENT})
    vote(cycle, cast.peer)
    vote(cycle, cast.secretary)
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/")
    assert "3/4" in page.get_by_test_id("turnout").inner_text()
    page.get_by_test_id("move-button").click()
    assert "刘洋" in page.get_by_test_id("open-items").inner_text()
    assert "结束民主测评，进入：组织评定" in page.get_by_test_id("confirm-move").inner_text()
    page.fill("textarea[name=reason]", "刘洋出差，已请假")
    page.get_by_test_id("confirm-move").click()
    page.wait_for_url(f"**/appraisal/cycles/{cycle.pk}/tally/")
    chart = page.get_by_test_id("tally-chart")
    assert (
        chart.get_by_role(
            "img",
            name="张伟：优秀 1（33.3%） · 合格 2（66.7%）",
        ).count()
        == 1
    )
    assert "张伟" in page.get_by_test_id("tally-table").inner_text()
    j.fits(page)
    _shoot(page, "appraisal-tally")

    # The secretary rates: "the rest qualified", then sends it up.
    browser_login(secretary, live_server, "secretary")
    secretary.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/rating/")
    handoff = secretary.get_by_test_id("handoff").inner_text()
    assert "支部评定" in handoff and "上级党组织审批" in handoff and "现在轮到此环节" in handoff
    j.rating_propose(secretary, live_server, cycle.pk, excellent=["张伟"])
    assert "已将3名尚未评定的党员评为“合格”" in secretary.locator("main").inner_text()
    j.fits(secretary)
    _shoot(secretary, "appraisal-rating")
    j.rating_send(secretary)
    assert secretary.url.endswith("/rating/")
    cycle.refresh_from_db()
    assert cycle.rating_state == "submitted"

    # The organizer sees it is their turn, and approves.
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/rating/")
    rows = page.get_by_test_id("handoff").locator("li")
    assert "现在轮到此环节" in rows.nth(1).inner_text()
    assert "现在轮到此环节" not in rows.nth(0).inner_text()
    j.rating_approve(page, live_server, cycle.pk)
    cycle.refresh_from_db()
    assert cycle.rating_state == "approved"

    # Publicity, then the records (publicity cut short with a reason).
    j.cycle_move(page, live_server, cycle.pk)
    cycle.refresh_from_db()
    assert cycle.step == Step.PUBLICITY
    AppraisalCycle.objects.filter(pk=cycle.pk).update(
        publicity_ends_on=timezone.localdate() + timedelta(days=1)
    )
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/")
    assert page.get_by_test_id("move-button").inner_text().strip() == "结束评议工作并生成评议档案"
    j.cycle_move(page, live_server, cycle.pk, reason="公示期内无异议，提前归档")
    cycle.refresh_from_db()
    assert cycle.step == Step.CLOSED
    assert AppraisalRecord.objects.filter(cycle=cycle).count() == 4
    page.goto(f"{live_server.url}/appraisal/cycles/{cycle.pk}/")
    assert "本次评议工作已结束，评议档案已生成。" in page.locator("main").inner_text()
    j.fits(page)
    _shoot(page, "appraisal-closed")
