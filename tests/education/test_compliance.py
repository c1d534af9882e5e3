"""Regular-meeting grid (三会一课): held, missing, due; cadence per organization; rollup."""

from datetime import date

from django.urls import reverse

from education.models import ComplianceCadence, Frequency
from education.selectors.regular_meetings import compliance
from members.models import Organization
from tests.education.helpers import at, held_bulk
from tests.factories import make_org

TODAY = date(2025, 8, 10)  # Q3 under way, July over


def _grid(branch, year=2025, today=TODAY):
    return compliance([branch], year, today=today)[0]


def _fill_regular(branch, months=range(1, 13), skip=()):
    for m in months:
        for kind in ("committee_meeting", "group_meeting", "theme_day"):
            if (kind, m) not in skip:
                # Group meetings are held by each of the branch's Party groups.
                holders = (
                    list(Organization.objects.get_children(Organization.objects.get(pk=branch.pk)))
                    or [branch]
                    if kind == "group_meeting"
                    else [branch]
                )
                for holder in holders:
                    held_bulk(holder, kind, at(2025, m, 12))
    for q_month in (m for m in (2, 5, 8, 11) if m in months):
        for kind in ("general_meeting", "party_lecture"):
            if (kind, q_month) not in skip:
                held_bulk(branch, kind, at(2025, q_month, 20))


def test_quarter_without_general_meeting_is_missing(cast):
    _fill_regular(cast.branch, months=range(1, 8), skip={("general_meeting", 5)})
    grid = _grid(cast.branch)
    quarters = grid.rows["general_meeting"]
    assert [q["state"] for q in quarters] == ["ok", "missing", "due", "future"]
    assert grid.missing["general_meeting"] == 1
    assert grid.missing["party_lecture"] == 0
    assert grid.missing_total == 1


def test_monthly_kinds_and_group_meetings(cast):
    _fill_regular(cast.branch, months=range(1, 8), skip={("committee_meeting", 3)})
    grid = _grid(cast.branch)
    states = [c["state"] for c in grid.rows["committee_meeting"]]
    assert states[2] == "missing" and states[6] == "ok" and states[7] == "due"
    assert states[8:] == ["future"] * 4
    # Branch B has no Party groups: group meetings are not required there.
    other = _grid(cast.other_branch)
    assert other.rows["group_meeting"][0]["state"] == "na"
    assert other.missing["group_meeting"] == 0
    assert other.missing["committee_meeting"] == 7


def test_a_committee_session_counts_for_the_branches_it_covers(cast):
    from education.services.attendance import session_log
    from education.services.sessions import session_plan

    session = session_plan(
        organization=cast.c1,
        branches=[cast.branch],
        kind="party_lecture",
        title="党委书记讲党课",
        starts_at=at(2025, 2, 3),
        ends_at=at(2025, 2, 3, 11),
        hours=2,
    )
    session_log(session=session, attendance={})
    assert _grid(cast.branch).rows["party_lecture"][0]["state"] == "ok"
    assert _grid(cast.other_branch).rows["party_lecture"][0]["state"] == "missing"


def test_cadence_configurable_per_organization(cast):
    ComplianceCadence.objects.create(organization=cast.c1, general_meeting=Frequency.MONTHLY)
    ComplianceCadence.objects.create(organization=cast.branch, theme_day=Frequency.NONE)
    grid = _grid(cast.branch)
    assert len(grid.rows["general_meeting"]) == 12  # monthly, from C1
    assert grid.rows["theme_day"][0]["state"] == "na"  # off in the branch itself
    assert len(_grid(cast.other_branch).rows["general_meeting"]) == 12
    assert len(_grid(cast.far_branch).rows["general_meeting"]) == 4  # C2: default quarterly


def test_past_year_is_judged_whole(cast):
    grid = _grid(cast.branch, year=2024, today=TODAY)
    assert grid.missing["general_meeting"] == 4
    assert grid.missing["committee_meeting"] == 12


def test_branch_page_shows_missing_quarter(login, cast):
    _fill_regular(cast.branch, months=range(1, 13), skip={("general_meeting", 5)})
    body = (
        login("secretary")
        .get(reverse("education:compliance") + f"?branch={cast.branch.pk}&year=2024")
        .content.decode()
    )
    assert 'data-testid="compliance-grid"' in body
    response = login("secretary").get(reverse("education:compliance") + "?year=2025")
    row = response.content.decode().split('data-kind="general_meeting"')[1].split("</tr>")[0]
    assert 'data-state="missing"' in row


def test_organizer_rollup_sorts_by_what_is_missing(login, cast):
    _fill_regular(cast.branch, months=range(1, 13))
    extra = make_org("第三支部", parent=cast.c1)
    _fill_regular(extra, months=range(1, 13), skip={("theme_day", 4), ("theme_day", 6)})
    client = login("organizer")
    body = client.get(
        reverse("education:compliance_rollup") + f"?org={cast.c1.pk}&year=2025&sort=missing"
    ).content.decode()
    order = [body.index(f'data-branch="{b.pk}"') for b in (cast.other_branch, extra, cast.branch)]
    assert order == sorted(order)  # B misses everything, then the third, then A
    by_theme = client.get(
        reverse("education:compliance_rollup") + f"?org={cast.c1.pk}&year=2025&sort=theme_day"
    ).content.decode()
    assert by_theme.index(f'data-branch="{extra.pk}"') < by_theme.index(
        f'data-branch="{cast.branch.pk}"'
    )
    assert f'data-branch="{cast.far_branch.pk}"' not in body
