"""Notices about a protection case: the member is told once when a case is opened for them,
follow-up reminders carry no case content, reopened and overdue cases are announced again,
and a removed handler's notices go."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.models import Member, Notification
from members.protection import services
from members.protection.models import (
    ProtectionCase,
)
from members.services import pending_emails_send
from tests.members.protection_helpers import (
    MARKER,
    accept_and_act,
    open_case,
)


def test_follow_up_reminder_carries_no_case_content(cast, world):
    Member.objects.filter(pk=cast.committee_member.pk).update(email="liuyang@example.org")
    action = accept_and_act(cast, world.case, follow_up_due=timezone.localdate())
    assert action.follow_up_note == "确认平台处理结果"
    mail.outbox = []
    assert services.case_follow_up_reminders_send() == 1
    notice = Notification.objects.get(kind="protection.follow_up_due")
    assert action.follow_up_note not in notice.title + notice.body
    assert notice.body == gettext("Open the case to see the follow-up.")
    assert pending_emails_send() >= 1
    sent = [m for m in mail.outbox if "liuyang@example.org" in m.to]
    assert sent
    for message in sent:
        text = message.subject + message.body + "".join(str(a[0]) for a in message.alternatives)
        assert action.follow_up_note not in text
        assert MARKER not in text


def test_a_reopened_declined_case_is_announced_again(cast, world):
    assert services.case_new_report_reminders_send() == 1
    services.case_transition(
        action="decline", actor=cast.organizer.account, case=world.case, reason="不属于保护范围"
    )
    services.case_transition(
        action="reopen", actor=cast.organizer.account, case=world.case, reason="补充了材料"
    )
    assert services.case_new_report_reminders_send() == 1
    assert services.case_new_report_reminders_send() == 0
    assert (
        Notification.objects.filter(
            recipient=cast.organizer, kind__startswith="protection.case_reported"
        ).count()
        == 2
    )


def test_overdue_follow_up_is_announced_a_week_after(cast, world):
    today = timezone.localdate()
    due = today - timedelta(days=10)
    action = accept_and_act(cast, world.case, follow_up_due=today)
    action.follow_up_due = due
    action.save()
    sent = services.case_follow_up_reminders_send(today=due + timedelta(days=6))
    assert sent == 1  # the due-date notice only
    assert services.case_follow_up_reminders_send(today=due + timedelta(days=7)) == 1
    assert services.case_follow_up_reminders_send(today=due + timedelta(days=9)) == 0
    overdue = Notification.objects.get(kind="protection.follow_up_overdue")
    assert overdue.due_date == due + timedelta(days=7)
    assert overdue.recipient == cast.committee_member
    assert action.follow_up_note not in overdue.body


def _notices(member, case):
    return Notification.objects.filter(
        recipient=member,
        subject_type=ContentType.objects.get_for_model(ProtectionCase),
        subject_id=str(case.pk),
    )


def test_member_is_told_once_when_a_case_is_opened_on_their_behalf(cast, world, login):
    case = open_case(cast.secretary, member=cast.peer, description="王芳受到威胁ZZ9。")
    notices = list(_notices(cast.peer, case))
    assert len(notices) == 1
    notice = notices[0]
    assert notice.kind == "protection.case_opened_for"
    assert "ZZ9" not in notice.title + notice.body and case.place not in notice.body
    assert notice.url == reverse("members:case_detail", args=[case.ref])
    # Once: accepting it later sends its own notice, not this one again.
    services.case_accept(actor=cast.organizer.account, case=case)
    assert _notices(cast.peer, case).filter(kind="protection.case_opened_for").count() == 1
    # And the member can open what the notice links to.
    assert login("peer").get(notice.url).status_code == 200


def test_member_opening_their_own_case_gets_no_such_notice(cast, world):
    assert not _notices(cast.member, world.case).filter(kind="protection.case_opened_for")


def test_unassigning_removes_the_handlers_notices_about_the_case(cast, world, login):
    handler = cast.committee_member
    assert _notices(handler, world.case).exists()  # "asked to handle"
    other = open_case(cast.peer)
    services.case_assign(actor=cast.organizer.account, case=other, handler=handler)
    services.case_unassign(actor=cast.organizer.account, assignment=world.assignment)
    assert not _notices(handler, world.case).exists()
    assert _notices(handler, other).exists()  # other cases' notices stay
    inbox = login("committee_member").get(reverse("members:inbox")).content.decode()
    assert reverse("members:case_detail", args=[world.case.ref]) not in inbox
    # Assigned again the same day, they are told again.
    services.case_assign(actor=cast.organizer.account, case=world.case, handler=handler)
    assert _notices(handler, world.case).count() == 1
