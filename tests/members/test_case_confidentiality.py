"""Nothing of a protection case leaks outside it: the case stays with its branch, the site admin
sees no case notices and deletes no member, cases and files go by ref, the search reads no
description."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.models import Member, Notification, Position, Role
from members.protection import services
from members.protection.models import (
    CaseView,
)
from members.services import member_transfer
from tests.members.protection_helpers import (
    MARKER,
    open_case,
)


def _detail(case):
    return reverse("members:case_detail", args=[case.ref])


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


def test_case_open_keeps_the_branch_even_on_behalf(cast):
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    case = open_case(cast.secretary, member=cast.peer)
    assert case.branch_id == cast.branch.pk


def test_search_matches_name_place_and_kind_only(cast, world, login):
    client = login("organizer")
    detail = reverse("members:case_detail", args=[world.case.ref])
    url = reverse("members:case_list")
    for q in ("张伟", "微博账号", "Cyberbullying", "网络暴力", "cyberbullying"):
        assert detail in client.get(url, {"q": q}).content.decode(), q
    for q in (MARKER, "请组织协调平台删除", "weibo.example"):
        assert detail not in client.get(url, {"q": q}).content.decode(), q
    assert not CaseView.objects.exists()  # searching is not reading
