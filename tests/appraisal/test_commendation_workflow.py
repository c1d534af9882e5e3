"""Commendations: propose -> approve (or reject) -> publish, each move only in order and only
by the role that may make it; where a published commendation appears; reminders; exports;
bounded query counts."""

from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.commendations import services
from appraisal.commendations.models import Commendation, CommendationStatus, CommendationTitle
from appraisal.commendations.selectors import (
    commendation_record_section,
    commendations_by_member,
)
from appraisal.commendations.tasks import remind_commendation_approvers
from members.models import AuditEntry, Notification, Role
from members.services import DomainError
from tests.appraisal.commendation_helpers import pdf_file, propose, publish
from tests.factories import make_member, make_members, make_position


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _status(c):
    return Commendation.objects.get(pk=c.pk).status


# --- the workflow ------------------------------------------------------------------------


def test_propose_approve_publish_keeps_history(cast):
    c = propose(cast)
    assert c.status == CommendationStatus.PROPOSED and c.home_organization == cast.branch
    publish(cast, c)
    c = Commendation.objects.get(pk=c.pk)
    assert c.status == CommendationStatus.PUBLISHED
    assert c.decided_by == c.published_by == cast.users["organizer"]
    history = list(c.history.order_by("history_date", "history_id"))
    assert [h.status for h in history] == ["proposed", "approved", "published"]
    assert [h.history_user for h in history] == [
        cast.users["secretary"],
        cast.users["organizer"],
        cast.users["organizer"],
    ]
    assert Notification.objects.filter(
        recipient=cast.member, kind="appraisal.commendation_published"
    ).exists()


def test_publish_before_approval_is_refused(cast):
    c = propose(cast)
    with pytest.raises(DomainError):
        services.commendation_publish(actor=cast.users["organizer"], commendation=c)
    assert _status(c) == CommendationStatus.PROPOSED


def test_rejected_proposal_keeps_its_reason_and_cannot_be_approved(login, cast):
    c = propose(cast)
    with pytest.raises(DomainError):
        services.commendation_reject(actor=cast.users["organizer"], commendation=c, reason=" ")
    services.commendation_reject(
        actor=cast.users["organizer"], commendation=c, reason="事迹材料不足，请补充后重新推荐。"
    )
    for move in (services.commendation_approve, services.commendation_publish):
        with pytest.raises(DomainError):
            move(actor=cast.users["organizer"], commendation=c)
    with pytest.raises(DomainError):
        services.commendation_reject(actor=cast.users["organizer"], commendation=c, reason="x")
    c = Commendation.objects.get(pk=c.pk)
    assert c.status == CommendationStatus.REJECTED
    assert c.rejection_reason == "事迹材料不足，请补充后重新推荐。"
    page = login("secretary").get(reverse("appraisal:commendation_detail", args=[c.pk]))
    assert "事迹材料不足" in page.content.decode()


def test_approving_twice_is_refused(cast):
    c = propose(cast)
    services.commendation_approve(actor=cast.users["organizer"], commendation=c)
    with pytest.raises(DomainError):
        services.commendation_approve(actor=cast.users["organizer"], commendation=c)


@pytest.mark.parametrize(
    "role",
    ["secretary", "committee_member", "member", "peer", "other_secretary", "other_organizer"],
)
def test_wrong_roles_cannot_approve_reject_or_publish(cast, role):
    c = propose(cast)
    actor = cast.users[role]
    with pytest.raises(PermissionDenied):
        services.commendation_approve(actor=actor, commendation=c)
    with pytest.raises(PermissionDenied):
        services.commendation_reject(actor=actor, commendation=c, reason="x")
    services.commendation_approve(actor=cast.users["organizer"], commendation=c)
    with pytest.raises(PermissionDenied):
        services.commendation_publish(actor=actor, commendation=c)
    assert _status(c) == CommendationStatus.APPROVED


def test_proposer_cannot_approve_their_own_proposal(cast):
    c = propose(cast, by="organizer")
    with pytest.raises(PermissionDenied):
        services.commendation_approve(actor=cast.users["organizer"], commendation=c)
    services.commendation_approve(actor=cast.users["admin"], commendation=c)
    assert _status(c) == CommendationStatus.APPROVED


def test_branch_secretary_approves_what_the_branch_awards_itself(cast):
    c = propose(cast, by="committee_member", awarding=cast.branch)
    with pytest.raises(PermissionDenied):
        # An ordinary member of the branch does not decide for it.
        services.commendation_approve(actor=cast.users["peer"], commendation=c)
    services.commendation_approve(actor=cast.users["secretary"], commendation=c)
    assert _status(c) == CommendationStatus.APPROVED


def test_committee_member_cannot_approve_a_branch_award(cast):
    c = propose(cast, by="secretary", awarding=cast.branch)
    with pytest.raises(PermissionDenied):
        services.commendation_approve(actor=cast.users["committee_member"], commendation=c)


def test_proposals_only_for_managed_recipients_and_awarded_at_or_above(cast):
    with pytest.raises(PermissionDenied):
        propose(cast, by="secretary", member=cast.other_member)
    with pytest.raises(PermissionDenied):
        propose(cast, by="member")
    with pytest.raises(DomainError):
        propose(cast, by="organizer", awarding=cast.c2)  # not above the member's branch
    with pytest.raises(DomainError):
        propose(cast, title=CommendationTitle.ADVANCED_ORGANIZATION)  # a member is not an org
    with pytest.raises(DomainError):
        propose(cast, organization=cast.branch, title=CommendationTitle.OUTSTANDING_MEMBER)
    with pytest.raises(DomainError):
        propose(cast, title=CommendationTitle.OTHER, title_detail="")


def test_collective_commendation(cast):
    c = propose(
        cast,
        by="organizer",
        organization=cast.branch,
        title=CommendationTitle.ADVANCED_ORGANIZATION,
    )
    publish(cast, c, by="admin")
    assert c.is_collective and c.home_organization == cast.branch


def test_propose_through_the_page(login, cast):
    client = login("secretary")
    assert client.get(reverse("appraisal:commendation_propose")).status_code == 200
    response = client.post(
        reverse("appraisal:commendation_propose"),
        {
            "recipient_kind": "member",
            "member": cast.peer.pk,
            "title": "outstanding_member",
            "title_detail": "2025年度",
            "awarding_organization": cast.c1.pk,
            "reason": "带头学习，网上发声积极。",
            "awarded_on": "2025-06-28",
            "documents": [pdf_file()],
        },
    )
    c = Commendation.objects.get(member=cast.peer)
    assert response.status_code == 302
    assert c.documents.count() == 1 and c.title_detail == "2025年度"
    assert c.proposed_by == cast.users["secretary"] and c.status == CommendationStatus.PROPOSED


def test_propose_page_refuses_a_member_outside_the_branch(login, cast):
    response = login("secretary").post(
        reverse("appraisal:commendation_propose"),
        {
            "recipient_kind": "member",
            "member": cast.far_member.pk,
            "title": "outstanding_member",
            "awarding_organization": cast.c1.pk,
            "reason": "x",
            "awarded_on": "2025-06-28",
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert not Commendation.objects.exists()


# --- where a published commendation appears ----------------------------------------------


def test_published_commendation_appears_on_record_org_page_and_rating_reference(login, cast):
    c = propose(cast)
    hidden = propose(cast, reason="尚未批准的推荐")
    section = commendation_record_section(cast.member, year=2025)
    assert section["commendations"] == []
    publish(cast, c)
    section = commendation_record_section(cast.member, year=2025)
    assert [x.pk for x in section["commendations"]] == [c.pk]
    html = render_to_string("appraisal/_commendation_record_section.html", {"s": section})
    assert str(c.display_title) in html and 'data-testid="record-commendations"' in html
    org_page = (
        login("secretary")
        .get(reverse("appraisal:commendation_org", args=[cast.branch.pk]))
        .content.decode()
    )
    assert reverse("appraisal:commendation_detail", args=[c.pk]) in org_page
    assert reverse("appraisal:commendation_detail", args=[hidden.pk]) not in org_page
    assert commendations_by_member([cast.member.pk, cast.peer.pk], 2025) == {cast.member.pk: [c]}
    assert commendations_by_member([cast.member.pk], 2024) == {}


def test_commendations_by_member_is_one_query(cast, django_assert_num_queries):
    publish(cast, propose(cast))
    publish(cast, propose(cast, member=cast.peer))
    with django_assert_num_queries(1):
        result = commendations_by_member([cast.member.pk, cast.peer.pk, cast.secretary.pk], 2025)
    assert set(result) == {cast.member.pk, cast.peer.pk}


def test_list_filters_and_search(login, cast):
    a = propose(cast)
    publish(cast, a)
    b = propose(
        cast, member=cast.peer, reason="组织网络文明志愿服务。", awarded_on=date(2024, 7, 1)
    )
    c = propose(
        cast, by="organizer", member=cast.other_member, title=CommendationTitle.OUTSTANDING_MEMBER
    )
    client = login("organizer")

    def shown(query):
        page = client.get(reverse("appraisal:commendation_list") + query).content.decode()
        table = page[page.index('data-testid="commendation-table"') :]
        return {
            x.pk
            for x in (a, b, c)
            if reverse("appraisal:commendation_detail", args=[x.pk]) + '"' in table
        }

    assert shown("?year=2025") == {a.pk, c.pk}
    assert shown("?year=") == {a.pk, b.pk, c.pk}
    assert shown("?year=2024") == {b.pk}
    assert shown(f"?year=&organization={cast.other_branch.pk}") == {c.pk}
    assert shown("?year=&q=志愿服务") == {b.pk}
    assert shown("?year=&q=杨磊") == {c.pk}
    assert shown("?year=&status=published") == {a.pk}
    assert shown("?year=&title=outstanding_member") == {c.pk}
    assert shown("?year=&recipient=organization") == set()


def test_export_is_xlsx_of_the_filtered_list_and_is_audited(login, cast):
    publish(cast, propose(cast))
    propose(cast, member=cast.peer, awarded_on=date(2024, 7, 1))
    response = login("organizer").get(
        reverse("appraisal:commendation_export") + f"?year=2025&organization={cast.branch.pk}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "张伟"
    entry = AuditEntry.objects.get(action="appraisal.commendation.export")
    assert entry.actor == cast.users["organizer"] and entry.data["rows"] == 1
    assert entry.object_id == str(cast.branch.pk)


# --- reminders ---------------------------------------------------------------------------


def test_approvers_are_reminded_once_and_never_the_proposer(cast):
    c = propose(cast)
    remind_commendation_approvers.apply()
    remind_commendation_approvers.apply()
    sent = Notification.objects.filter(kind="appraisal.commendation_waiting")
    assert [(n.recipient_id, n.subject_id) for n in sent] == [(cast.organizer.pk, str(c.pk))]
    # Once decided, no more reminders for it.
    services.commendation_approve(actor=cast.users["organizer"], commendation=c)
    remind_commendation_approvers.apply()
    assert sent.count() == 1


def test_branch_award_reminds_the_branch_secretary(cast):
    propose(cast, by="committee_member", awarding=cast.branch)
    assert services.commendation_approver_reminders_send() == 1
    assert (
        Notification.objects.get(kind="appraisal.commendation_waiting").recipient == cast.secretary
    )


def test_reminders_go_to_the_nearest_level_with_approvers(cast):
    # Nobody decides at C2's level for a root award, so the root's organizer is told.
    root_organizer = make_member(cast.far_branch, "钱进", account="root_organizer")
    make_position(root_organizer, cast.root, Role.ORGANIZER)
    propose(cast, by="organizer", awarding=cast.root)
    services.commendation_approver_reminders_send()
    assert [
        n.recipient_id for n in Notification.objects.filter(kind="appraisal.commendation_waiting")
    ] == [root_organizer.pk]


# --- query counts ------------------------------------------------------------------------


def _many(cast, n):
    members = make_members(cast.branch, n)
    Commendation.objects.bulk_create(
        Commendation(
            member=m,
            home_organization=cast.branch,
            awarding_organization=cast.c1,
            title=CommendationTitle.OUTSTANDING_MEMBER,
            reason="x",
            awarded_on=date(2025, 7, 1),
            status=CommendationStatus.PUBLISHED,
            proposed_by=cast.users["secretary"],
        )
        for m in members
    )


@pytest.mark.parametrize("n", [5, 80])
@pytest.mark.parametrize(("name", "queries"), [("list", 7), ("org", 7), ("export", 6)])
def test_list_pages_query_count_is_exact(login, cast, n, name, queries, django_assert_num_queries):
    _many(cast, n)
    propose(cast)
    url = {
        "list": reverse("appraisal:commendation_list") + "?year=2025",
        "org": reverse("appraisal:commendation_org", args=[cast.branch.pk]) + "?year=2025",
        "export": reverse("appraisal:commendation_export") + "?year=2025",
    }[name]
    client = login("organizer")
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [2, 30])
def test_record_section_query_count_is_exact(cast, n, django_assert_num_queries):
    _many(cast, 1)
    for _ in range(n):
        Commendation.objects.create(
            member=cast.member,
            home_organization=cast.branch,
            awarding_organization=cast.c1,
            title=CommendationTitle.OUTSTANDING_MEMBER,
            reason="x",
            awarded_on=date(2025, 7, 1),
            status=CommendationStatus.PUBLISHED,
        )
    with django_assert_num_queries(2):
        section = commendation_record_section(cast.member, year=2025)
    assert len(section["commendations"]) == n
