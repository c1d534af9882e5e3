"""Study hours: requirement per role and organization, make-ups once confirmed, year
boundaries in Asia/Shanghai, and the pages and exports that show them."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from education.models import HoursRequirement
from education.selectors.hours import branch_hours_table, member_hours, member_year_facts
from education.selectors.rollup import hours_rollup, rollup_totals
from education.services.makeups import makeup_confirm, makeup_reject, makeup_submit
from members.models import Role
from members.services import DomainError
from tests.education.helpers import at, held
from tests.factories import make_member, make_position, propagate_figures

D = Decimal


def _hours(member, year):
    return member_hours(member, year)["hours"]


def test_required_hours_by_role(cast):
    assert _hours(cast.member, 2025).required_hours == D("32.0")
    assert _hours(cast.peer, 2025).required_hours == D("32.0")
    assert _hours(cast.secretary, 2025).required_hours == D("56.0")
    assert _hours(cast.committee_member, 2025).required_hours == D("56.0")
    # An organizer (department staff, no branch committee role) is a member here.
    assert _hours(cast.organizer, 2025).required_hours == D("32.0")


def test_leader_only_in_years_the_role_was_held(cast):
    former = make_member(cast.branch, "前支委")
    make_position(
        former,
        cast.branch,
        Role.PUBLICITY_OFFICER,
        started_on=date(2020, 1, 1),
        ended_on=date(2024, 6, 30),
    )
    assert _hours(former, 2024).required_hours == D("56.0")
    assert _hours(former, 2025).required_hours == D("32.0")


def test_requirement_nearest_organization_wins(cast):
    HoursRequirement.objects.create(
        organization=cast.c1, year=2025, member_hours=D("40"), leader_hours=D("60")
    )
    assert _hours(cast.member, 2025).required_hours == D("40.0")
    assert _hours(cast.secretary, 2025).required_hours == D("60.0")
    assert _hours(cast.other_secretary, 2025).required_hours == D("60.0")  # other branch, same C1
    assert _hours(cast.far_member, 2025).required_hours == D("32.0")  # C2: default
    assert _hours(cast.member, 2024).required_hours == D("32.0")  # another year: default
    HoursRequirement.objects.create(
        organization=cast.branch, year=2025, member_hours=D("36"), leader_hours=D("50")
    )
    assert _hours(cast.member, 2025).required_hours == D("36.0")
    assert _hours(cast.other_secretary, 2025).required_hours == D("60.0")
    # The appraisal pages' facts (one query) apply the same nearest requirement.
    people = (cast.member, cast.secretary, cast.other_secretary, cast.far_member)
    facts = member_year_facts([m.pk for m in people], 2025)
    required = [facts[m.pk][0][1].split(" of ")[1] for m in people]
    assert required == ["36.0 hours", "50.0 hours", "60.0 hours", "32.0 hours"]
    facts = member_year_facts([cast.far_member.pk, cast.secretary.pk], 2024)
    assert facts[cast.secretary.pk][0][1].endswith("of 56.0 hours")


def test_credited_hours_by_status(cast):
    held(
        cast.branch,
        starts_at=at(2025, 4, 1),
        hours="3.0",
        attendance={
            cast.member: "present",
            cast.peer: "late",
            cast.secretary: "excused",
            cast.committee_member: "absent",
        },
    )
    assert _hours(cast.member, 2025).total_hours == D("3.0")
    assert _hours(cast.peer, 2025).total_hours == D("3.0")
    assert _hours(cast.secretary, 2025).total_hours == D("0.0")
    assert _hours(cast.committee_member, 2025).total_hours == D("0.0")


def test_makeup_counts_only_once_confirmed(cast):
    session = held(
        cast.branch, starts_at=at(2025, 5, 8), hours="2.0", attendance={cast.member: "absent"}
    )
    makeup = makeup_submit(
        member=cast.member,
        session=session,
        description="观看党课录像",
        studied_on=date(2025, 5, 20),
        hours=D("2.0"),
    )
    assert _hours(cast.member, 2025).total_hours == D("0.0")
    makeup_confirm(makeup=makeup, actor=cast.secretary.account)
    h = _hours(cast.member, 2025)
    assert h.total_hours == D("2.0") and h.makeup_hours == D("2.0")

    rejected = makeup_submit(
        member=cast.member,
        session=None,
        description="其他",
        studied_on=date(2025, 6, 1),
        hours=D("5.0"),
    )
    makeup_reject(makeup=rejected, actor=cast.secretary.account, note="无证明")
    assert _hours(cast.member, 2025).total_hours == D("2.0")


def test_makeup_only_for_a_missed_held_session(cast):
    session = held(cast.branch, starts_at=at(2025, 5, 8), attendance={cast.member: "present"})
    with pytest.raises(DomainError):
        makeup_submit(
            member=cast.member,
            session=session,
            description="x",
            studied_on=date(2025, 5, 9),
            hours=D("1"),
        )


def test_year_boundaries_are_in_shanghai(cast):
    # 2025-12-31 23:30 in Shanghai is 15:30 UTC: it belongs to 2025.
    held(
        cast.branch,
        starts_at=at(2025, 12, 31, 23, 30),
        hours="1.0",
        attendance={cast.member: "present"},
    )
    # 2026-01-01 00:30 in Shanghai is still 2025-12-31 in UTC: it belongs to 2026.
    held(
        cast.branch,
        starts_at=at(2026, 1, 1, 0, 30),
        hours="2.0",
        attendance={cast.member: "present"},
    )
    assert _hours(cast.member, 2025).total_hours == D("1.0")
    assert _hours(cast.member, 2026).total_hours == D("2.0")
    table = {m.pk: m for m in branch_hours_table(cast.branch, 2026)}
    assert table[cast.member.pk].total_hours == D("2.0")
    facts = member_year_facts([cast.member.pk], 2025)
    assert "1.0" in facts[cast.member.pk][0][1]


def test_branch_table_highlights_shortfall_and_exports(login, cast):
    held(
        cast.branch,
        starts_at=at(2025, 2, 1),
        hours="40.0",
        attendance={cast.member: "present", cast.peer: "absent"},
    )
    response = login("secretary").get(reverse("education:hours_branch") + "?year=2025")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-behind="1"') == 3  # peer, secretary, committee member
    # The rows' labels in the member's language (Chinese first).
    client = login("secretary")
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("education:hours_branch") + "?year=2025").content.decode()
    assert chinese.count('<span class="visually-hidden">滞后</span>') == 3
    assert chinese.count('<span class="badge bg-light text-dark">书记/支委</span>') == 2
    export = login("secretary").get(reverse("education:hours_branch_export") + "?year=2025")
    sheet = load_workbook(BytesIO(export.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[cast.member.full_name][5] == 40.0
    assert rows[cast.peer.full_name][7] == 32.0  # shortfall
    assert rows[cast.secretary.full_name][6] == 56.0


def test_my_record_shows_progress_and_sessions(login, cast):
    session = held(
        cast.branch, starts_at=at(2026, 1, 5), hours="8.0", attendance={cast.member: "present"}
    )
    body = login("member").get(reverse("my_record") + "?year=2026").content.decode()
    ring = body.split('data-testid="hours-ring"')[1].split("</figure>")[0]
    assert 'role="img"' in ring and "25%" in ring  # 8 of 32
    assert session.title in body


def test_member_export_has_sessions_and_total(login, cast):
    held(cast.branch, starts_at=at(2025, 3, 1), hours="2.5", attendance={cast.member: "present"})
    response = login("member").get(
        reverse("education:hours_member_export", args=[cast.member.pk]) + "?year=2025"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values[0][4] == 2.5 and values[0][5] == 2.5
    assert values[-2][5] == 2.5  # total of the credited column


def test_rollup_aggregates_every_branch_below(login, cast):
    held(
        cast.branch,
        starts_at=at(2025, 3, 1),
        hours="40.0",
        attendance={cast.member: "present", cast.peer: "present"},
    )
    org = cast.c1
    rollup = {b.pk: b for b in hours_rollup(org, [cast.branch.pk, cast.other_branch.pk], 2025)}
    a = rollup[cast.branch.pk]
    assert (a.n_members, a.n_leaders, a.hours, a.n_behind) == (4, 2, D("80.0"), 2)
    b = rollup[cast.other_branch.pk]
    assert (b.n_members, b.n_behind) == (3, 3)
    propagate_figures()
    totals = rollup_totals(org, 2025)
    assert (totals.n_members, totals.n_behind, totals.hours) == (7, 5, D("80.0"))

    export = login("organizer").get(
        reverse("education:hours_rollup_export") + f"?org={org.pk}&year=2025"
    )
    sheet = load_workbook(BytesIO(export.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[cast.branch.name][1:] == (4, 2, 80.0, 20.0, 2, 2)
    page = login("organizer").get(reverse("education:hours_rollup") + f"?org={org.pk}&year=2025")
    assert cast.far_branch.name not in page.content.decode()
