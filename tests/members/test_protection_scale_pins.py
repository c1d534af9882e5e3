"""Issue 6: the case list costs the same number of queries at two sizes (and at most 15), and
its pagination count is bounded (BoundedPaginator)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Position, Role
from members.pagination import BoundedPaginator
from members.protection.models import CaseEvidence, ProtectionCase
from tests.factories import make_members

LIMIT = 15


def _add_cases(cast, n):
    members = make_members(cast.branch, n)
    cases = ProtectionCase.objects.bulk_create(
        ProtectionCase(
            member=m,
            branch=m.branch,
            kind="cyberbullying",
            description="x",
            place="y",
            occurred_on=timezone.localdate(),
            help_requested="z",
            opened_on_behalf=False,
        )
        for m in members
    )
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
