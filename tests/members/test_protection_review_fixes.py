"""Issue 5 review: confidentiality gaps in protection cases, each pinned by a test that fails
without its fix (organizer access ends with the position, the case stays with its branch,
the site admin learns nothing, notices carry no case content, refs instead of sequential
numbers, reopened cases announced again, overdue follow-ups, history of who handles)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import ProtectedError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.models import Member, Notification, Position, Role
from members.protection import services
from members.protection.models import CaseAssignment, ProtectionCase
from members.protection.selectors import handler_candidates
from members.services import DomainError, member_transfer, pending_emails_send
from tests.factories import make_member, make_position
from tests.members.protection_helpers import MARKER, accept_and_act, build_world, open_case


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast)


def _end_position(member, organization):
    # One save per row, as the admin and the services write positions: a save tells the
    # scope cache (members.permissions) that this member's reach changed.
    positions = Position.objects.filter(member=member, organization=organization)
    for position in positions.exclude(role=Role.CASE_HANDLER):
        position.ended_on = timezone.localdate() - timedelta(days=1)
        position.save()


def _detail(case):
    return reverse("members:case_detail", args=[case.ref])


# --- 1. access ends when someone stops being an organizer -------------------------------


def test_former_organizer_loses_the_case_its_files_and_its_reminders(login, cast, world):
    client = login("organizer")
    assert client.get(_detail(world.case)).status_code == 200
    _end_position(cast.organizer, cast.c1)  # the designation itself stays active
    client = login("organizer")
    assert client.get(_detail(world.case)).status_code == 404
    evidence_url = reverse("members:case_evidence", args=[world.evidence.ref])
    assert client.get(evidence_url).status_code == 404
    page = client.get(reverse("members:case_list") + f"?q={MARKER}").content.decode()
    assert 'data-testid="case-list"' not in page
    # Nor told of new cases or follow-ups (the assigned handler still is).
    assert services.case_new_report_reminders_send() == 0
    CaseAssignment.objects.update(removed_at=timezone.now())
    case = ProtectionCase.objects.get(pk=world.case.pk)
    case.status = "in_progress"
    case.save()
    case.actions.create(
        kind="talk",
        acted_on=timezone.localdate(),
        description="谈话",
        follow_up_due=timezone.localdate(),
    )
    assert services.case_follow_up_reminders_send() == 0
    assert not Notification.objects.filter(recipient=cast.organizer).exists()


def test_former_organizer_is_not_offered_as_a_handler(cast, world):
    case = ProtectionCase.objects.select_related("branch", "member").get(pk=world.case.pk)
    assert cast.organizer in handler_candidates(case)
    _end_position(cast.organizer, cast.c1)
    assert cast.organizer not in handler_candidates(case)


def test_only_an_organizer_reaching_the_organization_can_be_designated(cast):
    # The branch secretary is no organizer at C1; the other organizer reaches C2, not C1.
    for member in (cast.secretary, cast.other_organizer):
        with pytest.raises(DomainError):
            services.handler_designate(member=member, organization=cast.c1)
    assert not Position.objects.filter(role=Role.CASE_HANDLER).exists()
    # An organizer at the root reaches C1 below it.
    root_organizer = make_member(cast.far_branch, "钱进", account="root_organizer")
    make_position(root_organizer, cast.root, Role.ORGANIZER)
    services.handler_designate(member=root_organizer, organization=cast.c1)


# --- 2. the case stays with the branch it was opened in ---------------------------------


def test_case_stays_with_its_branch_when_the_member_moves(login, cast, world):
    assert world.case.branch == cast.branch
    member_transfer(
        member=cast.member, to_organization=cast.far_branch, transferred_on=timezone.localdate()
    )
    assert Member.objects.get(pk=cast.member.pk).branch == cast.far_branch
    # other_organizer is designated for C2, above the member's new branch: still nothing.
    assert login("other_organizer").get(_detail(world.case)).status_code == 404
    assert login("organizer").get(_detail(world.case)).status_code == 200
    assert login("member").get(_detail(world.case)).status_code == 200
    services.case_new_report_reminders_send()
    told = set(
        Notification.objects.filter(kind="protection.case_reported").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {cast.organizer.pk}


# --- 3. the site admin learns nothing ----------------------------------------------------


def test_admin_notification_list_and_search_leave_out_case_notices(login, cast, world):
    services.case_new_report_reminders_send()
    assert Notification.objects.filter(kind__startswith="protection.").count() >= 2
    client = login("admin")
    url = reverse("admin:members_notification_changelist")
    for query in ("", "?q=protection", "?q=张伟", "?q=刘洋", "?kind=protection.case_assigned"):
        response = client.get(url + query)
        page = response.content.decode()
        assert response.context["cl"].result_count == 0
        assert response.context["cl"].full_result_count == 0  # "N total" is not told either
        if "kind" not in query:  # (the filter's own value is echoed in links)
            assert "protection.case" not in page  # not even among the kind filter's choices
        assert "handle a protection case" not in page
        assert "waits to be accepted" not in page
    notice = Notification.objects.filter(kind="protection.case_assigned").get()
    change = reverse("admin:members_notification_change", args=[notice.pk])
    assert client.get(change).status_code in (302, 404)


def test_admin_cannot_delete_a_member_or_position(login, cast, world):
    client = login("admin")
    url = reverse("admin:members_member_delete", args=[cast.member.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert MARKER not in response.content.decode()
    assert "rotection" not in response.content.decode()
    changelist = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert "delete_selected" not in changelist
    position = Position.objects.get(
        member=cast.organizer, organization=cast.c1, role=Role.ORGANIZER
    )
    assert client.get(reverse("admin:members_position_delete", args=[position.pk])).status_code == (
        403
    )


def test_a_handler_with_an_assignment_cannot_be_deleted(cast, world):
    with pytest.raises(ProtectedError):
        cast.committee_member.delete()


# --- 4. follow-up notes stay inside the case ---------------------------------------------


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


# --- 5. no sequential numbers -------------------------------------------------------------


def test_cases_and_files_are_named_by_ref_not_number(login, cast, world):
    case, evidence = world.case, world.evidence
    assert case.ref and evidence.ref and case.ref != evidence.ref
    with pytest.raises(NoReverseMatch):
        reverse("members:case_detail", args=[case.pk])
    client = login("member")
    assert client.get(f"/members/cases/{case.pk}/").status_code == 404
    assert client.get(f"/members/cases/evidence/{evidence.pk}/").status_code == 404
    page = client.get(_detail(case)).content.decode()
    assert case.ref.hex[:8] in page
    assert f"#{case.pk}" not in page
    assert reverse("members:case_evidence", args=[evidence.ref]) in page
    listing = client.get(reverse("members:case_list")).content.decode()
    assert _detail(case) in listing and f"#{case.pk}" not in listing
    notice = Notification.objects.get(kind="protection.case_assigned")
    assert notice.url == _detail(case)
    assert str(case) == gettext("Protection case %(ref)s") % {"ref": case.ref.hex[:8]}


# --- 10. reopened cases, and nobody to tell -----------------------------------------------


def test_a_reopened_declined_case_is_announced_again(cast, world):
    assert services.case_new_report_reminders_send() == 1
    services.case_decline(actor=cast.organizer.account, case=world.case, reason="不属于保护范围")
    services.case_reopen(actor=cast.organizer.account, case=world.case, reason="补充了材料")
    assert services.case_new_report_reminders_send() == 1
    assert services.case_new_report_reminders_send() == 0
    assert (
        Notification.objects.filter(
            recipient=cast.organizer, kind__startswith="protection.case_reported"
        ).count()
        == 2
    )


def test_open_page_warns_when_nobody_above_would_handle_a_case(login, cast):
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' in page.content.decode()
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' not in page.content.decode()
    _end_position(cast.organizer, cast.c1)  # a former organizer does not count
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' in page.content.decode()


# --- 11. an overdue follow-up is announced once more --------------------------------------


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


# --- 12. who handled what is kept ----------------------------------------------------------


def test_designations_and_assignments_keep_history(cast, world):
    assert world.designation.history.count() == 1
    services.case_unassign(actor=cast.organizer.account, assignment=world.assignment)
    history = CaseAssignment.history.filter(id=world.assignment.pk).order_by("history_id")
    assert [h.history_type for h in history] == ["+", "~"]
    assert history.last().removed_at is not None


def test_case_open_keeps_the_branch_even_on_behalf(cast):
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    case = open_case(cast.secretary, member=cast.peer)
    assert case.branch_id == cast.branch.pk


def test_designations_in_admin_keep_history_and_are_never_deleted(login, cast, world):
    client = login("admin")
    pk = world.designation.pk
    history = client.get(reverse("admin:members_position_history", args=[pk]))
    assert history.status_code == 200
    delete = client.get(reverse("admin:members_position_delete", args=[pk]))
    assert delete.status_code == 403
    # The admin cannot designate someone who is not an organizer there.
    response = client.post(
        reverse("admin:members_position_add"),
        {
            "member": cast.secretary.pk,
            "organization": cast.c1.pk,
            "role": Role.CASE_HANDLER,
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Position.objects.filter(member=cast.secretary, role=Role.CASE_HANDLER).exists()
