"""Organization figures: what the services maintain equals a recount from the source tables,
after a random mix of real writes; ancestors are written by the propagation only."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from appraisal import figures as appraisal_figures
from appraisal.models import OrganizationAppraisalFigures, Step
from appraisal.services.cycles import cycle_void
from education import figures as education_figures
from education import services as education_services
from education.models import HoursRequirement, OrganizationStudyFigures
from members import figures as member_figures
from members import services as member_services
from members.models import (
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    OrganizationMemberFigures,
    Role,
)
from tests.appraisal.cycles import move_to, open_cycle
from tests.education.helpers import at, held
from tests.factories import make_org, propagate_figures

FIELDS = {
    OrganizationMemberFigures: member_figures.figure_fields(OrganizationMemberFigures),
    OrganizationStudyFigures: member_figures.figure_fields(OrganizationStudyFigures),
    OrganizationAppraisalFigures: member_figures.figure_fields(OrganizationAppraisalFigures),
}


def snapshot():
    """{table: {(organization, year): figures}} without rows of zeros (a missing row and a
    row of zeros read alike)."""
    result = {}
    for model, fields in FIELDS.items():
        key = "year" if model is not OrganizationMemberFigures else None
        rows = {}
        for r in model.objects.values("organization_id", *([key] if key else []), *fields):
            values = tuple(r[f] for f in fields)
            if any(values):
                rows[(r["organization_id"], r.get(key))] = values
        result[model.__name__] = rows
    return result


def _new_member(branch, rng, i):
    probationary = rng.random() < 0.3
    return member_services.member_create(
        full_name=f"随机党员{i}",
        gender="male",
        joined_on=date(2020, 1, 1),
        full_member_on=None if probationary else date(2021, 1, 1),
        status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
        branch=branch,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_maintained_figures_equal_a_recount_after_random_writes(cast, seed):
    rng = random.Random(seed)
    general = make_org("随机总支", OrganizationKind.GENERAL_BRANCH, parent=cast.c2)
    deep = make_org("随机支部", OrganizationKind.BRANCH, parent=general)
    branches = [cast.branch, cast.other_branch, cast.far_branch, deep]
    year = timezone.localdate().year
    cycles = {}
    for i in range(60):
        action = rng.choice(
            ["create", "transfer", "status", "role", "session", "mark", "makeup", "cycle"]
        )
        active = list(Member.objects.active().order_by("pk"))
        member = rng.choice(active)
        if action == "create":
            _new_member(rng.choice(branches), rng, i)
        elif action == "transfer":
            others = [b for b in branches if b.pk != member.branch_id]
            member_services.member_transfer(
                member=member,
                to_organization=None if rng.random() < 0.2 else rng.choice(others),
                transferred_on=date(year, 1, 2),
            )
        elif action == "status":
            member_services.member_update(
                member=member,
                status=rng.choice([MemberStatus.FULL, MemberStatus.DECEASED]),
                full_member_on=member.full_member_on or date(2021, 1, 1),
            )
        elif action == "role" and not member.positions.filter(ended_on__isnull=True).exists():
            member_services.position_assign(
                member=member,
                organization=member.branch,
                role=rng.choice([Role.COMMITTEE_MEMBER, Role.PUBLICITY_OFFICER]),
                started_on=date(year - 1, 1, 1),
            )
        elif action == "session":
            branch = rng.choice(branches)
            kind = rng.choice(["study", "theme_day", "committee_meeting", "general_meeting"])
            attendance = {
                m: rng.choice(["present", "late", "absent", "excused"])
                for m in Member.objects.active().filter(branch=branch)
            }
            if attendance:
                starts = timezone.localtime().replace(minute=0, second=0, microsecond=0)
                starts -= timedelta(days=rng.randint(1, 500))
                held(branch, starts_at=starts, attendance=attendance, kind=kind, hours="2.5")
        elif action == "mark":
            session = held(member.branch, starts_at=at(year - 1, 6, 1), attendance={})
            education_services.attendance_mark(session=session, member=member, status="present")
        elif action == "makeup":
            makeup = education_services.makeup_submit(
                member=member,
                session=None,
                description="补学",
                studied_on=timezone.localdate() - timedelta(days=rng.randint(1, 500)),
                hours=Decimal("1.5"),
            )
            education_services.makeup_confirm(makeup=makeup)
        elif action == "cycle":
            branch = rng.choice(branches)
            roll = rng.random()
            if (branch.pk, year - 1) not in cycles:
                cycles[(branch.pk, year - 1)] = open_cycle(branch, year=year - 1)
            elif roll < 0.3:
                # Voided (opened or run in error): the branch may open the year's cycle again.
                cycle = cycles.pop((branch.pk, year - 1))
                cycle_void(cycle=cycle, reason="开错了", actor=None)
            elif roll < 0.65:
                cycle = cycles[(branch.pk, year - 1)]
                cycle.refresh_from_db()
                if cycle.step != Step.CLOSED:
                    move_to(cycle, Step.CLOSED, today=date(year - 1, 12, 31))
        if rng.random() < 0.3:  # the task runs now and then, not after every write
            propagate_figures()
    propagate_figures()
    maintained = snapshot()
    call_command("rebuild_organization_figures", verbosity=0)
    assert snapshot() == maintained


def test_a_write_changes_its_branch_row_and_the_task_the_rows_above(cast):
    year = timezone.localdate().year
    root_row = OrganizationMemberFigures.objects.get(organization=cast.root)
    branch_row = OrganizationMemberFigures.objects.get(organization=cast.branch)
    _new_member(cast.branch, random.Random(0), 0)
    branch_after = OrganizationMemberFigures.objects.get(organization=cast.branch)
    assert branch_after.members == branch_row.members + 1
    assert branch_after.version > branch_after.propagated  # dirty: above not yet
    root_after = OrganizationMemberFigures.objects.get(organization=cast.root)
    assert (root_after.members, root_after.computed_at) == (
        root_row.members,
        root_row.computed_at,
    )
    assert member_figures.lag(OrganizationMemberFigures)
    assert member_figures.propagate_members() == 1
    assert member_figures.propagate_members() == 0  # coalesced: nothing left to do
    assert not member_figures.lag(OrganizationMemberFigures)
    root_final = OrganizationMemberFigures.objects.get(organization=cast.root)
    assert root_final.members == root_row.members + 1
    assert root_final.computed_at > root_row.computed_at
    propagate_figures()  # education's own task brings its rows above up to date too
    assert OrganizationStudyFigures.objects.get(organization=cast.root, year=year).members == (
        root_final.members
    )


def test_behind_follows_the_pace_of_the_month(cast):
    """Behind = below the requirement's pace by the whole months gone (as the branch page):
    the same hours are on pace in February and behind in December."""
    year = timezone.localdate().year
    HoursRequirement.objects.create(
        organization=cast.root, year=year, member_hours=Decimal("24"), leader_hours=Decimal("24")
    )
    held(cast.branch, starts_at=at(year, 1, 5), hours="3.0")
    rows = education_figures.compute([cast.branch.pk], [year], today=date(year, 2, 10))
    assert rows[(cast.branch.pk, year)]["behind"] == 0  # 3.0 >= 24 * 1/12 = 2.0
    rows = education_figures.compute([cast.branch.pk], [year], today=date(year, 12, 10))
    assert rows[(cast.branch.pk, year)]["behind"] == 4  # 3.0 < 24 * 11/12 = 22.0
    assert (
        education_figures.month_turned(today=date(year, 12, 1))
        == Organization.objects.filter(kind=OrganizationKind.BRANCH).count()
    )
    propagate_figures()
    row = OrganizationStudyFigures.objects.get(organization=cast.c1, year=year)
    assert row.behind == 7  # both branches of C1: every member behind in December


def test_appraisal_progress_counts_opened_and_closed_cycles(cast):
    year = 2025
    cycle = open_cycle(cast.branch, year=year)
    open_cycle(cast.far_branch, year=year)
    propagate_figures()
    assert appraisal_figures.figures_for([cast.root.pk], year)[cast.root.pk].cycles == 2
    move_to(cycle, Step.CLOSED, today=date(year, 12, 31))
    propagate_figures()
    root = appraisal_figures.figures_for([cast.root.pk, cast.c1.pk], year)
    assert (root[cast.root.pk].cycles, root[cast.root.pk].closed) == (2, 1)
    assert (root[cast.c1.pk].cycles, root[cast.c1.pk].closed) == (1, 1)


def test_rollup_pages_say_as_of_when_and_list_children(cast, login):
    client = login("organizer")
    body = client.get(reverse("education:hours_rollup") + f"?org={cast.c1.pk}").content.decode()
    assert 'data-testid="figures-as-of"' in body
    assert f'data-org="{cast.branch.pk}"' in body and f'data-org="{cast.other_branch.pk}"' in body
    client = login("admin")
    body = client.get(reverse("education:hours_rollup") + f"?org={cast.root.pk}").content.decode()
    assert f'data-org="{cast.c1.pk}"' in body and f'data-org="{cast.c2.pk}"' in body
    body = client.get(
        reverse("education:compliance_rollup") + f"?org={cast.root.pk}"
    ).content.decode()
    assert 'data-testid="compliance-rollup-children"' in body


def test_rebuild_command_leaves_every_branch_a_row_of_this_year(cast):
    OrganizationStudyFigures.objects.all().delete()
    call_command("rebuild_organization_figures", verbosity=0)
    year = timezone.localdate().year
    n_branches = Organization.objects.filter(kind=OrganizationKind.BRANCH).count()
    rows = OrganizationStudyFigures.objects.filter(year=year, organization__kind="branch")
    assert rows.filter(branches=1).count() == n_branches
    root = OrganizationStudyFigures.objects.get(organization=cast.root, year=year)
    assert (root.branches, root.members) == (n_branches, 9)
    assert root.computed_at <= timezone.now() + timedelta(seconds=1)


@pytest.mark.broker
@pytest.mark.postgres
def test_a_committed_write_brings_the_rows_above_up_to_date_through_the_worker(
    celery_worker_thread, cast
):
    """On PostgreSQL + Redis: the write commits, queues the propagation on commit, a real
    worker runs it (under the advisory lock) and the root's figures follow within seconds."""
    import time

    before = OrganizationMemberFigures.objects.get(organization=cast.root).members
    _new_member(cast.far_branch, random.Random(0), 0)  # its own transaction, committed
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if OrganizationMemberFigures.objects.get(organization=cast.root).members == before + 1:
            break
        time.sleep(0.2)
    assert OrganizationMemberFigures.objects.get(organization=cast.root).members == before + 1
    assert not member_figures.lag(OrganizationMemberFigures)
    study = OrganizationStudyFigures.objects.get(
        organization=cast.c2, year=timezone.localdate().year
    )
    while time.monotonic() < deadline and study.members != 3:
        time.sleep(0.2)
        study.refresh_from_db()
    assert study.members == 3  # education's task too (members' signal, then its own queue)
