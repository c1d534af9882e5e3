"""The manager's page of a member shows what other apps add (consented clarifications,
published commendations), each section at one query whatever its length."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.commendations.models import Commendation, CommendationStatus, CommendationTitle
from members.protection import services
from tests.members.protection_helpers import (
    MARKER,
    clarify,
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
    shown = clarify(cast, world.case, "经核查网传内容不实CL1。")
    clarify(cast, world.case, "尚未同意公开CL2。")
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
                c = clarify(cast, world.case, f"澄清{i}")
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
