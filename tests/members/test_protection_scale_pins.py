"""The case list and the case page cost the same number of queries at two sizes (and at most
15), and the list's pagination count is bounded (BoundedPaginator)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Position, Role
from members.pagination import BoundedPaginator
from members.protection import services
from members.protection.models import CaseEvidence, ProtectionCase
from tests.factories import make_member, make_position
from tests.members.protection_helpers import (
    accept_and_act,
    clarify,
    many_cases,
    txt_file,
)

LIMIT = 15


def _add_cases(cast, n):
    cases = many_cases(cast, n)
    # Files on some cases: the list counts them (a correlated count, not a join).
    CaseEvidence.objects.bulk_create(
        CaseEvidence(
            case=c,
            file=f"protection/x{c.pk}.pdf",
            original_name="a.pdf",
            content_type="application/pdf",
            size=1,
        )
        for c in cases[::2]
    )
    return cases


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize("user", ["organizer", "member"])
def test_case_list_queries_same_at_two_sizes(cast, login, user):
    Position.objects.create(
        member=cast.organizer,
        organization=cast.c1,
        role=Role.CASE_HANDLER,
        started_on=timezone.localdate(),
    )
    _add_cases(cast, 3)
    ProtectionCase.objects.create(
        member=cast.member,
        branch=cast.branch,
        kind="threat",
        description="d",
        place="p",
        occurred_on=timezone.localdate(),
        help_requested="h",
        opened_on_behalf=False,
    )
    client = login(user)
    url = reverse("members:case_list")
    client.get(url)
    small, _page = _queries(client, url)
    _add_cases(cast, 120)
    large, page = _queries(client, url)
    assert small == large <= LIMIT
    if user == "organizer":
        assert page.count('class="list-group-item') == 30
        assert "page=2" in page


def test_bounded_paginator_counts_a_window_past_the_page(cast):
    _add_cases(cast, 40)
    qs = ProtectionCase.objects.order_by("pk")
    paginator = BoundedPaginator(qs, 5, lookahead=2)
    page = paginator.get_page(1)
    assert paginator.capped and paginator.count == 15 and paginator.num_pages == 3
    assert page.has_next() and len(page.object_list) == 5
    # Further pages stay reachable: the window moves with the page asked for.
    paginator = BoundedPaginator(qs, 5, lookahead=2)
    page = paginator.get_page(7)
    assert page.number == 7 and paginator.num_pages == 8 and not paginator.capped
    assert page.has_next() and not paginator.get_page(8).has_next()
    assert BoundedPaginator([1, 2, 3], 2).get_page("x").number == 1


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
    clarify(cast, case, "澄清")
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
