"""Records with attendance, ballots or decisions are voided with a reason, never deleted.

A held session is voided from its page with a written reason: its attendance rows stay, the
history shows the void and the branches it counted for, and the summaries (study hours, the
regular-meeting grid) stop counting it. The Django admin cannot delete a session, its
attendance, an appraisal cycle, a rating, a commendation or a life meeting, and the
database refuses to cascade a deletion into attendance.
"""

from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from appraisal.commendations.models import Commendation
from appraisal.models import AppraisalCycle, LifeMeeting, Rating
from education.models import (
    Attendance,
    BranchYearMeetings,
    MemberYearHours,
    Session,
    SessionState,
)
from tests.education.helpers import at, held


@pytest.fixture
def meeting(cast):
    return held(
        cast.branch,
        kind="general_meeting",
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "present", cast.peer: "present", cast.secretary: "absent"},
    )


def _hours(member):
    row = MemberYearHours.objects.filter(member=member, year=2025).first()
    return row.attended_hours if row else Decimal("0.0")


def test_voiding_a_held_session_keeps_its_rows_and_stops_it_counting(cast, login, meeting):
    assert _hours(cast.member) == Decimal("2.0")
    assert BranchYearMeetings.objects.get(branch=cast.branch, year=2025).general_meeting
    url = reverse("education:session_cancel", args=[meeting.pk])
    client = login("secretary")
    assert "void-confirm" in client.get(url).content.decode()

    # No reason, no void.
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert Session.objects.get(pk=meeting.pk).state == SessionState.HELD

    response = client.post(url, {"reason": "重复登记，同一次会议录了两遍"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == SessionState.CANCELLED
    assert meeting.void_reason == "重复登记，同一次会议录了两遍"
    assert Attendance.objects.filter(session=meeting).count() == 3
    # The services kept the summaries: no hours, no general meeting for the grid.
    assert _hours(cast.member) == Decimal("0.0")
    grid = BranchYearMeetings.objects.filter(branch=cast.branch, year=2025).first()
    assert grid is None or not grid.general_meeting
    detail = client.get(reverse("education:session_detail", args=[meeting.pk]))
    assert "重复登记" in detail.content.decode()

    # History: who voided, why, and which branches the session counted for.
    last = meeting.history.latest()
    assert last.history_user == cast.users["secretary"]
    assert "重复登记" in last.history_change_reason
    assert last.state == SessionState.CANCELLED
    assert [b.organization_id for b in last.branches.all()] == [cast.branch.pk]


def test_a_voided_session_cannot_be_logged_again(cast, login, meeting):
    client = login("secretary")
    client.post(reverse("education:session_cancel", args=[meeting.pk]), {"reason": "录错了"})
    response = client.get(reverse("education:session_detail", args=[meeting.pk]))
    assert "void-session" not in response.content.decode()
    assert Session.objects.get(pk=meeting.pk).state == SessionState.CANCELLED


def test_only_those_who_manage_the_session_may_void_it(cast, login, meeting):
    url = reverse("education:session_cancel", args=[meeting.pk])
    assert login("member").post(url, {"reason": "x"}).status_code == 403
    assert login("other_secretary").post(url, {"reason": "x"}).status_code == 404
    assert Session.objects.get(pk=meeting.pk).state == SessionState.HELD


def test_the_database_refuses_to_cascade_a_deletion_into_attendance(meeting):
    with pytest.raises(ProtectedError):
        Session.objects.filter(pk=meeting.pk).delete()
    assert Attendance.objects.filter(session=meeting).count() == 3


KEPT = [Session, Attendance, AppraisalCycle, Rating, LifeMeeting, Commendation]


@pytest.mark.parametrize("model", KEPT, ids=lambda m: m.__name__)
def test_the_admin_cannot_delete_kept_records(cast, login, meeting, model):
    from tests.appraisal.commendation_helpers import propose
    from tests.appraisal.cycles import open_cycle

    cycle = open_cycle(cast.branch)
    Rating.objects.create(cycle=cycle, member=cast.member, grade="qualified")
    LifeMeeting.objects.create(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=at(2025, 5, 1).date(),
        title="组织生活会",
    )
    propose(cast)
    obj = model.objects.first()
    info = (model._meta.app_label, model._meta.model_name)
    client = login("admin")
    delete_url = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    response = client.post(
        reverse("admin:{}_{}_changelist".format(*info)),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=obj.pk).exists()
    assert response.status_code in (200, 302)
