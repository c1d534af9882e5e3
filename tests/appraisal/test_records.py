"""Closed records cannot be edited; a correction is an amendment with a reason, kept beside
the original, and both are in history. Records show on /me/."""

import pytest
from django.urls import reverse

from appraisal.models import (
    AppraisalRecord,
    Grade,
    ImmutableRecordError,
    Rating,
    RecordAmendment,
    Step,
)
from appraisal.services.publicity import record_amend
from appraisal.services.rating import ratings_save
from members.models import AuditEntry
from members.services import DomainError
from tests.appraisal.cycles import YEAR, move_to, open_cycle


@pytest.fixture
def record(cast):
    cycle = move_to(open_cycle(cast.branch), Step.CLOSED)
    return AppraisalRecord.objects.get(cycle=cycle, member=cast.member)


def test_closing_writes_one_record_per_participant_with_the_approved_grade(record, cast):
    records = AppraisalRecord.objects.filter(cycle=record.cycle)
    assert records.count() == 4
    assert {r.grade for r in records} == {Grade.QUALIFIED}
    assert record.year == YEAR
    assert record.history.count() == 1


def test_a_closed_record_cannot_be_edited_or_deleted(record):
    record.grade = Grade.EXCELLENT
    with pytest.raises(ImmutableRecordError):
        record.save()
    with pytest.raises(ImmutableRecordError):
        AppraisalRecord.objects.filter(pk=record.pk).update(grade=Grade.EXCELLENT)
    with pytest.raises(ImmutableRecordError):
        record.delete()
    with pytest.raises(ImmutableRecordError):
        AppraisalRecord.objects.filter(pk=record.pk).delete()
    assert AppraisalRecord.objects.get(pk=record.pk).grade == Grade.QUALIFIED


def test_ratings_cannot_change_after_the_cycle_closes(record, cast):
    with pytest.raises(DomainError):
        ratings_save(cycle=record.cycle, entries={cast.member.pk: (Grade.EXCELLENT, "")})
    assert Rating.objects.get(cycle=record.cycle, member=cast.member).grade == Grade.QUALIFIED


def test_amendment_keeps_the_original_and_its_reason(record, cast):
    actor = cast.users["secretary"]
    with pytest.raises(DomainError, match="reason"):
        record_amend(record=record, grade=Grade.EXCELLENT, reason=" ", actor=actor)
    first = record_amend(
        record=record, grade=Grade.EXCELLENT, reason="漏计表彰，经党委复核更正", actor=actor
    )
    second = record_amend(record=record, grade=Grade.QUALIFIED, reason="复核撤回", actor=actor)
    record = AppraisalRecord.objects.prefetch_related("amendments").get(pk=record.pk)
    assert record.grade == Grade.QUALIFIED  # the decided grade stays
    assert [a.reason for a in record.amendments.all()] == ["漏计表彰，经党委复核更正", "复核撤回"]
    assert record.current_grade == Grade.QUALIFIED
    assert first.history.count() == 1 and second.history.count() == 1
    with pytest.raises(ImmutableRecordError):
        first.reason = "改写"
        first.save()
    assert AuditEntry.objects.filter(action="appraisal.record_amended").count() == 2


def test_amendment_through_the_page(record, login, cast):
    url = reverse("appraisal:record_detail", args=[record.pk])
    assert login("member").post(url, {"grade": "excellent", "reason": "自己改"}).status_code == 403
    response = login("secretary").post(url, {"grade": "excellent", "reason": "更正"})
    assert response.status_code == 302
    assert RecordAmendment.objects.filter(record=record).count() == 1
    page = login("member").get(url).content.decode()
    assert "更正" in page


def test_record_shows_on_my_record(record, login, cast):
    record_amend(record=record, grade=Grade.EXCELLENT, reason="更正")
    page = login("member").get(reverse("my_record") + f"?year={YEAR}").content.decode()
    assert 'data-testid="appraisal-record"' in page
    assert reverse("appraisal:record_detail", args=[record.pk]) in page
    other_year = login("member").get(reverse("my_record") + f"?year={YEAR - 1}").content.decode()
    assert 'data-testid="appraisal-record"' not in other_year


def test_rating_changes_keep_history(cast):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    ratings_save(cycle=cycle, entries={cast.member.pk: (Grade.QUALIFIED, "")})
    ratings_save(cycle=cycle, entries={cast.member.pk: (Grade.BASICALLY_QUALIFIED, "缺课")})
    rating = Rating.objects.get(cycle=cycle, member=cast.member)
    assert [h.grade for h in rating.history.order_by("history_date")] == [
        "qualified",
        "basically_qualified",
    ]


def test_a_secretary_cannot_amend_their_own_record(cast, login):
    closed = move_to(open_cycle(cast.branch), Step.CLOSED)
    own = closed.records.get(member=cast.secretary)
    secretary = cast.users["secretary"]
    assert secretary.has_perm("appraisal.view_record", own)
    assert not secretary.has_perm("appraisal.amend_record", own)
    url = reverse("appraisal:record_detail", args=[own.pk])
    client = login("secretary")
    assert client.get(url).status_code == 200
    assert client.post(url, {"grade": "excellent", "reason": "自己改"}).status_code == 403
    with pytest.raises(DomainError, match="own"):
        record_amend(record=own, grade=Grade.EXCELLENT, reason="自己改", actor=secretary)
    assert not RecordAmendment.objects.exists()
    # Another member of the committee, or the organizer above, may.
    assert (
        login("committee_member").post(url, {"grade": "excellent", "reason": "更正"}).status_code
        == 302
    )
    assert cast.users["organizer"].has_perm("appraisal.amend_record", own)
    others = closed.records.get(member=cast.member)
    assert secretary.has_perm("appraisal.amend_record", others)
