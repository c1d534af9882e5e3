"""Two people at once on the same members or cases: imports of overlapping files never
duplicate a member; a second edit or case decision is told what changed, not applied."""

import threading
from collections import Counter

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.urls import reverse

from members.models import Member
from members.protection import services as case_services
from members.protection.models import CaseStatus
from tests.form_data import client_for, form_post_data
from tests.members.protection_helpers import build_world
from tests.members.test_roster_io import IMPORT, csv_bytes, upload

CONFLICT = "changed this record while you were editing it"


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read messages in English, whatever the zh_Hans catalog holds.
    settings.LANGUAGE_CODE = "en"


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_member_edited_meanwhile_is_shown_with_the_other_change(cast):
    url = reverse("members:member_edit", args=[cast.member.pk])
    first, second = client_for(cast.users["secretary"]), client_for(cast.users["organizer"])
    form_a = form_post_data(first.get(url).context["form"])
    form_b = form_post_data(second.get(url).context["form"])

    assert first.post(url, {**form_a, "phone": "13900000009"}).status_code == 302
    response = second.post(url, {**form_b, "ethnicity": "回族"})

    assert response.status_code == 200
    page = response.content.decode()
    assert CONFLICT in page
    assert "13900000009" in page
    member = Member.objects.get(pk=cast.member.pk)
    assert (member.phone, member.ethnicity) == ("13900000009", "汉族")
    shown = form_post_data(response.context["form"])
    assert (shown["phone"], shown["ethnicity"]) == ("13900000009", "回族")
    assert second.post(url, shown).status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.ethnicity) == ("13900000009", "回族")


def test_a_case_decision_on_a_case_moved_meanwhile_is_told_not_applied(cast):
    world = build_world(cast)
    case = world.case
    page = client_for(cast.users["organizer"]).get(reverse("members:case_detail", args=[case.ref]))
    assert f'name="version" value="{case.version}"' in page.content.decode()
    # Another handler accepts the case while this one is writing a reason to decline it.
    case_services.case_accept(actor=cast.committee_member.account, case=case)
    response = client_for(cast.users["organizer"]).post(
        reverse("members:case_transition", args=[case.ref]),
        {"action": "decline", "reason": "不属于保护范围", "version": str(case.version)},
    )
    assert response.status_code == 302
    (message,) = _messages(response)
    assert CONFLICT in message
    assert "刘洋" in message  # who accepted it
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert case.decline_reason == ""


# --- real races (PostgreSQL, threads) -------------------------------------------------------


def _rows(first, last):
    return [
        [f"导入{i}", "男", "", "汉族", "本科", f"1380000{i:04d}", "", "2015-07-01", "2016-07-01",
         "正式党员", ""]
        for i in range(first, last)
    ]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_imports_confirmed_at_once_never_duplicate_a_member(cast):
    """Two secretaries confirm files sharing 40 rows at the same moment: one import is
    saved whole, the other is refused whole; no name + phone pair is on the roster twice."""
    files = {"secretary": _rows(0, 60), "committee_member": _rows(20, 80)}
    clients, tokens = {}, {}
    for role, rows in files.items():
        clients[role] = client_for(cast.users[role])
        preview = upload(clients[role], cast.branch, csv_bytes(rows))
        tokens[role] = preview.context["token"]
        assert tokens[role], preview.context["errors"]
    before = Member.objects.filter(branch=cast.branch).count()
    barrier = threading.Barrier(2)
    responses = {}

    def confirm(role):
        barrier.wait()
        try:
            responses[role] = clients[role].post(IMPORT, {"token": tokens[role]})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(role,)) for role in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    winner = next(role for role, r in responses.items() if r.status_code == 302)
    pairs = Counter(Member.objects.filter(branch=cast.branch).values_list("full_name", "phone"))
    assert [pair for pair, n in pairs.items() if n > 1] == []
    assert Member.objects.filter(branch=cast.branch).count() == before + len(files[winner])
    loser = next(r for r in responses.values() if r.status_code == 200)
    assert any("already on the branch's roster" in m for m in _messages(loser))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_member_at_once_keep_one_and_tell_the_other(cast):
    url = reverse("members:member_edit", args=[cast.member.pk])
    clients = {
        "phone": client_for(cast.users["secretary"]),
        "ethnicity": client_for(cast.users["organizer"]),
    }
    data = form_post_data(clients["phone"].get(url).context["form"])
    changes = {"phone": "13900000009", "ethnicity": "回族"}
    barrier = threading.Barrier(2)
    responses = {}

    def save(field):
        barrier.wait()
        try:
            responses[field] = clients[field].post(url, {**data, field: changes[field]})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(f,)) for f in changes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    winner = next(f for f, r in responses.items() if r.status_code == 302)
    loser = next(f for f, r in responses.items() if r.status_code == 200)
    member = Member.objects.get(pk=cast.member.pk)
    assert getattr(member, winner) == changes[winner]
    assert getattr(member, loser) != changes[loser]
    assert CONFLICT in responses[loser].content.decode()
