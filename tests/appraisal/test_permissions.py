"""Role × page: every appraisal view, for every role of the standing cast.

200 allowed; 302 to the login page for anonymous; 403 logged in without the permission;
404 for an object outside the user's reach (its existence is not disclosed).
"""

import pytest
from django.urls import reverse

from appraisal.models import (
    AppraisalCycle,
    BallotBox,
    Grade,
    LifeMeeting,
    Objection,
    SelfAssessment,
    Step,
)
from appraisal.services.meetings import life_meeting_save, rectification_add
from appraisal.services.participation import peer_review_save, self_assessment_save
from appraisal.services.publicity import objection_answer, objection_file
from appraisal.services.rating import ratings_save
from tests.appraisal.cycles import YEAR, move_to, open_cycle, submitted_self_assessment, vote
from tests.education.helpers import at, held

ROLES = (
    "anonymous",
    "outsider",
    "member",
    "peer",
    "secretary",
    "committee_member",
    "other_secretary",
    "organizer",
    "other_organizer",
    "admin",
)

# Who manages cast.branch: its committee, the organizer of C1 above it, the site admin.
MANAGERS = {"secretary", "committee_member", "organizer", "admin"}
# Members of cast.branch taking part in its cycles.
PARTICIPANTS = {"member", "peer", "secretary", "committee_member"}
OUTSIDE = {"outsider", "other_secretary", "other_organizer"}


def expect(allowed, *, denied=403, outside=404, **special):
    """Status per role: 200 allowed, `denied` for others in reach, `outside` beyond reach."""
    table = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = 302
        elif role in allowed:
            table[role] = 200
        elif role in OUTSIDE:
            table[role] = outside
        else:
            table[role] = denied
    table.update(special)
    return table


@pytest.fixture
def world(cast):
    """A running cycle (at the ballot), a closed one with records, and a life meeting."""
    running = open_cycle(cast.branch)
    assessment = submitted_self_assessment(running, cast.member)
    move_to(running, Step.BALLOT)
    closed = open_cycle(cast.branch, year=YEAR - 1)
    move_to(closed, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(closed, m)
    move_to(closed, Step.PUBLICITY)
    objection = objection_file(cycle=closed, member=cast.peer, text="异议")
    objection_answer(objection=objection, answer="答复")
    move_to(closed, Step.CLOSED)
    record = closed.records.get(member=cast.member)
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=closed.rating_due,
        title="组织生活会",
        attendees=[cast.member, cast.secretary],
    )
    item = rectification_add(
        meeting=meeting, description="加强学习", owner=cast.member, due_on=closed.rating_due
    )
    return {
        "running": running,
        "closed": closed,
        "assessment": assessment,
        "record": record,
        "meeting": meeting,
        "item": item,
        "objection": objection,
    }


def _pages(w):
    r, c = w["running"].pk, w["closed"].pk
    everyone_with_record = PARTICIPANTS | MANAGERS | {"other_secretary", "other_organizer"}
    leaders = MANAGERS | {"other_secretary", "other_organizer"}
    return [
        ("cycle_list", [], expect(everyone_with_record, outside=403)),
        ("cycle_open", [], expect(leaders, outside=403)),
        ("cycle_detail", [r], expect(MANAGERS | PARTICIPANTS)),
        ("cycle_edit", [r], expect(MANAGERS)),
        # The confirmation before moving to the next step.
        ("cycle_move", [r], expect(MANAGERS)),
        # The site admin has no member record: nothing of their own to write or cast.
        ("my_self_assessment", [r], expect(PARTICIPANTS, admin=404)),
        ("self_assessment_list", [r], expect(MANAGERS)),
        ("self_assessment_detail", [w["assessment"].pk], expect(MANAGERS | {"member"}, denied=404)),
        ("talk_list", [r], expect(MANAGERS)),
        ("peer_reviews", [r], expect(MANAGERS | PARTICIPANTS)),
        ("ballot", [r], expect(PARTICIPANTS, admin=404)),
        ("paper_ballots", [r], expect(MANAGERS)),
        ("tally", [r], expect(MANAGERS)),
        ("tally", [c], expect(MANAGERS)),
        ("rating", [c], expect(MANAGERS)),
        ("publicity", [r], expect(MANAGERS)),  # members: no results before publicity
        ("publicity", [c], expect(MANAGERS | PARTICIPANTS)),
        ("prepare", [r], expect(MANAGERS)),
        ("packet", [r], expect(MANAGERS)),
        ("export_results", [c], expect(MANAGERS)),
        ("record_detail", [w["record"].pk], expect(MANAGERS | {"member"}, denied=404)),
        ("meeting_list", [], expect(everyone_with_record, outside=403)),
        ("meeting_create", [], expect(leaders, outside=403)),
        ("meeting_detail", [w["meeting"].pk], expect(MANAGERS | {"member"}, denied=404)),
        ("meeting_edit", [w["meeting"].pk], expect(MANAGERS, denied=404, member=403)),
    ]


def test_every_get_view_for_every_role(world, login):
    failures = []
    for name, args, table in _pages(world):
        url = reverse(f"appraisal:{name}", args=args)
        for role in ROLES:
            response = login(role).get(url)
            if response.status_code != table[role]:
                failures.append(f"{name}{args} as {role}: {response.status_code} != {table[role]}")
            if table[role] == 302 and role == "anonymous":
                assert "/accounts/login/" in response["Location"]
    assert not failures, "\n".join(failures)


def _post_pages(w, cast):
    r, c = w["running"].pk, w["closed"].pk
    return [
        # (name, args, data, allowed roles (302 on success))
        ("cycle_move", [r], {"to_step": "peer_review"}, MANAGERS),
        ("rating_decide", [c], {"decision": "approve"}, {"organizer", "admin"}),
        ("objection_answer", [w["objection"].pk], {"answer": "再答"}, MANAGERS),
        ("rectification_done", [w["item"].pk], {"note": "完成"}, MANAGERS | {"member"}),
        # Voiding, last (a void changes what the other actions may do). Once the organization
        # above approved the closed cycle's rating, only it may void the cycle.
        ("cycle_void", [c], {"reason": "开错了"}, {"organizer", "admin"}),
        ("cycle_void", [r], {"reason": "开错了"}, MANAGERS),
        ("meeting_void", [w["meeting"].pk], {"reason": "重复录入"}, MANAGERS),
    ]


def test_every_post_view_for_every_role(world, login, cast):
    failures = []
    for name, args, data, allowed in _post_pages(world, cast):
        url = reverse(f"appraisal:{name}", args=args)
        for role in ROLES:
            response = login(role).post(url, data)
            if role == "anonymous":
                want = 302
            elif role in allowed:
                want = 302
            elif role in OUTSIDE:
                want = 404
            elif name in ("rectification_done", "meeting_void") and role == "peer":
                want = 404  # the peer neither attended the meeting nor owns the item
            else:
                want = 403
            if response.status_code != want:
                failures.append(f"POST {name} as {role}: {response.status_code} != {want}")
    assert not failures, "\n".join(failures)


def test_a_member_cannot_read_another_members_self_assessment(world, login, cast):
    url = reverse("appraisal:self_assessment_detail", args=[world["assessment"].pk])
    assert login("peer").get(url).status_code == 404
    page = login("member").get(url).content.decode()
    assert "网络言行" in page


def test_member_sees_only_own_self_assessment_on_own_page(world, login, cast):
    self_assessment_save(cycle=world["running"], member=cast.peer, study="王芳的学习心得")
    page = (
        login("member")
        .get(reverse("appraisal:my_self_assessment", args=[world["running"].pk]))
        .content.decode()
    )
    assert "王芳的学习心得" not in page


def test_secretary_sees_who_has_not_submitted(world, login, cast):
    page = (
        login("secretary")
        .get(reverse("appraisal:self_assessment_list", args=[world["running"].pk]))
        .content.decode()
    )
    shortfall = [row for row in page.split("<tr") if 'class="shortfall"' in row]
    names = " ".join(shortfall)
    assert "王芳" in names and "李娜" in names and "刘洋" in names
    assert "张伟" not in names  # submitted


def test_member_sees_results_only_once_publicity_starts(world, login, cast):
    client = login("member")
    running = world["running"]
    assert client.get(reverse("appraisal:publicity", args=[running.pk])).status_code == 403
    assert client.get(reverse("appraisal:tally", args=[running.pk])).status_code == 403
    move_to(running, Step.PUBLICITY)
    page = client.get(reverse("appraisal:publicity", args=[running.pk])).content.decode()
    assert 'data-testid="published-results"' in page
    assert client.get(reverse("appraisal:tally", args=[running.pk])).status_code == 403


def test_secretary_reaches_only_their_branch(world, login, cast):
    other = open_cycle(cast.other_branch)
    client = login("secretary")
    assert client.get(reverse("appraisal:cycle_detail", args=[other.pk])).status_code == 404
    page = client.get(reverse("appraisal:cycle_list")).content.decode()
    assert "第二支部" not in page
    page = login("organizer").get(reverse("appraisal:cycle_list")).content.decode()
    assert "第一支部" in page and "第二支部" in page


def test_member_cannot_move_a_cycle_through_the_page(world, login):
    response = login("member").post(
        reverse("appraisal:cycle_move", args=[world["running"].pk]), {"to_step": "rating"}
    )
    assert response.status_code == 403
    world["running"].refresh_from_db()
    assert world["running"].step == Step.BALLOT


def test_peer_comments_shown_without_names_when_the_branch_chooses(cast, login):
    cycle = move_to(open_cycle(cast.branch, peer_reviews_shown=True), Step.PEER_REVIEW)
    client = login("peer")
    url = reverse("appraisal:peer_reviews", args=[cycle.pk])
    assert (
        client.post(url, {"reviewed": cast.member.pk, "comment": "工作认真负责"}).status_code == 302
    )
    page = login("member").get(url).content.decode()
    about_me = page[page.index('id="about-heading"') :]
    about_me = about_me[: about_me.index("</section>")]
    # Not while peer review runs: the moment a comment appears would tell who wrote it.
    assert "工作认真负责" not in about_me and 'data-testid="comments-later"' in about_me
    move_to(cycle, Step.BALLOT)
    page = login("member").get(url).content.decode()
    about_me = page[page.index('id="about-heading"') :]
    about_me = about_me[: about_me.index("</section>")]
    assert "工作认真负责" in about_me and "王芳" not in about_me
    page = login("secretary").get(url).content.decode()
    assert "工作认真负责" in page and "王芳" in page


def test_peer_comments_hidden_from_the_reviewed_by_default(cast):
    cycle = move_to(open_cycle(cast.branch), Step.PEER_REVIEW)
    peer_review_save(cycle=cycle, reviewer=cast.peer, reviewed=cast.member, comment="好")
    assert not cycle.peer_reviews_shown_to_reviewed


def test_objection_filed_by_a_member_and_answered_by_the_committee(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.PUBLICITY)
    url = reverse("appraisal:publicity", args=[cycle.pk])
    assert login("peer").post(url, {"text": "评定偏高", "about": cast.member.pk}).status_code == 302
    objection = Objection.objects.get(cycle=cycle)
    assert (
        login("secretary")
        .post(reverse("appraisal:objection_answer", args=[objection.pk]), {"answer": "已复核"})
        .status_code
        == 302
    )
    objection.refresh_from_db()
    assert objection.is_answered
    # A member sees their own objections only.
    page = login("member").get(url).content.decode()
    assert "评定偏高" not in page


def test_self_assessment_is_final_until_returned(cast, login):
    cycle = open_cycle(cast.branch)
    url = reverse("appraisal:my_self_assessment", args=[cycle.pk])
    client = login("member")
    sections = {
        "study": "学",
        "duties": "职",
        "discipline": "纪",
        "online_conduct": "网",
        "improvements": "改",
    }
    assert client.post(url, {**sections, "study": "", "save": "1"}).status_code == 302
    a = SelfAssessment.objects.get(cycle=cycle, member=cast.member)
    assert a.status == "draft"
    assert client.post(url, {**sections, "submit": "1"}).status_code == 302
    a.refresh_from_db()
    assert a.status == "submitted"
    assert client.post(url, {**sections, "study": "改了", "save": "1"}).status_code == 403
    detail = reverse("appraisal:self_assessment_detail", args=[a.pk])
    assert client.post(detail, {"comment": "x"}).status_code == 403
    assert login("secretary").post(detail, {"comment": "请补充网络言行部分"}).status_code == 302
    a.refresh_from_db()
    assert a.status == "returned"
    page = login("member").get(url).content.decode()
    assert "请补充网络言行部分" in page
    assert (
        login("member").post(url, {**sections, "study": "补充", "submit": "1"}).status_code == 302
    )
    a.refresh_from_db()
    assert a.status == "submitted" and a.study == "补充"
    assert a.history.count() >= 3


def test_rating_page_warns_over_the_excellent_cap(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    ratings_save(
        cycle=cycle,
        entries={cast.member.pk: (Grade.EXCELLENT, ""), cast.peer.pk: (Grade.EXCELLENT, "")},
    )
    page = login("secretary").get(reverse("appraisal:rating", args=[cycle.pk])).content.decode()
    assert 'data-testid="cap-warning"' in page  # 2 of 4 > one third (cap 1)


def test_rating_page_shows_the_study_hours_and_attendance_education_registered(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    held(cast.branch, starts_at=at(YEAR, 3, 10), attendance={cast.member: "present"})
    page = login("secretary").get(reverse("appraisal:rating", args=[cycle.pk])).content.decode()
    assert f"Study hours {YEAR}" in page and "Sessions attended" in page
    assert "2.0 of 32.0 hours" in page and "1 of 1" in page


def test_meeting_list_shows_only_reachable_meetings(world, login, cast):
    LifeMeeting.objects.create(
        organization=cast.far_branch,
        kind="organizational_life_meeting",
        held_on=world["closed"].rating_due,
        title="远方会议",
    )
    assert (
        "远方会议" not in login("secretary").get(reverse("appraisal:meeting_list")).content.decode()
    )
    assert (
        "远方会议"
        in login("other_organizer").get(reverse("appraisal:meeting_list")).content.decode()
    )


# --- every form POST, for every role ----------------------------------------------------------

# The branch each leader opens cycles and records meetings for (within their reach).
OWN_BRANCH = {
    "secretary": "branch",
    "committee_member": "branch",
    "organizer": "branch",
    "admin": "branch",
    "other_secretary": "other_branch",
    "other_organizer": "far_branch",
}


def _form_posts(w, cast):
    """(name, args, data(role), allowed roles, status for the others in reach, check)."""
    running, rating, publicity = w["running"], w["rating_cycle"], w["publicity_cycle"]
    r = running.pk
    voter_of = {  # each manager hands a paper ballot to a different voter
        "secretary": cast.member,
        "committee_member": cast.peer,
        "organizer": cast.secretary,
        "admin": cast.committee_member,
    }
    graded = [cast.member, cast.peer, cast.secretary, cast.committee_member]
    deadlines = {
        name: getattr(running, name).isoformat()
        for name in (
            "self_assessment_due",
            "peer_review_due",
            "ballot_opens_on",
            "ballot_closes_on",
            "rating_due",
        )
    }

    def meeting_data(role, title):
        org = getattr(cast, OWN_BRANCH.get(role, "branch"))
        return {
            "organization": org.pk,
            "kind": "organizational_life_meeting",
            "held_on": w["closed"].rating_due.isoformat(),
            "title": title,
            "self_examination": "on",
            "online_conduct": "on",
        }

    return [
        (
            "paper_ballots",
            [r],
            lambda role: {"issue": "1", "issue-voters": [voter_of.get(role, cast.member).pk]},
            MANAGERS,
            403,
            lambda: BallotBox.objects.get(cycle=running).paper_issued == 4,
        ),
        (
            "paper_ballots",
            [r],
            lambda role: {f"paper-m{m.pk}": Grade.QUALIFIED for m in graded},
            MANAGERS,
            403,
            lambda: BallotBox.objects.get(cycle=running).paper_entered == 4,
        ),
        (
            "talk_list",
            [r],
            lambda role: {
                "talker": cast.secretary.pk,
                "talked_with": cast.member.pk,
                "held_on": running.peer_review_due.isoformat(),
                "note": role,
            },
            MANAGERS,
            403,
            lambda: running.talks.count() == 4,
        ),
        (
            "rating",
            [rating.pk],
            lambda role: {
                "save": "1",
                **{f"g{m.pk}": Grade.QUALIFIED for m in graded},
                **{f"r{m.pk}": "" for m in graded},
            },
            MANAGERS,
            403,
            lambda: rating.ratings.count() == 4,
        ),
        (
            "record_detail",
            [w["record"].pk],
            lambda role: {"grade": Grade.EXCELLENT, "reason": f"更正 {role}"},
            MANAGERS,  # the member may read their record but never correct it
            {"member": 403, "peer": 404},
            lambda: w["record"].amendments.count() == 4,
        ),
        (
            "meeting_detail",
            [w["meeting"].pk],
            lambda role: {
                "description": f"整改 {role}",
                "owner": cast.member.pk,  # the peer must stay outside the meeting's reach
                "due_on": w["closed"].rating_due.isoformat(),
            },
            MANAGERS,
            {"member": 403, "peer": 404},  # the member attended; the peer did not
            lambda: w["meeting"].rectifications.count() == 1 + 4,
        ),
        (
            "cycle_edit",
            [r],
            lambda role: {**deadlines, "peer_reviews_shown_to_reviewed": "on"},
            MANAGERS,
            403,
            lambda: AppraisalCycle.objects.get(pk=r).peer_reviews_shown_to_reviewed,
        ),
        (
            "cycle_open",
            [],
            lambda role: {
                "branches": [getattr(cast, OWN_BRANCH.get(role, "branch")).pk],
                "year": YEAR + 5,
                **deadlines,
            },
            MANAGERS | {"other_secretary", "other_organizer"},
            {"outsider": 403},
            lambda: AppraisalCycle.objects.filter(year=YEAR + 5).count() == 3,
        ),
        (
            "meeting_create",
            [],
            lambda role: meeting_data(role, f"新会议 {role}"),
            MANAGERS | {"other_secretary", "other_organizer"},
            {"outsider": 403},
            lambda: LifeMeeting.objects.filter(title__startswith="新会议").count() == 6,
        ),
        (
            "meeting_edit",
            [w["meeting"].pk],
            lambda role: {
                **meeting_data(role if role in MANAGERS else "secretary", "改过的会议"),
                "attendees": [cast.member.pk, cast.secretary.pk],
            },
            MANAGERS,
            {"member": 403, "peer": 404},
            lambda: LifeMeeting.objects.get(pk=w["meeting"].pk).title == "改过的会议",
        ),
        (
            "publicity",
            [publicity.pk],
            lambda role: {"text": f"异议 {role}", "about": cast.member.pk},
            PARTICIPANTS,  # during publicity, those taking part file objections
            {"organizer": 403, "admin": 403},
            lambda: publicity.objections.count() == 4,
        ),
    ]


def test_every_form_post_for_every_role(world, login, cast):
    world["rating_cycle"] = move_to(open_cycle(cast.branch, year=YEAR - 2), Step.RATING)
    world["publicity_cycle"] = move_to(open_cycle(cast.branch, year=YEAR - 3), Step.PUBLICITY)
    failures = []
    for name, args, data, allowed, denied, check in _form_posts(world, cast):
        url = reverse(f"appraisal:{name}", args=args)
        for role in ROLES:
            response = login(role).post(url, data(role))
            if role == "anonymous":
                want = 302
                if "/accounts/login/" not in response.get("Location", ""):
                    failures.append(f"POST {name} as anonymous: not sent to the login page")
            elif role in allowed:
                want = 302  # done, and redirected (a form error would render 200)
            elif isinstance(denied, dict) and role in denied:
                want = denied[role]
            elif role in OUTSIDE:
                want = 404
            else:
                want = denied if isinstance(denied, int) else 403
            if response.status_code != want:
                failures.append(f"POST {name}{args} as {role}: {response.status_code} != {want}")
        if not check():
            failures.append(f"POST {name}{args}: the allowed roles' writes are not all there")
    assert not failures, "\n".join(failures)
