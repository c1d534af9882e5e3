"""The scale harness cannot rot: bench.seed builds a sound world, and the report is computed.

The PostgreSQL test seeds N = 500 the way the benchmark does (COPY, set-based SQL, indexes
built after the load); the others run anywhere.
The full benchmark (gunicorn, worker, HTTP) is `make bench-smoke` / `make bench`, not pytest.
"""

import io

import pytest
from django.contrib.auth import get_user_model

from bench import run as bench_run
from bench.seed import SeedError, seed_scale
from bench.seed.members import (
    BENCH_BRANCH_SIZE,
    BENCH_USERNAMES,
    DEFAULT_BENCH_PASSWORD,
    branch_sizes,
    tree_path,
)
from members.models import Member, Organization, OrganizationKind, Position, Role
from members.permissions import forget_scope, scope_for


def _seed(n):
    out = io.StringIO()
    seed_scale(members=n, force=True, stdout=out)
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


def _no_dangling_foreign_keys():
    """The bulk load skips PostgreSQL's row-by-row foreign-key checks: every reference the
    seeders wrote must still point at a row."""
    from django.apps import apps
    from django.db import connection, models

    qn = connection.ops.quote_name
    checked = 0
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label not in ("members", "education", "appraisal"):
                continue
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey) or not field.db_constraint:
                    continue
                target = field.target_field
                cursor.execute(
                    f"SELECT count(*) FROM {qn(model._meta.db_table)} c "  # noqa: S608
                    f"LEFT JOIN {qn(target.model._meta.db_table)} t "
                    f"ON t.{qn(target.column)} = c.{qn(field.column)} "
                    f"WHERE c.{qn(field.column)} IS NOT NULL AND t.{qn(target.column)} IS NULL"
                )
                assert cursor.fetchone()[0] == 0, (model.__name__, field.name)
                checked += 1
    assert checked > 30


def _summaries_match_a_recount():
    """MemberYearHours and BranchYearMeetings, written by the seeder (set-based SQL), equal
    what education.summaries recomputes from the attendance and make-up rows."""
    from bench.seed.education import HOURS_COLUMNS
    from education import summaries
    from education.models import BranchYearMeetings, MemberYearHours

    def snapshot():
        return (
            set(MemberYearHours.objects.values_list(*HOURS_COLUMNS)),
            set(BranchYearMeetings.objects.values_list()),
        )

    hours, meetings = snapshot()
    assert hours and meetings
    summaries.rebuild()
    recount_hours, recount_meetings = snapshot()
    assert hours == recount_hours
    assert {row[1:] for row in meetings} == {row[1:] for row in recount_meetings}


@pytest.mark.postgres
def test_seed_scale_500_on_postgresql(db):
    from django.db import connection

    output = _seed(500)
    assert "bench.seed: 500 members" in output
    _check_world(500)
    _check_bench_logins()
    _no_dangling_foreign_keys()
    _summaries_match_a_recount()
    # Every index dropped for the load is back, and checks rows again.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname IN "
            "('attendance_once', 'attendance_member_status', 'member_roster')"
        )
        assert cursor.fetchone()[0] == 3
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    # Sequences were moved past the explicit ids: ordinary inserts still work.
    branch = Organization.objects.filter(kind=OrganizationKind.BRANCH).first()
    Member.objects.create(branch=branch, full_name="新党员", gender="male", joined_on="2020-07-01")


def test_seed_scale_on_the_embedded_database(db):
    _seed(120)
    _check_world(120)
    _check_bench_logins()
    _summaries_match_a_recount()


def test_seed_scale_refuses_a_database_with_data(db):
    _seed(40)
    with pytest.raises(SeedError):
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
    sizes = [1000, 100000, 1000000]
    runs = {
        1000: _fake_run(40, 120, 9),
        100000: _fake_run(50, 110, 9),
        1000000: _fake_run(100, 70, 10),
    }
    runs[1000000]["jobs"] = {
        "checkins": {
            "available": True,
            "ok": 500,
            "rps": 90,
            "p95_ms": 120,
            "p50_ms": 60,
            "concurrency": 8,
            "errors": {},
            "verified_in_database": 500,
            "broken": False,
        },
        "log_session": {
            "available": True,
            "attendees": 30,
            "median_ms": 80,
            "max_ms": 95,
            "runs": 5,
            "queries": 20,
        },
    }
    seeds = {n: {"seconds": 5, "peak_rss_mb": 100} for n in sizes}
    pages = bench_run.summarize(sizes, runs, seeds)
    assert pages["roster"]["floor_share"] == {"1000": 0.3, "100000": 0.28, "1000000": 0.17}
    targets = {t["target"]: t["ok"] for t in bench_run.check_targets(sizes, runs, seeds, pages)}
    assert targets["roster: queries equal at every size and ≤ 10"] is False  # 9, 9, then 10
    assert targets["roster: p95 at 1000000 ≤ 1.5 × p95 at 1000"] is False  # 2.5 ×
    assert targets["roster: req/s at 1000000 ≥ 0.2 × floor"] is False  # 70 / 400
    assert targets["hours: measured"] is None
    assert targets["check-ins at concurrency 8: req/s ≥ 0.2 × floor"] is True  # 90 / 400
    assert targets["check-ins: p95 < 100 ms"] is False
    assert targets["log a held session with 30 attendees: < 150 ms in-process (median)"] is True
    result = {
        "date": "2026-01-01",
        "command": "python -m bench.run",
        "sizes": sizes,
        "replica": {"port": 5443},
        "machine": {"cpus": 2, "postgres": "PostgreSQL 15"},
        "settings": {"workers": 4, "concurrency": 4, "max_requests": 100, "duration": 5},
        "code": {str(n): {"commit": "abc1234", "dirty_files": 0} for n in sizes},
        "seed": {str(n): seeds[n] for n in sizes},
        "runs": {str(n): runs[n] for n in sizes},
        "pages": pages,
        "targets": bench_run.check_targets(sizes, runs, seeds, pages),
    }
    table = bench_run.markdown(result)
    assert "| Roster (`roster`) | branch | 9 / 9 / 10 |" in table
    assert "not available: no URL" in table
    assert "streaming replica (pg_basebackup, port 5443)" in table
    assert "median 80 ms" in table


def test_the_national_plan_follows_the_measured_costs():
    from bench import scaling

    page = {"available": True, "level": "member", "cpu_ms": 10.0}
    result = {
        "sizes": [1000, 1000000],
        "machine": {"cpus": 2},
        "runs": {
            "1000000": {
                "pages": {"me": page, "floor": {**page, "level": "reference", "cpu_ms": 1}},
                "jobs": {
                    "checkins": {"app_cpu_ms_per_request": 8.0, "db_cpu_ms_per_request": 2.0},
                    "fanout_everyone": {"created": 1000000, "seconds": 250},
                },
            }
        },
    }
    plan = scaling.plan(result)
    assert plan["writes_per_second_per_core"] == 100.0  # 1000 ms / (8 + 2) ms
    assert plan["writes_per_second_per_database_core"] == 500.0
    assert plan["member_page_cpu_ms_median"] == 10.0
    assert plan["notifications_per_second_per_core"] == 2000.0
    # Twice the database cost per check-in: twice the cores on the largest primary.
    result["runs"]["1000000"]["jobs"]["checkins"]["db_cpu_ms_per_request"] = 4.0
    doubled = scaling.plan(result)["largest_primary_cores_for_the_burst"]
    assert abs(doubled - 2 * plan["largest_primary_cores_for_the_burst"]) <= 1
