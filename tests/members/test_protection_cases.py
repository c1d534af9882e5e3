"""Protection cases: states, evidence files, the view log, clarifications, reminders and
bounded query counts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from members.models import Notification
from members.protection import services
from members.protection.models import (
    CaseAction,
    CaseEvidence,
    CaseStatus,
    CaseView,
    ProtectionCase,
)
from members.protection.selectors import protection_record_section
from members.protection.tasks import remind_case_follow_ups, remind_new_protection_cases
from members.services import DomainError
from tests.members.protection_helpers import (
    accept_and_act,
    docx_file,
    many_cases,
    open_case,
    pdf_file,
    png_file,
    txt_file,
)


def _refresh(case):
    return ProtectionCase.objects.get(pk=case.pk)


# --- states ------------------------------------------------------------------------------


def test_full_life_of_a_case_and_reopen_keeps_history(cast, world):
    organizer = cast.organizer.account
    case = world.case
    assert case.status == CaseStatus.REPORTED
    services.case_accept(actor=organizer, case=case)
    services.case_transition(actor=organizer, case=case, action="start")
    services.case_transition(actor=organizer, case=case, action="resolve")
    services.case_transition(actor=organizer, case=case, action="close")
    services.case_transition(action="reopen", actor=organizer, case=case, reason="平台内容再次出现")
    case = _refresh(case)
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    statuses = list(
        case.history.order_by("history_date", "history_id").values_list("status", flat=True)
    )
    assert statuses == ["reported", "accepted", "in_progress", "resolved", "closed", "in_progress"]
    assert case.history.first().history_user == organizer
    assert case.history.first().history_change_reason == "平台内容再次出现"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("reported", "start"),
        ("reported", "resolve"),
        ("reported", "close"),
        ("reported", "reopen"),
        ("accepted", "accept"),
        ("accepted", "close"),
        ("in_progress", "decline"),
        ("closed", "resolve"),
    ],
)
def test_moves_out_of_order_are_refused(cast, world, status, action):
    ProtectionCase.objects.filter(pk=world.case.pk).update(status=status)
    with pytest.raises(DomainError):
        services.case_transition(
            actor=cast.organizer.account, case=world.case, action=action, reason="x"
        )
    assert _refresh(world.case).status == status


@pytest.mark.parametrize("role", ["member", "secretary", "peer", "other_organizer", "admin"])
def test_moves_by_someone_not_handling_are_refused(cast, world, role):
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=cast.users[role], case=world.case)
    assert _refresh(world.case).status == CaseStatus.REPORTED


def test_assigned_handler_can_move_the_case(cast, world):
    services.case_accept(actor=cast.committee_member.account, case=world.case)
    assert _refresh(world.case).status == CaseStatus.ACCEPTED


def test_decline_needs_a_reason_that_the_member_sees(login, cast, world):
    with pytest.raises(DomainError):
        services.case_transition(
            action="decline", actor=cast.organizer.account, case=world.case, reason="  "
        )
    services.case_transition(
        action="decline",
        actor=cast.organizer.account,
        case=world.case,
        reason="不属于本条例保护范围，建议向所在单位反映。",
    )
    page = login("member").get(reverse("members:case_detail", args=[world.case.ref]))
    assert "不属于本条例保护范围" in page.content.decode()
    assert Notification.objects.filter(
        recipient=cast.member, kind="protection.case_decline"
    ).exists()
    # Reopening a declined case sends it back to be accepted again.
    services.case_transition(action="reopen", actor=cast.organizer.account, case=world.case)
    assert _refresh(world.case).status == CaseStatus.REPORTED


# --- timeline ----------------------------------------------------------------------------


def test_handler_adds_an_action_and_the_member_sees_it(login, cast, world):
    services.case_accept(actor=cast.organizer.account, case=world.case)
    response = login("committee_member").post(
        reverse("members:case_action_add", args=[world.case.ref]),
        {
            "kind": "referral",
            "acted_on": timezone.localdate().isoformat(),
            "description": "已移交网信部门处理。",
            "outcome": "网信部门已立案。",
            "follow_up_due": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "follow_up_note": "询问处理进度",
        },
    )
    assert response.status_code == 302
    case = _refresh(world.case)
    assert case.status == CaseStatus.IN_PROGRESS  # the first action starts an accepted case
    page = login("member").get(reverse("members:case_detail", args=[case.ref])).content.decode()
    assert "已移交网信部门处理。" in page and "网信部门已立案。" in page


def test_actions_need_an_accepted_case_and_a_past_date(cast, world):
    with pytest.raises(DomainError):
        services.case_action_record(
            actor=cast.organizer.account,
            case=world.case,
            kind="talk",
            acted_on=timezone.localdate(),
            description="谈话",
        )
    services.case_accept(actor=cast.organizer.account, case=world.case)
    with pytest.raises(DomainError):
        services.case_action_record(
            actor=cast.organizer.account,
            case=world.case,
            kind="talk",
            acted_on=timezone.localdate() + timedelta(days=1),
            description="谈话",
        )


# --- clarification -----------------------------------------------------------------------


def test_clarification_shows_on_record_only_with_consent(login, cast, world):
    accept_and_act(cast, world.case)
    clarification = services.clarification_record(
        actor=cast.organizer.account,
        case=world.case,
        text="经组织核查，网传张伟同志相关言论系断章取义，特此澄清。",
        issued_on=timezone.localdate(),
        published_where="第一党委会议",
        published_to="第一支部全体党员",
        approving_organization=cast.c1,
        approval_reference="第一党委2025年第3次会议",
    )
    assert protection_record_section(cast.member, year=2025) is None
    client = login("member")
    client.post(
        reverse("members:case_clarification_consent", args=[clarification.pk]), {"consents": "1"}
    )
    section = protection_record_section(cast.member, year=2025)
    assert [c.pk for c in section["clarifications"]] == [clarification.pk]
    client.post(
        reverse("members:case_clarification_consent", args=[clarification.pk]), {"consents": "0"}
    )
    assert protection_record_section(cast.member, year=2025) is None
    assert clarification.history.count() == 3


def test_clarification_must_be_approved_at_or_above_the_branch(cast, world):
    accept_and_act(cast, world.case)
    with pytest.raises(DomainError):
        services.clarification_record(
            actor=cast.organizer.account,
            case=world.case,
            text="x",
            issued_on=timezone.localdate(),
            published_where="x",
            published_to="x",
            approving_organization=cast.c2,
            approval_reference="x",
        )


# --- evidence files ----------------------------------------------------------------------


@pytest.mark.parametrize("make", [txt_file, png_file, pdf_file, docx_file])
def test_accepted_file_types(cast, world, make):
    evidence = services.case_evidence_add(
        actor=cast.member.account, case=world.case, uploaded=make()
    )
    assert evidence.size > 0
    path = Path(evidence.file.path)
    assert path.is_file()
    assert str(path).startswith(str(django_settings.MEDIA_ROOT))
    assert not str(path).startswith(str(django_settings.STATIC_ROOT))
    assert evidence.original_name not in path.name  # stored under a random name


@pytest.mark.parametrize(
    "uploaded",
    [
        SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html"),
        SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>", content_type="application/pdf"),
        SimpleUploadedFile("x.png", b"%PDF-1.4", content_type="image/png"),
        SimpleUploadedFile("x.txt", b"hello", content_type="text/html"),
        SimpleUploadedFile("x.txt", b"\x00\x01\x02binary", content_type="text/plain"),
        SimpleUploadedFile("x.docx", b"PK\x03\x04notazip", content_type="application/zip"),
        SimpleUploadedFile("empty.txt", b"", content_type="text/plain"),
    ],
    ids=[
        "exe",
        "html",
        "fake-pdf",
        "pdf-as-png",
        "declared-html",
        "binary-txt",
        "bad-docx",
        "empty",
    ],
)
def test_refused_files(cast, world, uploaded):
    with pytest.raises(DomainError):
        services.case_evidence_add(actor=cast.member.account, case=world.case, uploaded=uploaded)
    assert CaseEvidence.objects.count() == 1


def test_files_over_10_mb_are_refused(cast, world):
    big = SimpleUploadedFile("big.txt", b"a" * (10 * 1024 * 1024 + 1), content_type="text/plain")
    with pytest.raises(DomainError):
        services.case_evidence_add(actor=cast.member.account, case=world.case, uploaded=big)


def test_upload_page_refuses_a_bad_file(login, cast, world):
    client = login("member")
    bad = SimpleUploadedFile("x.html", b"<html>", content_type="text/html")
    response = client.post(
        reverse("members:case_evidence_add", args=[world.case.ref]), {"files": bad}, follow=True
    )
    assert response.status_code == 200
    assert CaseEvidence.objects.count() == 1


def test_evidence_is_served_as_an_attachment_that_is_not_sniffed(login, cast, world):
    response = login("member").get(reverse("members:case_evidence", args=[world.evidence.ref]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"
    assert b"".join(response.streaming_content).decode() == "对方在论坛发帖诬陷。"


def test_media_url_is_not_routed(client, cast, world):
    url = django_settings.MEDIA_URL + world.evidence.file.name
    assert client.get(url).status_code == 404


# --- the view log ------------------------------------------------------------------------


def test_every_read_is_logged_and_the_member_sees_who_looked(login, cast, world):
    detail = reverse("members:case_detail", args=[world.case.ref])
    login("organizer").get(detail)
    login("organizer").get(detail)
    login("committee_member").get(reverse("members:case_evidence", args=[world.evidence.ref]))
    views = list(CaseView.objects.order_by("viewed_at", "id"))
    assert [(v.viewer_name, v.evidence_id) for v in views] == [
        ("赵敏", None),
        ("赵敏", None),
        ("刘洋", world.evidence.pk),
    ]
    page = login("member").get(detail).content.decode()
    assert CaseView.objects.count() == 4
    log = page[page.index('data-testid="case-views"') :]
    assert "赵敏" in log and "刘洋" in log and world.evidence.original_name in log


def test_assigned_handler_does_not_see_the_view_log(login, cast, world):
    page = (
        login("committee_member")
        .get(reverse("members:case_detail", args=[world.case.ref]))
        .content.decode()
    )
    assert 'data-testid="case-views"' not in page


# --- reminders ---------------------------------------------------------------------------


def test_follow_up_reminders_go_to_the_handlers_once(cast, world):
    today = timezone.localdate()
    action = accept_and_act(cast, world.case, follow_up_due=today + timedelta(days=1))
    # Not yet due: an action with a later follow-up, and one already done.
    later = services.case_action_record(
        actor=cast.organizer.account,
        case=world.case,
        kind="talk",
        acted_on=today,
        description="谈话",
        follow_up_due=today + timedelta(days=10),
    )
    remind_case_follow_ups.apply()
    remind_case_follow_ups.apply()
    sent = Notification.objects.filter(kind="protection.follow_up_due")
    assert [(n.recipient_id, n.subject_id, n.due_date) for n in sent] == [
        (cast.committee_member.pk, str(action.pk), action.follow_up_due)
    ]
    CaseAction.objects.filter(pk=later.pk).update(follow_up_due=today)
    services.case_follow_up_done(actor=cast.organizer.account, action=later)
    remind_case_follow_ups.apply()
    assert Notification.objects.filter(kind="protection.follow_up_due").count() == 1


def test_follow_up_reminders_go_to_the_designated_handler_when_none_is_assigned(cast, world):
    services.case_unassign(actor=cast.organizer.account, assignment=world.assignment)
    accept_and_act(cast, world.case, follow_up_due=timezone.localdate())
    assert services.case_follow_up_reminders_send() == 1
    assert services.case_follow_up_reminders_send() == 0
    assert Notification.objects.get(kind="protection.follow_up_due").recipient == cast.organizer


def test_new_case_reminders_reach_designated_handlers_once(cast, world):
    remind_new_protection_cases.apply()
    remind_new_protection_cases.apply()
    sent = Notification.objects.filter(kind="protection.case_reported")
    assert [n.recipient_id for n in sent] == [cast.organizer.pk]
    assert "诽谤" not in sent[0].title + sent[0].body  # the notice says nothing of the case


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 60])
def test_case_list_query_count_is_exact(login, cast, world, n, django_assert_num_queries):
    many_cases(cast, n)
    client = login("organizer")
    with django_assert_num_queries(6):
        response = client.get(reverse("members:case_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="list-group-item') == min(n + 1, 30)


@pytest.mark.parametrize(
    "query",
    [
        *("", "?status=reported", "?page=2", "?page=3"),
        *("?q=%", "?q=5_%", "?q=折扣", "?q=y", "?q=网络", "?q=threat", "?q=张伟&status=reported"),
    ],
)
def test_case_list_lists_what_the_visible_set_filtered_with_the_orm_lists(
    login, cast, world, query
):
    """The list's reads are compiled (members.protection.selectors._case_ids): the same cases,
    in the same order and count, as cases_visible_to with the ORM's filters."""
    from django.db.models import Q

    from members.protection.permissions import cases_visible_to

    cases = many_cases(cast, 40)
    ProtectionCase.objects.filter(pk__in=[c.pk for c in cases[:5]]).update(place="50%_折扣")
    ProtectionCase.objects.filter(pk__in=[c.pk for c in cases[5:9]]).update(kind="threat")
    ProtectionCase.objects.filter(pk__in=[c.pk for c in cases[9:20]]).update(status="accepted")
    response = login("organizer").get(reverse("members:case_list") + query)
    assert response.status_code == 200
    page = response.context["page"]

    expected = cases_visible_to(cast.organizer.account)
    if "status" in query:
        expected = expected.filter(status="reported")
    if "q=" in query:
        q = query.split("q=")[1].split("&")[0]
        # The kinds whose label (in Chinese) or value has it.
        kinds = {"y": ["cyberbullying"], "网络": ["cyberbullying"], "threat": ["threat"]}.get(q, [])
        expected = expected.filter(
            Q(place__icontains=q) | Q(member__full_name__icontains=q) | Q(kind__in=kinds)
        )
    expected = list(expected.order_by("-reported_at", "-id").values_list("pk", flat=True))
    number = int(query.split("page=")[1]) if "page=" in query else 1
    start = min((number - 1) * 30, max(len(expected) - 1, 0) // 30 * 30)
    assert [c.pk for c in page.object_list] == expected[start : start + 30]
    assert page.paginator.count == len(expected)


def test_case_list_merges_own_assigned_and_supervised_cases_once_newest_first(login, cast, world):
    """The list reads each source of the visible set apart, each cut to the rows a page needs
    (members.protection.selectors._case_ids). With more than a page in every source, their
    times interleaved, and cases in two sources at once (the handler's own case in the branch
    they supervise; a case assigned to them there), every page is the visible set's, in order,
    each case once; the cases they cannot read (the branch below another committee) never."""
    from members.protection.models import CaseAssignment
    from members.protection.permissions import cases_visible_to

    handler = cast.other_organizer  # designated at c2 (build_world): supervises far_branch
    supervised = many_cases(cast, 40, cast.far_branch)
    own = [open_case(handler) for _ in range(3)]  # in far_branch too: also supervised
    elsewhere = many_cases(cast, 80)
    assigned = elsewhere[:40]
    CaseAssignment.objects.bulk_create(
        CaseAssignment(case=case, handler=handler, assigned_by=cast.organizer.account)
        for case in [*assigned, supervised[0]]  # one assigned case they also supervise
    )
    everything = [*supervised, *own, *elsewhere]
    start = timezone.now()
    for i, case in enumerate(sorted(everything, key=lambda c: (c.pk * 7919) % 1009)):
        case.reported_at = start - timedelta(minutes=i // 2)  # pairs at one time: the id decides
    ProtectionCase.objects.bulk_update(everything, ["reported_at"])

    expected = list(
        cases_visible_to(handler.account)
        .order_by("-reported_at", "-id")
        .values_list("pk", flat=True)
    )
    assert sorted(expected) == sorted(c.pk for c in [*supervised, *own, *assigned])
    client = login("other_organizer")
    shown = []
    for number in range(1, 6):
        page = client.get(reverse("members:case_list") + f"?page={number}").context["page"]
        assert page.paginator.count == len(expected)
        shown += [c.pk for c in page.object_list] if page.number == number else []
    assert shown == expected


@pytest.mark.parametrize("n", [2, 25])
def test_case_detail_query_count_is_exact(login, cast, world, n, django_assert_num_queries):
    accept_and_act(cast, world.case)
    for _ in range(n):
        services.case_evidence_add(actor=cast.member.account, case=world.case, uploaded=txt_file())
        services.case_view_record(viewer=cast.organizer.account, case=world.case)
    client = login("organizer")
    with django_assert_num_queries(13):
        assert client.get(reverse("members:case_detail", args=[world.case.ref])).status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_dashboard_section_query_count_is_exact(cast, world, n, django_assert_num_queries):
    from members.permissions import scope_for
    from members.protection.selectors import protection_dashboard_section

    many_cases(cast, n)
    user = cast.users["organizer"]
    scope_for(user)
    with django_assert_num_queries(2):
        section = protection_dashboard_section(user, scope_for(user), year=2025)
    assert section["handling_open"] == n + 1


def test_open_case_for_self_through_the_page(login, cast, world):
    client = login("peer")
    response = client.post(
        reverse("members:case_open"),
        {
            "kind": "false_accusation",
            "description": "有人冒用我的名义发帖。",
            "place": "某论坛",
            "occurred_on": timezone.localdate().isoformat(),
            "help_requested": "请求澄清。",
            "files": [png_file(), pdf_file()],
        },
    )
    case = ProtectionCase.objects.get(member=cast.peer)
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.ref}/")
    assert not case.opened_on_behalf and case.evidence.count() == 2


def test_marking_done_an_action_without_follow_up_is_refused_with_a_message(cast, login):
    """A refused action on the case page (a stale button, a crafted POST) goes back to the
    case with the reason, never a server error, and changes nothing."""
    services.handler_designate(member=cast.organizer, organization=cast.c1)
    case = open_case(cast.member)
    action = accept_and_act(cast, case)  # no follow-up asked for
    client = login("organizer")
    response = client.post(reverse("members:case_follow_up_done", args=[action.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("members:case_detail", args=[case.ref])
    assert "该处理措施无需跟进。" in response.content.decode()  # the site speaks Chinese
    action.refresh_from_db()
    assert action.follow_up_done_at is None


def test_a_list_row_shows_the_cases_facts(login, cast, world):
    """The rows are written in Python (members/templatetags/case_list.py): the same markup."""
    from django.utils import translation

    case = world.case
    with translation.override("zh-hans"):
        kind, status = str(case.get_kind_display()), str(case.get_status_display())
    body = login("organizer").get(reverse("members:case_list")).content.decode()
    reported = timezone.localtime(case.reported_at).date().isoformat()
    assert (
        f'<a class="list-group-item list-group-item-action" '
        f'href="{reverse("members:case_detail", args=[case.ref])}">'
        f'<div class="d-flex justify-content-between gap-2">'
        f"<strong>{case.short_ref} · {kind}</strong>\n"
        f'<span class="badge bg-warning text-dark">{status}</span></div>'
        f'<div class="small text-muted">{case.member.full_name} · {case.member.branch.name} · '
        f"{reported} · 1个文件</div></a>"
    ) in body
