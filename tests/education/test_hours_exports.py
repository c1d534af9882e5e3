"""The study-hours exports: no cell is ever a formula, and a member's sheet credits only what
counts (confirmed make-ups)."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from education.services.makeups import makeup_reject, makeup_submit
from tests.education.helpers import at, held


def test_hours_export_neutralizes_formulas(login, cast):
    cast.member.full_name = '=HYPERLINK("http://evil.example","x")'
    cast.member.save()
    cast.peer.full_name = "@SUM(1+1)"
    cast.peer.save()
    held(
        cast.branch,
        starts_at=timezone.now() - timedelta(days=1),
        title="+cmd|' /C calc'!A0",
        attendance={cast.member: "present", cast.peer: "present"},
    )
    client = login("secretary")
    urls = [
        reverse("education:hours_branch_export") + f"?branch={cast.branch.pk}",
        reverse("education:hours_member_export", args=[cast.member.pk]),
    ]
    seen = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                    seen.add(cell.value)
    assert '\'=HYPERLINK("http://evil.example","x")' in seen
    assert "'@SUM(1+1)" in seen
    assert "'+cmd|' /C calc'!A0" in seen


def test_member_export_credits_only_confirmed_makeups(login, cast):
    from io import BytesIO

    from openpyxl import load_workbook

    session = held(
        cast.branch,
        starts_at=at(2025, 3, 1),
        attendance={cast.member: "absent", cast.secretary: "present"},
    )
    other = held(cast.branch, starts_at=at(2025, 4, 1), attendance={cast.member: "absent"})
    pending = makeup_submit(
        member=cast.member,
        session=session,
        description="待确认",
        studied_on=date(2025, 3, 5),
        hours=Decimal("2.0"),
    )
    rejected = makeup_submit(
        member=cast.member,
        session=other,
        description="被退回",
        studied_on=date(2025, 4, 5),
        hours=Decimal("1.5"),
    )
    makeup_reject(makeup=rejected, actor=cast.secretary.account, note="不符合")
    response = login("member").get(
        reverse("education:hours_member_export", args=[cast.member.pk]) + "?year=2025"
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][4:] == ("Hours", "Credited hours")
    by_text = {r[1]: r for r in rows[1:]}
    assert by_text[pending.description][4:] == (2.0, 0.0)
    assert by_text[rejected.description][4:] == (1.5, 0.0)
    assert by_text["Total"][5] == 0.0
