"""Round-3 review of protection cases: the member told when a case is opened for them, a
removed handler's notices go, consented clarifications (and published commendations) on the
member's page, a search that reads no description, and a case page with a fixed query count."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisal.commendations.models import Commendation, CommendationStatus, CommendationTitle
from members.models import Notification, Role
from members.protection import services
from members.protection.models import CaseView, ProtectionCase
from tests.factories import make_member, make_position
from tests.members.protection_helpers import (
    MARKER,
    accept_and_act,
    build_world,
    open_case,
    txt_file,
)


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast)


def _notices(member, case):
    return Notification.objects.filter(
        recipient=member,
        subject_type=ContentType.objects.get_for_model(ProtectionCase),
        subject_id=str(case.pk),
    )


# --- 2. a case opened on a member's behalf is announced to them at once ----------------------


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


# --- 3. a removed handler's notices about the case go ----------------------------------------


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


# --- 4. the member's page shows consented clarifications and published commendations ---------


def _clarify(cast, case, text):
    case.refresh_from_db()
    if case.status == "reported":
        accept_and_act(cast, case)
    return services.clarification_record(
        actor=cast.organizer.account,
        case=case,
        text=text,
        issued_on=timezone.localdate(),
        published_where="支部党员大会",
        published_to="全体党员",
        approving_organization=cast.c1,
        approval_reference="第一党委会议决定",
    )


def _commend(cast, status, reason):
    return Commendation.objects.create(
        member=cast.member,
        home_organization=cast.branch,
        awarding_organization=cast.c1,
        title=CommendationTitle.OUTSTANDING_MEMBER,
        reason=reason,
        awarded_on=date(2025, 7, 1),
        status=status,
    )


def test_member_page_shows_consented_clarifications_and_published_commendations(cast, world, login):
    shown = _clarify(cast, world.case, "经核查网传内容不实CL1。")
    _clarify(cast, world.case, "尚未同意公开CL2。")
    services.clarification_consent_set(
        actor=cast.member.account, clarification=shown, consents=True
    )
    _commend(cast, CommendationStatus.PUBLISHED, "已公开")
    proposed = _commend(cast, CommendationStatus.PROPOSED, "尚在审批")
    proposed.title_detail = "审批中XX7"
    proposed.save()
    page = login("secretary").get(reverse("members:member_detail", args=[cast.member.pk]))
    page = page.content.decode()
    assert "CL1" in page and "CL2" not in page
    assert 'data-testid="member-commendations"' in page
    assert "XX7" not in page
    assert MARKER not in page  # nothing else of the case


@pytest.mark.parametrize("kind", ["clarifications", "commendations"])
def test_member_page_sections_cost_one_query_each_at_two_sizes(cast, world, login, kind):
    client = login("secretary")
    url = reverse("members:member_detail", args=[cast.member.pk])
    counts = []
    for n in (2, 12):
        for i in range(n - (2 if n == 12 else 0)):
            if kind == "clarifications":
                c = _clarify(cast, world.case, f"澄清{i}")
                services.clarification_consent_set(
                    actor=cast.member.account, clarification=c, consents=True
                )
            else:
                _commend(cast, CommendationStatus.PUBLISHED, f"事迹{i}")
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url).content.decode()
        counts.append(len(ctx.captured_queries))
        assert ("澄清1" if kind == "clarifications" else "事迹1") in page
    assert counts[0] == counts[1]


# --- 6. the search reads no description, evidence or request ---------------------------------


def test_search_matches_name_place_and_kind_only(cast, world, login):
    client = login("organizer")
    detail = reverse("members:case_detail", args=[world.case.ref])
    url = reverse("members:case_list")
    for q in ("张伟", "微博账号", "Cyberbullying", "网络暴力", "cyberbullying"):
        assert detail in client.get(url, {"q": q}).content.decode(), q
    for q in (MARKER, "请组织协调平台删除", "weibo.example"):
        assert detail not in client.get(url, {"q": q}).content.decode(), q
    assert not CaseView.objects.exists()  # searching is not reading


# --- 7. the case page: a fixed number of queries, however long the case --------------------


def _grow(cast, case, n):
    for i in range(n):
        helper = make_member(cast.branch, f"支委{n}-{i}", account=f"cm{n}-{i}")
        make_position(helper, cast.branch, Role.COMMITTEE_MEMBER)
        services.case_assign(actor=cast.organizer.account, case=case, handler=helper)
        services.case_action_record(
            actor=cast.organizer.account,
            case=case,
            kind="platform_removal",
            acted_on=timezone.localdate(),
            description=f"第{i}步",
            follow_up_due=timezone.localdate() + timedelta(days=3),
        )
        services.case_evidence_add(
            actor=cast.organizer.account, case=case, uploaded=txt_file(f"证据{i}.txt")
        )
        services.case_view_record(viewer=cast.organizer.account, case=case)


def test_case_page_queries_are_fixed_and_at_most_15(cast, world, login):
    case = world.case
    accept_and_act(cast, case)
    _clarify(cast, case, "澄清")
    services.case_assign(actor=cast.organizer.account, case=case, handler=cast.secretary)
    url = reverse("members:case_detail", args=[case.ref])
    counts = {}
    for role in ("organizer", "member", "committee_member"):
        client = login(role)
        per_size = []
        for n in (1, 8):
            n = n + len(counts) * 10  # fresh names for each role
            _grow(cast, case, n)
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            per_size.append(len(ctx.captured_queries))
        assert per_size[0] == per_size[1] <= 15, (role, per_size)
        counts[role] = per_size[0]
