"""A commendation's history names its authors at a query count that does not grow with it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.commendations.models import Commendation
from tests.appraisal.commendation_helpers import propose
from tests.factories import make_member


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _history_queries(cast, login, n_saves):
    commendation = propose(cast)
    for i in range(n_saves):
        author = make_member(cast.branch, f"改者{n_saves}-{i}", account=f"h{n_saves}-{i}")
        commendation = Commendation.objects.get(pk=commendation.pk)
        commendation._history_user = author.account
        commendation.reason = f"{commendation.reason}。"
        commendation.save()
    client = login("secretary")
    url = reverse("appraisal:commendation_detail", args=[commendation.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert f"改者{n_saves}-{n_saves - 1}" in page
    return len(ctx.captured_queries)


def test_commendation_history_queries_do_not_grow_with_its_length(cast, login):
    assert _history_queries(cast, login, 2) == _history_queries(cast, login, 12)
