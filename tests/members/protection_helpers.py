"""Shared set-up for the protection-case tests (plain functions; each module has its fixture).

World on top of the standing cast:
- organizer (organizer at C1) is designated to handle cases for C1;
- other_organizer is designated for C2 (a different subtree);
- the member (张伟, branch A) has opened a case with one evidence file;
- committee_member (branch A's 支委) is assigned to it.
The secretary of branch A is neither designated nor assigned.
"""

import io
import zipfile
from datetime import timedelta
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.protection import services
from members.protection.models import CaseKind, ProtectionCase
from tests.factories import make_members

MARKER = "诽谤帖子XQ7"


def txt_file(name="证据.txt", text="对方在论坛发帖诬陷。", content_type="text/plain"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type=content_type)


def png_file(name="截图.png"):
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return SimpleUploadedFile(name, data, content_type="image/png")


def pdf_file(name="材料.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def docx_file(name="说明.docx"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def open_case(actor_member, *, member=None, files=(), description=None, **fields):
    member = member or actor_member
    values = {
        "kind": CaseKind.CYBERBULLYING,
        "description": description or f"有人在微博发布{MARKER}，歪曲我的发言。",
        "place": "某微博账号评论区",
        "occurred_on": timezone.localdate() - timedelta(days=3),
        "help_requested": "请组织协调平台删除不实内容并澄清。",
        "evidence_links": "https://weibo.example/post/1",
    }
    values.update(fields)
    return services.case_open(actor=actor_member.account, member=member, files=files, **values)


def build_world(cast):
    organizer_designation = services.handler_designate(member=cast.organizer, organization=cast.c1)
    services.handler_designate(member=cast.other_organizer, organization=cast.c2)
    case = open_case(cast.member, files=[txt_file()])
    assignment = services.case_assign(
        actor=cast.organizer.account, case=case, handler=cast.committee_member
    )
    return SimpleNamespace(
        case=case,
        evidence=case.evidence.get(),
        assignment=assignment,
        designation=organizer_designation,
    )


def accept_and_act(cast, case, *, follow_up_due=None):
    services.case_accept(actor=cast.organizer.account, case=case)
    return services.case_action_record(
        actor=cast.organizer.account,
        case=case,
        kind="platform_removal",
        acted_on=timezone.localdate(),
        description="已致函平台要求删除不实帖子。",
        outcome="平台已受理。",
        follow_up_due=follow_up_due,
        follow_up_note="确认平台处理结果",
    )


def clarify(cast, case, text):
    """A clarification recorded on the case (accepted first when it is still reported)."""
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


def many_cases(cast, n, branch=None):
    """n cases, one for each of n new members of `branch` (the cast's branch), written in
    bulk."""
    members = make_members(branch or cast.branch, n)
    return ProtectionCase.objects.bulk_create(
        ProtectionCase(
            member=m,
            branch_id=m.branch_id,
            kind="cyberbullying",
            description="x",
            place="y",
            occurred_on=timezone.localdate(),
            help_requested="z",
            opened_on_behalf=False,
        )
        for m in members
    )
