"""The scale harness cannot rot: seed_scale builds a sound tree, and the report is computed.

The PostgreSQL test seeds N = 500 the way the benchmark does (COPY); the others run anywhere.
The full benchmark (gunicorn, worker, HTTP) is `make bench-smoke` / `make bench`, not pytest.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from bench import run as bench_run
from members.models import Member, Organization, OrganizationKind, Position, Role
from members.permissions import forget_scope, scope_for
from members.scale import (
    BENCH_BRANCH_SIZE,
    BENCH_USERNAMES,
    DEFAULT_BENCH_PASSWORD,
    branch_sizes,
    tree_path,
)


def _seed(n):
    out = io.StringIO()
    call_command("seed_scale", members=n, force=True, stdout=out)
    return out.getvalue()


def _check_world(n):
    assert Member.objects.count() == n
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    # numchild and depth as treebeard would have written them.
    for org in Organization.objects.all():
        assert org.depth == len(org.path) // 4
        assert org.numchild == Organization.objects.get_children(org).count()
    roots = Organization.objects.filter(depth=1)
    assert [r.kind for r in roots] == [OrganizationKind.COMMITTEE]
    # Three committee levels: root committee, committees, general branches.
    kinds_at = {
        depth: set(Organization.objects.filter(depth=depth).values_list("kind", flat=True))
        for depth in (2, 3)
    }
    assert kinds_at[2] == {OrganizationKind.COMMITTEE}
    if n >= 500:
        assert OrganizationKind.GENERAL_BRANCH in kinds_at[3]
    branches = Organization.objects.filter(kind=OrganizationKind.BRANCH)
    assert 0.6 * n / 22 <= branches.count() <= 1.6 * n / 22
    assert not Member.objects.exclude(branch__kind=OrganizationKind.BRANCH).exists()
    assert not Member.objects.filter(group__isnull=False).exclude(group__kind="group").exists()
    for member in Member.objects.filter(group__isnull=False).select_related("branch", "group")[:50]:
        assert member.group.path.startswith(member.branch.path)
    # Exactly one current secretary per branch.
    secretaries = Position.objects.current().filter(
        role=Role.SECRETARY, organization__kind=OrganizationKind.BRANCH
    )
    assert secretaries.count() == branches.count()
    assert secretaries.values("organization").distinct().count() == branches.count()


def _check_bench_logins():
    User = get_user_model()
    users = {role: User.objects.get(username=name) for role, name in BENCH_USERNAMES.items()}
    for user in users.values():
        assert user.check_password(DEFAULT_BENCH_PASSWORD)
        forget_scope(user)
    secretary = scope_for(users["secretary"])
    member = scope_for(users["member"])
    organizer = scope_for(users["organizer"])
    assert len(secretary.led_branch_ids) == 1
    (branch_id,) = secretary.led_branch_ids
    assert Member.objects.filter(branch_id=branch_id).count() == BENCH_BRANCH_SIZE
    assert member.branch_id == branch_id and not member.is_branch_leader
    assert not member.is_organizer
    root = Organization.objects.get(depth=1)
    assert organizer.organizer_paths == (root.path,)
    assert scope_for(users["admin"]).is_admin


@pytest.mark.postgres
def test_seed_scale_500_on_postgresql(db):
    output = _seed(500)
    assert "seed_scale: 500 members" in output
    _check_world(500)
    _check_bench_logins()
    # Sequences were moved past the explicit ids: ordinary inserts still work.
    branch = Organization.objects.filter(kind=OrganizationKind.BRANCH).first()
    Member.objects.create(branch=branch, full_name="新党员", gender="male", joined_on="2020-07-01")


def test_seed_scale_on_the_embedded_database(db):
    _seed(120)
    _check_world(120)
    _check_bench_logins()


def test_seed_scale_refuses_a_database_with_data(db):
    _seed(40)
    with pytest.raises(CommandError):
        _seed(40)


def test_tree_paths_and_branch_sizes():
    assert tree_path("", 1) == "0001"
    assert tree_path("0001", 36) == "00010010"
    assert tree_path("0001", 36**4 - 1) == "0001ZZZZ"
    import random

    sizes = branch_sizes(100_000, random.Random(1))
    assert sum(sizes) == 100_000 and sizes[0] == BENCH_BRANCH_SIZE
    assert min(sizes) >= 3
    assert 19 <= 100_000 / len(sizes) <= 25


def _fake_run(p95, rps, queries):
    pages = {
        "floor": {
            "title": "Floor",
            "level": "reference",
            "available": True,
            "queries": 2,
            "rps": 400,
            "p50_ms": 2,
            "p95_ms": 5,
            "inproc_ms": 1,
        },
        "admin_members": {
            "title": "Admin",
            "level": "reference",
            "available": True,
            "queries": 8,
            "rps": 10,
            "p50_ms": 90,
            "p95_ms": 120,
            "inproc_ms": 80,
        },
        "roster": {
            "title": "Roster",
            "level": "branch",
            "available": True,
            "queries": queries,
            "rps": rps,
            "p50_ms": p95 / 2,
            "p95_ms": p95,
            "inproc_ms": 10,
        },
        "hours": {"title": "Hours", "level": "branch", "available": False, "reason": "no URL"},
    }
    return {"pages": pages, "downloads": {}, "jobs": {}}


def test_report_checks_the_issue_targets():
    sizes = [1000, 100000]
    runs = {1000: _fake_run(40, 120, 9), 100000: _fake_run(100, 110, 10)}
    seeds = {n: {"seconds": 5, "peak_rss_mb": 100} for n in sizes}
    pages = bench_run.summarize(sizes, runs, seeds)
    targets = {t["target"]: t["ok"] for t in bench_run.check_targets(sizes, runs, seeds, pages)}
    assert targets["roster: queries same at both sizes and ≤ 15"] is False  # 9 then 10
    assert targets["roster: p95 at 100000 ≤ 1.5 × p95 at 1000"] is False  # 2.5 ×
    assert targets["roster: req/s ≥ 0.25 × floor"] is True  # 110 / 400
    assert targets["roster: faster than Django admin's member list (req/s)"] is True
    assert targets["hours: measured"] is None
    result = {
        "date": "2026-01-01",
        "command": "python -m bench.run",
        "sizes": sizes,
        "machine": {"cpus": 2, "postgres": "PostgreSQL 15"},
        "settings": {"workers": 4, "concurrency": 4, "max_requests": 100, "duration": 5},
        "code": {str(n): {"commit": "abc1234", "dirty_files": 0} for n in sizes},
        "seed": {str(n): seeds[n] for n in sizes},
        "runs": {str(n): runs[n] for n in sizes},
        "pages": pages,
        "targets": bench_run.check_targets(sizes, runs, seeds, pages),
    }
    table = bench_run.markdown(result)
    assert "| Roster (`roster`) | branch | 9 / 10 |" in table
    assert "not available: no URL" in table
