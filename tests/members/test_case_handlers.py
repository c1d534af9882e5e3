"""Who handles a protection case: designated organizers reaching the organization, access that
ends with the position, a warning when nobody above would handle a case, and the history of
designations and assignments (never deleted)."""

from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from members.models import Notification, Position, Role
from members.protection import services
from members.protection.models import CaseAssignment, ProtectionCase
from members.protection.selectors import handler_candidates
from members.services import DomainError
from tests.factories import make_member, make_position
from tests.members.protection_helpers import MARKER


def _end_position(member, organization):
    # One save per row, as the admin and the services write positions: a save tells the
    # scope cache (members.permissions) that this member's reach changed.
    positions = Position.objects.filter(member=member, organization=organization)
    for position in positions.exclude(role=Role.CASE_HANDLER):
        position.ended_on = timezone.localdate() - timedelta(days=1)
        position.save()


def _detail(case):
    return reverse("members:case_detail", args=[case.ref])


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


def test_a_handler_with_an_assignment_cannot_be_deleted(cast, world):
    with pytest.raises(ProtectedError):
        cast.committee_member.delete()


def test_open_page_warns_when_nobody_above_would_handle_a_case(login, cast):
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' in page.content.decode()
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' not in page.content.decode()
    _end_position(cast.organizer, cast.c1)  # a former organizer does not count
    page = login("member").get(reverse("members:case_open"))
    assert 'data-testid="no-handler"' in page.content.decode()


def test_designations_and_assignments_keep_history(cast, world):
    assert world.designation.history.count() == 1
    services.case_unassign(actor=cast.organizer.account, assignment=world.assignment)
    history = CaseAssignment.history.filter(id=world.assignment.pk).order_by("history_id")
    assert [h.history_type for h in history] == ["+", "~"]
    assert history.last().removed_at is not None


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
    assert not Position.objects.filter(role=Role.CASE_HANDLER, member=cast.secretary).exists()
