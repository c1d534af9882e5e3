"""A protection case opened in error (twice, for the wrong member, not a protection matter)
cannot be set aside by the state machine once accepted (declining is only for a new report),
so its handlers void it, from any state, with a written reason: it is kept and readable, no
longer open anywhere, takes no more steps, its clarification leaves the member's record, the
member is told, and the history shows who voided it and why."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Notification
from members.protection import services
from members.protection.models import CaseAction, CaseStatus, ProtectionCase
from members.protection.selectors import protection_dashboard_section, protection_record_section
from members.services import DomainError
from tests.members.protection_helpers import accept_and_act, clarify, txt_file

REASON = "同一事项重复提交，已在另一案件中办理"


def _said(response, text):
    """The page's messages include `text`, in English or in Chinese (the reader's language)."""
    with translation.override("zh-hans"):
        chinese = translation.gettext(text)
    said = [str(m) for m in response.context["messages"]]
    return text in said or chinese in said


def test_a_case_in_progress_is_voided_from_its_page_and_is_open_nowhere(cast, login, world):
    case = world.case
    accept_and_act(cast, case, follow_up_due=timezone.localdate())
    clarification = clarify(cast, case, "经核查，相关帖子内容不实。")
    services.clarification_consent_set(
        actor=cast.member.account, clarification=clarification, consents=True
    )
    assert protection_record_section(cast.member, year=timezone.localdate().year)
    assert services.allowed_transitions(CaseStatus.IN_PROGRESS) == ["resolve"]

    client = login("organizer")
    detail = reverse("members:case_detail", args=[case.ref])
    assert 'data-testid="void-step"' in client.get(detail).content.decode()
    response = client.post(
        reverse("members:case_void", args=[case.ref]), {"reason": REASON}, follow=True
    )
    assert response.redirect_chain[-1][0] == detail
    page = response.content.decode()
    assert 'data-testid="void-reason"' in page and REASON in page
    assert 'data-testid="void-step"' not in page

    case = ProtectionCase.objects.get(pk=case.pk)
    assert case.status == CaseStatus.VOIDED and case.void_reason == REASON
    assert case.voided_by == cast.organizer.account
    # Kept: its evidence and timeline; no longer open, no more steps, off the member's record.
    assert case.evidence.count() == 1 and CaseAction.objects.filter(case=case).count() == 1
    assert services.allowed_transitions(case.status) == []
    assert services.case_follow_up_reminders_send() == 0
    assert protection_record_section(cast.member, year=timezone.localdate().year) is None
    section = protection_dashboard_section(cast.organizer.account, None, year=2025)
    assert section is None or not section.get("handling_open")
    with pytest.raises(DomainError):
        services.case_evidence_add(actor=cast.organizer.account, case=case, uploaded=txt_file())
    with pytest.raises(DomainError):
        services.case_transition(actor=cast.organizer.account, case=case, action="reopen")
    # Told, without details; listed as voided with the reason; the history shows it.
    told = Notification.objects.get(kind="protection.case_void", recipient=cast.member)
    assert REASON not in told.title + told.body
    listing = client.get(reverse("members:case_list")).content.decode()
    assert 'data-testid="voided-badge"' in listing and REASON in listing
    last = case.history.latest()
    assert last.status == CaseStatus.VOIDED
    assert last.history_user == cast.organizer.account
    assert REASON in last.history_change_reason


def test_a_case_needs_a_reason_and_is_voided_once(cast, login, world):
    url = reverse("members:case_void", args=[world.case.ref])
    client = login("committee_member")  # assigned to handle it
    response = client.post(url, {"reason": ""}, follow=True)
    assert _said(response, "Say why it is voided.")
    assert ProtectionCase.objects.get(pk=world.case.pk).status == CaseStatus.REPORTED
    client.post(url, {"reason": "录错了党员"})
    response = client.post(url, {"reason": "再来一次"}, follow=True)
    assert _said(response, "This case is already voided.")
    case = ProtectionCase.objects.get(pk=world.case.pk)
    assert case.void_reason == "录错了党员"
    assert case.history.filter(status=CaseStatus.VOIDED).count() == 1


def test_only_its_handlers_void_a_case(cast, login, world):
    url = reverse("members:case_void", args=[world.case.ref])
    assert login("member").post(url, {"reason": "x"}).status_code == 403
    assert login("secretary").post(url, {"reason": "x"}).status_code == 404
    assert login("other_organizer").post(url, {"reason": "x"}).status_code == 404
    assert login("organizer").get(url).status_code == 405
    assert ProtectionCase.objects.get(pk=world.case.pk).status == CaseStatus.REPORTED
