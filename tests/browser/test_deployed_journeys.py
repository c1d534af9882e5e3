"""The users' journeys against the server `.ci/deploy.sh` deployed as the README says
(gunicorn over TLS, one Celery worker and one beat, PostgreSQL, Redis, DEBUG off, static files
from the manifest), in Chromium at a phone's width (375 px) and a desktop's.

The data is the deployment's own: `seed_demo --force` (run by deploy.sh) and whatever the
journeys do through the pages; nothing here touches a database. People are found by what the
pages show (the demo's names are drawn at random from a seed). Every page must leave the
console clean (no Content-Security-Policy violation, no error) and load only hashed static
files (the `deployed` fixture). Screenshots at 375 px go to BROWSER_SCREENSHOT_DIR.
"""

import os
import re
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from members.demo import ROOT_NAME
from tests.browser import journeys as j
from tests.browser.conftest import DEMO_PASSWORD, DEPLOYED, DESKTOP, screenshot

pytestmark = pytest.mark.deployed

MAIL_DIR = Path(os.environ.get("BRANCHSITE_DEPLOY_MAIL_DIR", "/nonexistent"))
LOG_DIR = Path(os.environ.get("BRANCHSITE_DEPLOY_LOG_DIR", "/nonexistent"))
# Titles carry the time, so that the journeys can run again against the same server.
STAMP = time.strftime("%H%M%S")


def who(page):
    """(name, branch) of the logged-in member, as their home page greets them."""
    page.goto(j.url(DEPLOYED, "/"))
    greeting = j.zh("Hello, %(name)s").split("%(name)s")
    name = page.locator("main h1").inner_text().strip()
    for part in greeting:
        name = name.replace(part.strip(), "")
    branch = page.locator("main h1 + p").inner_text().split(" · ")[0]
    return name.strip(), branch.strip()


def number(text):
    """The first number in a text ("60.0/32.0学时" -> 60.0)."""
    return Decimal(re.search(r"\d+(?:\.\d+)?", text).group())


def inbox(page):
    """{the notice's link: its text} of the first page of the inbox, the newest first."""
    page.goto(j.url(DEPLOYED, "/members/inbox/"))
    return dict(
        page.locator(".list-group-item").evaluate_all(
            "items => items.map(i => [i.querySelector('a')?.getAttribute('href'), i.innerText])"
        )
    )


def test_secretary_logs_a_held_session_and_finds_it_in_the_list_and_the_hours(deployed):
    desk = deployed("secretary", DESKTOP)
    phone = deployed("secretary")
    me, _branch = who(phone)
    names = j.session_log_open(phone, DEPLOYED)
    assert len(names) >= 10, names
    absent, excused = [n for n in names if n != me][:2]
    # A morning when the demo held nothing (its sessions start at 14:30 and 19:00, its next
    # one 20 minutes after seeding): the form would rightly ask whether it is a duplicate.
    now = timezone.localtime()
    morning = now.replace(hour=8, minute=0, second=0, microsecond=0)
    if now < morning + timedelta(minutes=95):
        morning -= timedelta(days=1)
    year = f"?year={morning.year}"
    before = {n: Decimal(j.hours_of(desk, DEPLOYED, n, year)) for n in (me, absent)}

    title = f"网络安全专题学习 {STAMP}"
    j.session_log_open(phone, DEPLOYED)
    j.attendance_mark(phone, absent, "absent", "生病住院")
    j.attendance_mark(phone, excused, "excused", "外出培训")
    j.fits(phone)
    screenshot(phone, "deployed-session-log-375")
    detail = j.session_log_save(
        phone,
        title=title,
        kind="study",
        hours="2.5",
        starts_at=morning,
        ends_at=morning + timedelta(minutes=90),
    )
    assert phone.get_by_test_id("session-state").inner_text() == j.zh("Held")
    for name, status in ((absent, "Absent"), (excused, "Excused"), (me, "Present")):
        row = phone.locator("#attendance tr", has=phone.get_by_role("cell", name=name, exact=True))
        assert row.get_by_test_id("status").inner_text() == j.zh(status), name
    j.fits(phone)
    # The reasons are kept with the attendance: the log form shows them again.
    phone.goto(f"{detail}log/")
    assert phone.locator(f"[data-name='{absent}'] input[id^=note_]").input_value() == "生病住院"
    assert phone.locator(f"[data-name='{excused}'] input[id^=note_]").input_value() == "外出培训"

    # The session list leads to it; the hours table counts it for those present only.
    desk.goto(j.url(DEPLOYED, "/education/sessions/"))
    desk.get_by_role("link", name=title).first.click()
    assert desk.url == detail
    after = {n: Decimal(j.hours_of(desk, DEPLOYED, n, year)) for n in (me, absent)}
    assert after[me] == before[me] + Decimal("2.5"), (before, after)
    assert after[absent] == before[absent], (before, after)


def test_member_on_a_phone_sees_what_to_do_and_checks_in_with_the_code(deployed):
    member = deployed("member")
    name, branch = who(member)
    assert member.get_by_test_id("todo").is_visible()
    hours_before = number(member.get_by_test_id("hours-total").inner_text())
    assert hours_before > 0  # the demo's two years of sessions

    # The secretary plans a lecture starting in five minutes and puts the code on the screen.
    kiosk = deployed("secretary", DESKTOP)
    title = f"党课：网络安全 {STAMP}"
    session_id = j.session_plan(
        kiosk,
        DEPLOYED,
        organization=branch,
        title=title,
        kind="party_lecture",
        hours="2",
        starts_in=timedelta(minutes=5),
    )
    checkin_url = j.kiosk_open(kiosk, DEPLOYED, session_id)
    assert checkin_url.startswith(f"{DEPLOYED}/education/checkin/{session_id}/")

    # The member's home tells them to check in to it.
    member.goto(j.url(DEPLOYED, "/"))
    todo = member.get_by_test_id("todo").inner_text()
    assert title in todo, todo
    j.fits(member)
    screenshot(member, "deployed-member-home-375")

    # Their phone, not logged in, scans the code, logs in, confirms; the screen shows them.
    phone = deployed()
    j.check_in_by_phone(phone, checkin_url, "member", DEMO_PASSWORD)
    j.fits(phone)
    j.kiosk_sees(kiosk, name)
    with kiosk.expect_navigation():
        kiosk.get_by_test_id("close-checkin").click()
    assert kiosk.get_by_test_id("session-state").inner_text() == j.zh("Held")

    member.goto(j.url(DEPLOYED, "/me/"))
    attended = member.locator("#year-sessions li", has_text=title)
    assert j.zh("Present") in attended.inner_text()
    assert number(member.get_by_test_id("hours-total").inner_text()) == hours_before + 2


def test_organizer_runs_a_democratic_appraisal_from_opening_to_the_records(deployed, tmp_path):
    organizer = deployed("organizer", DESKTOP)  # a case handler: sets up two-step login
    member = deployed("member")
    secretary = deployed("secretary")
    member_name, branch = who(member)
    secretary_name, _branch = who(secretary)
    year = timezone.localdate().year - 2  # the demo has this year's and last year's

    cycle = j.cycle_open(organizer, DEPLOYED, branch, year=year)
    assert j.zh("Self-assessment") in organizer.get_by_test_id("current-step").inner_text()

    # Two members write their self-assessments on their phones; the others will not.
    for page in (member, secretary):
        j.self_assessment_submit(page, DEPLOYED, cycle)
        j.fits(page)
    j.cycle_move(organizer, DEPLOYED, cycle, reason="其余党员在会上当面报告")
    j.cycle_move(organizer, DEPLOYED, cycle, reason="谈心谈话已在会前完成")

    # The ballot: two vote on their phones, seven on paper; one member gets "excellent"
    # from all nine.
    member.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/ballot/"))
    graded = member.locator("[data-ballot-member] legend").all_inner_texts()
    best = next(n for n in graded if n not in (member_name, secretary_name))
    j.ballot_grade(member, {best: "excellent"})
    j.fits(member)
    screenshot(member, "deployed-ballot-375")
    j.ballot_cast(member)
    for page in (member, secretary):
        page.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/ballot/"))
        if page is secretary:
            j.ballot_grade(secretary, {best: "excellent"})
            j.ballot_cast(secretary)
        # Secret: the voter's page keeps only that they voted, not how.
        assert page.get_by_test_id("voted").is_visible()
        assert page.locator("[data-ballot-member]").count() == 0

    secretary.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/ballot/paper/"))
    voters = secretary.locator("input[name=issue-voters]")
    not_voted = voters.evaluate_all("boxes => boxes.map(b => b.labels[0].innerText.trim())")
    assert len(not_voted) == 13 and member_name not in not_voted, not_voted
    for i in range(7):
        voters.nth(i).check()
    j.submit(secretary, "button[name=issue]")
    for _ in range(7):
        j.ballot_grade(secretary, {best: "excellent"}, default=None)
        j.submit(secretary, "button[name=enter]")
        assert j.zh("Paper ballot entered.") in secretary.inner_text("main")

    # Closing the ballot shows the tally: nine ballots, all "excellent" for one member.
    # (Closing early names the six who never voted.)
    j.cycle_move(organizer, DEPLOYED, cycle, expect_open=not_voted[7:], reason="未投票的党员已请假")
    assert organizer.url.endswith(f"/appraisal/cycles/{cycle}/tally/")
    chart = organizer.get_by_test_id("tally-chart")
    label = chart.get_by_role("img", name=re.compile(f"^{best}：")).get_attribute("aria-label")
    assert label.startswith(f"{best}：{j.zh('Excellent')} 9"), label

    # The branch rates, the organization above approves, then publicity.
    j.rating_propose(secretary, DEPLOYED, cycle, excellent=[best])
    j.fits(secretary)
    j.rating_send(secretary)
    j.rating_approve(organizer, DEPLOYED, cycle)
    j.cycle_move(organizer, DEPLOYED, cycle)
    organizer.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/publicity/"))
    published = organizer.get_by_test_id("published-results").inner_text()
    assert best in published and j.zh("Excellent") in published

    # The printable packet: the agenda and one blank ballot per voter, for A4.
    organizer.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/packet/"))
    assert organizer.locator("button[data-print]").is_visible()
    organizer.emulate_media(media="print")
    assert not organizer.locator("button[data-print]").is_visible()
    pdf = organizer.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    organizer.emulate_media(media="screen")

    # Publicity cut short, the records written; the export holds the ballot, the ratings and
    # the records, as values, never formulas.
    j.cycle_move(organizer, DEPLOYED, cycle, reason="公示期内无异议，提前归档")
    assert j.zh("This cycle is closed; the records are written.") in organizer.inner_text("main")
    organizer.goto(j.url(DEPLOYED, f"/appraisal/cycles/{cycle}/tally/"))
    with organizer.expect_download() as download:
        organizer.get_by_role("link", name=j.zh("Export (XLSX)")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    ballot, ratings, records = (book[name] for name in book.sheetnames)
    rows = {r[0]: r for r in ballot.iter_rows(values_only=True) if r and r[0]}
    assert rows[best][1:3] == (9, 9), rows[best]  # ballots, of which "excellent"
    assert rows[j.zh("Turnout")][1] == 9
    grades = {r[0]: r[1] for r in ratings.iter_rows(min_row=2, values_only=True)}
    assert grades[best] == j.zh("Excellent") and grades[member_name] == j.zh("Qualified")
    assert len(list(records.iter_rows(min_row=2))) >= len(graded)
    for sheet in (ballot, ratings, records):
        assert not any(
            isinstance(c.value, str) and c.value.startswith("=") for row in sheet for c in row
        )

    # The member finds the result on their record.
    member.goto(j.url(DEPLOYED, f"/me/?year={year}"))
    assert j.zh("Qualified") in member.get_by_test_id("appraisal-record").inner_text()
    j.fits(member)


def test_handler_clears_a_members_name_and_a_commendation_is_decided_and_the_worker_tells_them(
    deployed,
):
    organizer = deployed("organizer", DESKTOP)
    member = deployed("member")
    secretary = deployed("secretary")
    member_name, _branch = who(member)
    mail_before = set(MAIL_DIR.glob("*")) if MAIL_DIR.exists() else set()
    expected = [
        j.zh("Your protection case has been accepted"),
        j.zh("You have been commended: %(title)s")
        % {"title": j.zh("Outstanding contribution to positive online content")},
    ]
    seen = set(inbox(member))

    # The member reports a false accusation from their phone; the handler (the demo's
    # organizer) accepts the case, records what was done and the clarification issued.
    case = j.case_open(
        member,
        DEPLOYED,
        kind="false_accusation",
        description=f"有人在论坛匿名发帖，捏造我收受好处的不实信息。{STAMP}",
        place="本地论坛",
        occurred_on=timezone.localdate() - timedelta(days=3),
        help="请组织核实并澄清正名。",
    )
    j.fits(member)
    organizer.goto(case)
    j.case_accept(organizer)
    j.case_action_record(
        organizer,
        kind="platform_removal",
        description="已致函论坛，要求删除不实帖子。",
        outcome="论坛已删除该帖。",
    )
    clarification = f"经核查，网传该同志收受好处一事纯属捏造，特此澄清。{STAMP}"
    j.clarification_record(
        organizer,
        text=clarification,
        where="单位门户网站",
        to="全体干部职工",
        approved_by=ROOT_NAME,
        reference="科技局党委〔2026〕1号",
    )
    assert clarification in organizer.inner_text("main")

    # A commendation: the secretary proposes it, the committee approves and publishes it.
    proposal = j.commendation_propose(
        secretary,
        DEPLOYED,
        member=member_name,
        title="positive_online_content",
        awarding=ROOT_NAME,
        reason=f"坚持在网上传播正能量，及时澄清不实信息。{STAMP}",
    )
    j.fits(secretary)
    assert j.commendation_decide(organizer, proposal) == j.zh("Published", "commendation status")

    # The member's inbox: both notices, each e-mailed by the deployed worker ("e-mail ✓").
    sent = f"{j.zh('e-mail')} ✓"
    deadline = time.time() + 60
    while True:
        new = [text for link, text in inbox(member).items() if link not in seen]
        ours = [next((i for i in new if title in i), "") for title in expected]
        if all(sent in i for i in ours):
            break
        assert time.time() < deadline, f"the worker did not e-mail within 60 s: {new}"
        time.sleep(2)
    j.fits(member)
    screenshot(member, "deployed-inbox-375")
    new_mail = [p for p in set(MAIL_DIR.glob("*")) - mail_before if p.is_file()]
    assert any(case.split(DEPLOYED)[1] in p.read_text("utf-8", "replace") for p in new_mail)

    # The member reads the case from the notice and lets the clarification show on their
    # record, beside the commendation.
    member.get_by_role("link", name=expected[0]).first.click()
    member.wait_for_url(case)
    assert clarification in member.inner_text("main")
    j.submit(member, f"button:has-text('{j.zh('Show it on my record')}')")
    member.goto(j.url(DEPLOYED, "/me/"))
    assert clarification in member.get_by_test_id("record-clarification").inner_text()
    assert j.zh("Outstanding contribution to positive online content") in (
        member.get_by_test_id("record-commendations").inner_text()
    )
    j.fits(member)


def test_beat_schedules_and_the_worker_runs_through_the_broker():
    """The sweep beat sends every minute (members.send_due_deliveries: nothing else queues it
    in the demo, which has no group robots) reaches the worker through Redis and runs."""
    deadline = time.time() + 75
    while True:
        beat = (LOG_DIR / "beat.log").read_text(errors="replace")
        worker = (LOG_DIR / "worker.log").read_text(errors="replace")
        sent = "Sending due task members.send_due_deliveries" in beat
        ran = re.search(r"Task members\.tasks\.send_due_deliveries\[[-0-9a-f]+\] succeeded", worker)
        if sent and ran:
            break
        assert time.time() < deadline, f"beat sent: {sent}, the worker ran it: {bool(ran)}"
        time.sleep(2)
