"""The appraisal cycle list pages through every cycle (no silent cap) at a fixed query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import AppraisalCycle
from appraisal.views import cycles as cycle_views
from members.models import OrganizationKind
from tests.appraisal.cycles import open_cycle, open_cycles_like
from tests.factories import make_member, make_org


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _open_cycles(cast, names):
    branches = [make_org(name, OrganizationKind.BRANCH, parent=cast.c1) for name in names]
    for b in branches:
        make_member(b)
    start = AppraisalCycle.objects.filter(branch=cast.branch).first() or open_cycle(cast.branch)
    open_cycles_like(start, branches)


def _walk(client, url):
    """Every page of the list: (cycle ids seen, queries of the first page)."""
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    queries = len(first.captured_queries)  # now: later requests reset the query log
    seen, number = [], 1
    while True:
        response = client.get(url, {"page": number})
        rows = response.context["managed"]
        assert len(rows) <= 4
        seen.extend(c.pk for c in rows)
        if not response.context["page"].has_next():
            return seen, queries
        number += 1


def test_cycle_list_pages_through_every_cycle_with_fixed_queries(cast, login, monkeypatch):
    monkeypatch.setattr(cycle_views, "CYCLE_LIST_PER_PAGE", 4)
    client = login("organizer")
    url = reverse("appraisal:cycle_list")
    counts = []
    for names in (
        [f"分页支部{i:02d}" for i in range(6)],
        [f"分页支部{i:02d}" for i in range(6, 15)],
    ):
        _open_cycles(cast, names)
        seen, queries = _walk(client, url)
        expected = AppraisalCycle.objects.count()
        assert len(seen) == len(set(seen)) == expected  # nothing silently left out
        counts.append(queries)
    assert expected == 16
    assert counts[0] == counts[1] <= 14
