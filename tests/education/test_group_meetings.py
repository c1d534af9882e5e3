"""Group meetings (党小组会) are required of each Party group of a branch: one group's meeting
does not count for another, a branch without groups needs none, and the grid's query count
does not grow with the groups."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education.selectors.regular_meetings import compliance, compliance_page
from members.models import Organization
from tests.education.helpers import at, held_bulk


def _group_cells(branch, year=2025, today=date(2025, 8, 10)):
    live = compliance([branch], year, today=today)[0]
    return [c["state"] for c in live.rows["group_meeting"]][:7], live.missing["group_meeting"]


def test_group_meeting_in_one_group_does_not_satisfy_the_others(login, cast):
    from education.models import BranchYearMeetings
    from tests.education.test_summaries import assert_exact
    from tests.factories import make_org

    second = make_org("第二党小组", "group", parent=cast.branch)
    for m in range(1, 8):
        held_bulk(cast.group, "group_meeting", at(2025, m, 5))
        if m != 3:
            held_bulk(second, "group_meeting", at(2025, m, 6))
    held_bulk(cast.branch, "group_meeting", at(2025, 3, 7))  # the branch's own: no group's
    states, missing = _group_cells(cast.branch)
    assert states == ["ok", "ok", "missing", "ok", "ok", "ok", "ok"]
    assert missing == 1
    row = BranchYearMeetings.objects.get(branch=cast.branch, year=2025)
    assert row.group_meeting == 0b1111011
    assert_exact()  # what the services kept equals a rebuild
    # The organizer's rollup (read from the summary) agrees with the branch grid.
    html = (
        login("organizer")
        .get(reverse("education:compliance_rollup") + f"?org={cast.c1.pk}&year=2025")
        .content.decode()
    )
    assert f'data-branch="{cast.branch.pk}"' in html
    branch_grid = compliance_page(cast.c1, 2025, today=date(2025, 8, 10))
    (mine,) = [bc for bc in branch_grid.object_list if bc.branch.pk == cast.branch.pk]
    assert mine.missing["group_meeting"] == 1
    # Now the second group meets in March too: the month is complete.
    held_bulk(second, "group_meeting", at(2025, 3, 20))
    assert _group_cells(cast.branch)[1] == 0
    assert BranchYearMeetings.objects.get(branch=cast.branch, year=2025).group_meeting == 0b1111111


def test_branch_without_groups_needs_no_group_meetings(cast):
    states, missing = _group_cells(cast.other_branch)
    assert set(states) == {"na"} and missing == 0


def test_compliance_query_count_does_not_grow_with_groups(cast):
    from tests.factories import make_org

    def measure():
        branches = list(Organization.objects.filter(kind="branch", path__startswith=cast.c1.path))
        with CaptureQueriesContext(connection) as ctx:
            compliance(branches, 2025, today=date(2025, 8, 10))
        return len(ctx.captured_queries)

    held_bulk(cast.group, "group_meeting", at(2025, 2, 5))
    small = measure()
    for i in range(6):
        branch = make_org(f"增设支部{i}", "branch", parent=cast.c1)
        for j in range(3):
            group = make_org(f"小组{i}-{j}", "group", parent=branch)
            held_bulk(group, "group_meeting", at(2025, 2 + j, 5))
    assert measure() == small
