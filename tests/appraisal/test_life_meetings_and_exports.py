"""Life meetings with rectification followed to done; exports logged; preparation page."""

from io import BytesIO

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import LifeMeeting, Rectification, Step
from appraisal.services.meetings import life_meeting_save, rectification_complete
from appraisal.services.participation import self_assessment_save, talk_log
from members.models import AuditEntry
from members.services import DomainError
from tests.appraisal.cycles import YEAR, move_to, open_cycle, vote


def test_secretary_records_a_meeting_with_rectification_followed_to_done(cast, login):
    client = login("secretary")
    form = client.get(reverse("appraisal:meeting_create")).content.decode()
    assert "张伟" in form  # the branch's members offered as attendees
    response = client.post(
        reverse("appraisal:meeting_create"),
        {
            "organization": cast.branch.pk,
            "kind": "organizational_life_meeting",
            "held_on": f"{YEAR}-12-20",
            "title": "2025年度组织生活会",
            "topics": "对照《党员网络行为规定》检视",
            "self_examination": "on",
            "online_conduct": "on",
            "minutes": "李娜：自我批评……",
            "attendees": [cast.member.pk, cast.peer.pk, cast.secretary.pk],
        },
    )
    assert response.status_code == 302
    meeting = LifeMeeting.objects.get()
    assert meeting.online_conduct and meeting.attendees.count() == 3
    url = reverse("appraisal:meeting_detail", args=[meeting.pk])
    response = client.post(
        url, {"description": "加强网络学习", "owner": cast.member.pk, "due_on": f"{YEAR + 1}-01-31"}
    )
    assert response.status_code == 302
    item = Rectification.objects.get()
    # The owner marks it done with what was done.
    done = reverse("appraisal:rectification_done", args=[item.pk])
    assert login("member").post(done, {"note": "完成网络课程"}).status_code == 302
    item.refresh_from_db()
    assert item.is_done and item.done_on and item.done_note == "完成网络课程"
    assert [h.status for h in item.history.order_by("history_date")] == ["open", "done"]
    with pytest.raises(DomainError):
        rectification_complete(rectification=item, done_on=item.done_on, note="再次")


def test_an_attending_member_sees_every_attendee_counted(cast, login):
    """The member's list shows the meeting they attended with all its attendees, not just the
    one row their own attendance let them see."""
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=open_cycle(cast.branch).rating_due,
        title="支部组织生活会",
        attendees=[cast.member, cast.peer, cast.secretary],
    )
    for role in ("member", "secretary"):
        page = login(role).get(reverse("appraisal:meeting_list")).content.decode()
        assert meeting.title in page and "3 attendees" in page, role


def test_branch_meeting_attendees_must_be_branch_members(cast):
    with pytest.raises(DomainError):
        life_meeting_save(
            organization=cast.branch,
            kind="organizational_life_meeting",
            held_on=open_cycle(cast.branch).rating_due,
            title="会",
            attendees=[cast.other_member],
        )


def test_export_results_is_xlsx_and_logged(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    move_to(cycle, Step.CLOSED)
    response = login("secretary").get(reverse("appraisal:export_results", args=[cycle.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(response.content))
    assert len(wb.worksheets) == 3
    names = [row[0] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert "张伟" in names
    assert len(list(wb.worksheets[2].iter_rows(min_row=2))) == 4
    entry = AuditEntry.objects.get(action="appraisal.export.results")
    assert entry.actor == cast.users["secretary"] and entry.object_id == str(cycle.pk)
    assert entry.data["rows"] > 0


def test_packet_is_printable_a4_and_logged(cast, login):
    cycle = open_cycle(cast.branch)
    self_assessment_save(
        cycle=cycle,
        member=cast.member,
        submit=True,
        study="认真学习",
        duties="职",
        discipline="纪",
        online_conduct="网",
        improvements="改",
    )
    page = login("secretary").get(reverse("appraisal:packet", args=[cycle.pk])).content.decode()
    # Laid out for A4 by its own stylesheet (no inline <style>: the CSP forbids it).
    assert "branchsite/packet.css" in page and "<style" not in page
    css = open(finders.find("branchsite/packet.css"), encoding="utf-8").read()
    assert "size: A4" in css and "@page" in css
    assert "认真学习" in page  # the self-assessment summary
    assert page.count("□") == 4 * 4 * 4  # a blank ballot per voter: 4 members × 4 grades
    assert AuditEntry.objects.filter(action="appraisal.export.packet").count() == 1


def test_preparation_page_shows_what_is_missing(cast, login):
    cycle = open_cycle(cast.branch)
    self_assessment_save(
        cycle=cycle,
        member=cast.member,
        submit=True,
        study="学",
        duties="职",
        discipline="纪",
        online_conduct="网",
        improvements="改",
    )
    talk_log(cycle=cycle, talker=cast.secretary, talked_with=cast.peer, held_on=cycle.rating_due)
    page = login("secretary").get(reverse("appraisal:prepare", args=[cycle.pk])).content.decode()

    def block(testid):
        part = page[page.index(f'data-testid="{testid}"') :]
        return part[: part.index("</ul>")]

    assert "张伟" not in block("missing-assessments") and "王芳" in block("missing-assessments")
    talks = block("missing-talks")
    assert "王芳" not in talks and "李娜" not in talks and "张伟" in talks and "刘洋" in talks


def test_talk_logged_through_the_page(cast, login):
    cycle = open_cycle(cast.branch)
    response = login("committee_member").post(
        reverse("appraisal:talk_list", args=[cycle.pk]),
        {"talker": cast.secretary.pk, "talked_with": cast.member.pk, "held_on": f"{YEAR}-11-30"},
    )
    assert response.status_code == 302
    assert cycle.talks.get().talked_with == cast.member


def test_organizer_opens_cycles_for_many_branches_through_the_page(cast, login):
    response = login("organizer").post(
        reverse("appraisal:cycle_open"),
        {
            "branches": [cast.branch.pk, cast.other_branch.pk],
            "year": YEAR,
            "self_assessment_due": f"{YEAR}-12-10",
            "peer_review_due": f"{YEAR}-12-15",
            "ballot_opens_on": f"{YEAR}-12-16",
            "ballot_closes_on": f"{YEAR}-12-20",
            "rating_due": f"{YEAR}-12-28",
        },
    )
    assert response.status_code == 302
    from appraisal.models import AppraisalCycle

    assert AppraisalCycle.objects.filter(year=YEAR).count() == 2
    # A secretary is offered only their own branch.
    form = login("secretary").get(reverse("appraisal:cycle_open")).content.decode()
    assert "第一支部" in form and "第二支部" not in form
    response = login("secretary").post(
        reverse("appraisal:cycle_open"),
        {"branches": [cast.other_branch.pk], "year": YEAR + 1, "self_assessment_due": "x"},
    )
    assert response.status_code == 200
    assert not AppraisalCycle.objects.filter(year=YEAR + 1).exists()


def test_secretary_closes_the_ballot_through_the_page_and_sees_the_tally(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    client = login("secretary")
    response = client.post(
        reverse("appraisal:cycle_move", args=[cycle.pk]), {"to_step": "rating"}, follow=True
    )
    page = response.content.decode()
    assert 'data-testid="tally-table"' in page
    assert "100.0%" in page
