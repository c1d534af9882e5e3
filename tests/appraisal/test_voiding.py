"""Appraisal cycles, life-meeting records and commendations entered or run in error are voided
with a written reason from their pages, never deleted: the record stays readable (marked
voided, with the reason, in its list too), the history shows who voided it and why, those
concerned are told, and it stops counting wherever it counted.
"""

from datetime import date

import pytest
from django.urls import reverse

from appraisal import figures as appraisal_figures
from appraisal.commendations import selectors as commendation_selectors
from appraisal.commendations import services as commendation_services
from appraisal.models import (
    AppraisalCycle,
    AppraisalRecord,
    BallotBox,
    CommendationStatus,
    LifeMeeting,
    Rectification,
    Step,
)
from appraisal.selectors import meetings as meeting_selectors
from appraisal.selectors import sections
from appraisal.services.cycles import cycle_update, cycle_void
from appraisal.services.meetings import life_meeting_save, rectification_add
from appraisal.services.moves import cycle_move
from appraisal.services.notices import rectification_reminders_send
from appraisal.templatetags.appraisal_dashboard import dashboard_cycle_rows
from members.models import Notification
from members.permissions import scope_for
from members.services import DomainError
from tests.appraisal.commendation_helpers import propose, publish
from tests.appraisal.cycles import YEAR, move_to, open_cycle, vote
from tests.factories import propagate_figures


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _void_from_its_page(client, kind, record, reason):
    """Void `record` the way a person does: its page offers the step, the reason is posted,
    and its page comes back showing the reason and no longer offering the step."""
    detail = reverse(f"appraisal:{kind}_detail", args=[record.pk])
    assert 'data-testid="void-step"' in client.get(detail).content.decode()
    void = reverse(f"appraisal:{kind}_void", args=[record.pk])
    response = client.post(void, {"reason": reason}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    page = response.content.decode()
    assert 'data-testid="void-reason"' in page and reason in page
    assert 'data-testid="void-step"' not in page


def _progress(cast, year):
    propagate_figures()
    rows = appraisal_figures.figures_for([cast.branch.pk, cast.root.pk], year)
    return {pk: (row.cycles, row.closed) for pk, row in rows.items()}


# --- appraisal cycles ------------------------------------------------------------------------


@pytest.fixture
def closed_cycle(cast):
    cycle = move_to(open_cycle(cast.branch, year=YEAR - 1), Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    return move_to(cycle, Step.CLOSED)


def test_voiding_a_closed_cycle_keeps_it_and_stops_it_counting(
    cast, login, closed_cycle, django_assert_num_queries
):
    year = closed_cycle.year
    assert _progress(cast, year)[cast.root.pk] == (1, 1)
    assert sections.record_section(cast.member, year=year)["records"]
    client = login("organizer")
    _void_from_its_page(client, "cycle", closed_cycle, "评议年度选错了，应为下一年")

    cycle = AppraisalCycle.objects.get(pk=closed_cycle.pk)
    assert cycle.is_voided and cycle.void_reason == "评议年度选错了，应为下一年"
    assert cycle.voided_by == cast.users["organizer"]
    # Nothing is deleted; nothing of it counts.
    assert AppraisalRecord.objects.filter(cycle=cycle).count() == cycle.participants.count()
    assert _progress(cast, year)[cast.root.pk] == (0, 0)
    assert _progress(cast, year)[cast.branch.pk] == (0, 0)
    assert sections.record_section(cast.member, year=year) is None
    record = AppraisalRecord.objects.get(cycle=cycle, member=cast.member)
    record_page = client.get(reverse("appraisal:record_detail", args=[record.pk]))
    assert "评议年度选错了" in record_page.content.decode()
    # Its history: who voided it and why.
    last = cycle.history.latest()
    assert last.history_user == cast.users["organizer"]
    assert "评议年度选错了" in last.history_change_reason
    assert last.voided_at is not None
    # The participants are told, with the reason.
    told = Notification.objects.filter(kind="appraisal.cycle_voided", subject_id=str(cycle.pk))
    assert set(told.values_list("recipient_id", flat=True)) == set(
        cycle.participants.values_list("member_id", flat=True)
    )
    assert "评议年度选错了" in told.first().body
    # Listed, marked voided with the reason.
    listing = client.get(reverse("appraisal:cycle_list")).content.decode()
    assert 'data-testid="voided-badge"' in listing and "评议年度选错了" in listing
    # So are the rows of the appraisal section on the organizer's home, with what they read.
    organizer = cast.users["organizer"]
    section = sections.dashboard_section(organizer, scope_for(organizer), year=year)
    (row,) = [c for c in section["managed"] if c.pk == cycle.pk]
    with django_assert_num_queries(0):
        rows = dashboard_cycle_rows([row])
    assert 'data-testid="voided-badge"' in rows and "评议年度选错了" in rows


def test_voiding_a_cycle_in_its_ballot_closes_the_ballot_and_stops_every_write(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    vote(cycle, cast.member)
    response = login("secretary").post(
        reverse("appraisal:cycle_void", args=[cycle.pk]), {"reason": "支部选错，应为第二支部"}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.is_voided and cycle.step == Step.BALLOT
    assert BallotBox.objects.get(cycle=cycle).closed_at is not None
    with pytest.raises(DomainError):
        vote(cycle, cast.peer)
    with pytest.raises(DomainError):
        cycle_move(cycle=cycle, to_step=Step.RATING, reason="继续")
    with pytest.raises(DomainError):
        cycle_update(cycle=cycle, rating_due=date(YEAR, 12, 30))
    assert sections.record_section(cast.member, year=YEAR) is None  # nothing left to do
    assert _progress(cast, YEAR)[cast.root.pk] == (0, 0)


def test_after_voiding_a_new_cycle_can_be_opened_for_the_year(cast):
    cycle = open_cycle(cast.branch)
    cycle_void(cycle=cycle, reason="截止日期全填错了", actor=cast.users["secretary"])
    again = open_cycle(cast.branch)
    assert again.pk != cycle.pk
    assert _progress(cast, YEAR)[cast.root.pk] == (1, 0)
    with pytest.raises(DomainError):
        open_cycle(cast.branch)  # one running cycle a year, still


# --- life meetings ---------------------------------------------------------------------------


@pytest.fixture
def meeting(cast):
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=date(YEAR, 6, 1),
        title="专题组织生活会",
        attendees=[cast.member, cast.secretary],
    )
    rectification_add(
        meeting=meeting, description="加强理论学习", owner=cast.member, due_on=date(YEAR, 7, 1)
    )
    return meeting


def test_voiding_a_meeting_record_keeps_it_listed_and_its_items_no_longer_due(cast, login, meeting):
    assert meeting_selectors.own_rectifications(cast.member.pk)
    client = login("secretary")
    _void_from_its_page(client, "meeting", meeting, "同一次会议录入了两遍")

    meeting = LifeMeeting.objects.get(pk=meeting.pk)
    assert meeting.is_voided and meeting.voided_by == cast.users["secretary"]
    assert Rectification.objects.filter(meeting=meeting).count() == 1
    assert meeting_selectors.own_rectifications(cast.member.pk) == []
    assert rectification_reminders_send(today=date(YEAR, 7, 1)) == 0
    told = Notification.objects.get(kind="appraisal.life_meeting_voided")
    assert told.recipient == cast.member and "同一次会议录入了两遍" in told.body
    listing = client.get(reverse("appraisal:meeting_list")).content.decode()
    assert 'data-testid="voided-badge"' in listing and "同一次会议录入了两遍" in listing
    last = meeting.history.latest()
    assert last.history_user == cast.users["secretary"]
    assert "同一次会议录入了两遍" in last.history_change_reason
    with pytest.raises(DomainError):
        life_meeting_save(meeting=meeting, title="改名")


# --- commendations ---------------------------------------------------------------------------


@pytest.fixture
def published(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return publish(cast, propose(cast))


def test_voiding_a_published_commendation_stops_it_counting_and_tells_the_member(
    cast, login, published
):
    year = published.awarded_on.year
    assert commendation_selectors.commendations_by_member([cast.member.pk], year)
    client = login("organizer")
    _void_from_its_page(client, "commendation", published, "表彰对象录错了人")

    published.refresh_from_db()
    assert published.status == CommendationStatus.VOIDED
    assert published.voided_by == cast.users["organizer"]
    assert commendation_selectors.commendations_by_member([cast.member.pk], year) == {}
    assert commendation_selectors.published_commendations(cast.member) == []
    assert not commendation_selectors.organization_commendations(cast.branch).exists()
    told = Notification.objects.get(kind="appraisal.commendation_voided")
    assert told.recipient == cast.member and "表彰对象录错了人" in told.body
    listing = client.get(reverse("appraisal:commendation_list"), {"year": year}).content.decode()
    assert 'data-testid="voided-badge"' in listing and "表彰对象录错了人" in listing
    last = published.history.latest()
    assert last.status == CommendationStatus.VOIDED
    assert last.history_user == cast.users["organizer"]
    assert "表彰对象录错了人" in last.history_change_reason


def test_a_rejected_proposal_is_not_voided(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    proposal = propose(cast)
    commendation_services.commendation_reject(
        actor=cast.users["organizer"], commendation=proposal, reason="材料不足"
    )
    with pytest.raises(DomainError):
        commendation_services.commendation_void(
            commendation=proposal, reason="录错了", actor=cast.users["organizer"]
        )


# --- what every void shares ------------------------------------------------------------------

# kind -> (fixture, URL name, who voids it, the refusal of a second void, {role: status} of
# those who may not: 403 within reach, 404 beyond it)
KINDS = {
    # Once the organization above approved the rating, only it may void the cycle.
    "cycle": (
        "closed_cycle",
        "appraisal:cycle_void",
        "organizer",
        "This appraisal cycle is already voided.",
        {"secretary": 403, "member": 403, "other_secretary": 404},
    ),
    "meeting": (
        "meeting",
        "appraisal:meeting_void",
        "secretary",
        "This meeting record is already voided.",
        {"member": 403, "other_secretary": 404},
    ),
    # The awarding level (C1) voids it; never the one commended, nor the proposing secretary.
    "commendation": (
        "published",
        "appraisal:commendation_void",
        "organizer",
        "This commendation is already voided.",
        {"member": 403, "secretary": 403, "other_organizer": 404},
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_void_needs_a_reason_and_happens_once(request, login, kind):
    fixture, name, role, already, _others = KINDS[kind]
    record = request.getfixturevalue(fixture)
    url = reverse(name, args=[record.pk])
    client = login(role)
    response = client.post(url, {"reason": "  "}, follow=True)
    assert "Say why it is voided." in _messages(response)
    record.refresh_from_db()
    assert not record.is_voided
    client.post(url, {"reason": "第一次"})
    response = client.post(url, {"reason": "第二次"}, follow=True)
    assert already in _messages(response)
    record.refresh_from_db()
    assert record.void_reason == "第一次"
    assert record.history.filter(voided_at__isnull=False).count() == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_void_is_post_only_and_refused_to_others(request, login, kind):
    fixture, name, role, _already, others = KINDS[kind]
    record = request.getfixturevalue(fixture)
    url = reverse(name, args=[record.pk])
    for other, status in others.items():
        assert login(other).post(url, {"reason": "x"}).status_code == status, other
    assert login(role).get(url).status_code == 405
    record.refresh_from_db()
    assert not record.is_voided
