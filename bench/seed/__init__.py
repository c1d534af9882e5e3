"""A realistic dataset of N members for the scale benchmark: `python -m bench.seed --members N`.

Benchmark code, not the app's: nothing under members/, education/ or appraisal/ imports it,
and a deployment need not ship it. Runs every seeder in dependency order. A seeder is a
module of this package with

    def seed(*, n_members, rng, today, context, **options) -> dict[str, int]

(rows written per table). The foundation's (bench.seed.members) runs first and fills the
shared `context` (bench.seed.members.ScaleContext: the tree, branches with their member id
ranges, the bench logins); the others read it and may add to `context.extra`. Bulk writes
only: PostgreSQL COPY from generators (bench.seed.members.insert) and set-based SQL, in
streaming chunks, so memory stays flat at N = 1 000 000. Time and peak memory are printed
and, with --report, written as JSON. Then, when the site has it, `manage.py
rebuild_organization_figures` fills the maintained per-organization figures.
"""

import argparse
import json
import random
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

# In dependency order; each `seed(*, n_members, rng, today, context, **options)`.
SEEDERS = [
    "bench.seed.members.seed",
    "bench.seed.education.seed",
    "bench.seed.appraisal.seed",
    "bench.seed.commendations.seed",
    "bench.seed.protection.seed",
]
# The site's command that rebuilds maintained aggregates from the rows (when it exists).
REBUILD_COMMAND = "rebuild_organization_figures"


class SeedError(Exception):
    """The database cannot be seeded (not empty, N too small, DEBUG off without force)."""


def _since(t0):
    return round(time.perf_counter() - t0, 2)


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _reset_all_sequences():
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _rebuild_figures(out):
    """Run the site's aggregate rebuild if the code has it; None when it does not."""
    from django.core.management import call_command, get_commands

    if REBUILD_COMMAND not in get_commands():
        return None
    call_command(REBUILD_COMMAND, stdout=out)
    return True


def bulk_session(cursor):
    """Set a connection up for bulk loading: no per-row foreign-key triggers (as superuser,
    see _without_fk_triggers), room to sort in memory."""
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    if cursor.fetchone()[0]:
        cursor.execute("SET session_replication_role = replica")
    cursor.execute("SET work_mem = '256MB'")


def _without_fk_triggers():
    """PostgreSQL, as superuser: skip the per-row foreign-key triggers for this session
    (session_replication_role = replica, as pg_restore --disable-triggers does). Django's
    foreign keys are DEFERRABLE INITIALLY DEFERRED, so otherwise every one of tens of millions
    of rows queues a check that runs at COMMIT, in the server's memory. The seeders write
    consistent ids by construction; tests/bench checks the world they make."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET session_replication_role = replica")
    return True


PARALLEL = 3  # connections loading (or building indexes) at once
# The apps whose tables are loaded in bulk: their secondary indexes are built after the load.
BULK_APPS = ("members", "education", "appraisal", "commendations", "protection")


def _drop_secondary_indexes():
    """PostgreSQL: drop every secondary index (and unique constraint no foreign key relies
    on) of the bulk-loaded tables; returns the statements that put them back. Building an
    index once over sorted data is several times cheaper than updating it row by row."""
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    tables = [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in BULK_APPS and m._meta.managed and not m._meta.proxy
    ]
    restore = []  # (table, statement)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), c.conname,
                   pg_get_constraintdef(c.oid)
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('u', 'p', 'x')
            WHERE t.relname = ANY(%s) AND NOT x.indisprimary
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid
              )
            ORDER BY t.relname, i.relname
            """,
            [tables],
        )
        qn = connection.ops.quote_name
        for table, index, indexdef, constraint, condef in cursor.fetchall():
            if constraint:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(constraint)}")
                restore.append(
                    (table, f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(constraint)} {condef}")
                )
            else:
                cursor.execute(f"DROP INDEX {qn(index)}")
                restore.append((table, indexdef))
    return restore


def _restore_indexes(statements):
    """Build the indexes again, table by table on PARALLEL connections (one table's indexes
    on one connection: adding a constraint locks its table)."""
    from django.db import connection

    if not statements:
        return
    by_table = {}
    for table, sql in statements:
        by_table.setdefault(table, []).append(sql)

    def build(sqls):
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for sql in sqls:
                cursor.execute(sql)
            cursor.execute("RESET maintenance_work_mem")

    # Largest tables first, so that the last to finish is a small one.
    groups = sorted(by_table.values(), key=len, reverse=True)
    in_parallel(build, groups)


def in_parallel(work, items, *, workers=PARALLEL):
    """work(item) for every item; on PostgreSQL outside a transaction on `workers` threads,
    each with its own database connection set up for bulk loading (closed when done), else
    one after the other here (inside a transaction, e.g. a test's, other connections could
    not see its rows). Returns the results in order."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return [work(item) for item in items]

    def run(item):
        try:
            with connection.cursor() as cursor:
                bulk_session(cursor)
            return work(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, items))


def _run_seeders(steps, members, seed, today, context, out):
    """The foundation first; then education in one lane and the appraisal, commendations
    and protection seeders in another, at once (they only read the foundation)."""
    first, *rest = SEEDERS
    lanes = [
        [d for d in rest if d.endswith(".education.seed")],
        [d for d in rest if not d.endswith(".education.seed")],
    ]
    _run_lane([first], steps, members, seed, today, context, out)
    in_parallel(
        lambda lane: _run_lane(lane, steps, members, seed, today, context, out),
        [lane for lane in lanes if lane],
    )


def _run_lane(lane, steps, members, seed, today, context, out):
    from django.utils.module_loading import import_string

    for dotted in lane:
        seeder = import_string(dotted)
        t0 = time.perf_counter()
        counts = (
            seeder(
                n_members=members,
                rng=random.Random(f"{seed}:{dotted}"),  # noqa: S311 - made-up data
                today=today,
                context=context,
            )
            or {}
        )
        step = {
            "seeder": dotted,
            "available": True,
            "seconds": round(time.perf_counter() - t0, 2),
            "rows": counts,
            "peak_rss_mb": peak_rss_mb(),
        }
        steps.append(step)
        rows = ", ".join(f"{k} {v}" for k, v in counts.items())
        out.write(f"{dotted}: {step['seconds']} s, peak RSS {step['peak_rss_mb']} MB — {rows}\n")
        out.flush()


def seed_scale(
    *,
    members,
    seed=2024,
    today=None,
    force=False,
    report=None,
    password=None,
    stdout=None,
):
    """Seed an empty, migrated database with `members` members; returns the report dict."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.seed.members import DEFAULT_BENCH_PASSWORD, ScaleContext
    from members.models import Member, Organization

    out = stdout or sys.stdout
    if not settings.DEBUG and not force:
        raise SeedError(
            "bench.seed creates logins with a known password; with DEBUG off it needs --force."
        )
    if members < 10:
        raise SeedError("--members must be at least 10.")
    if Organization.objects.exists() or Member.objects.exists():
        raise SeedError(
            "bench.seed needs an empty database (it writes explicit ids in bulk); "
            "create a fresh one and run migrate first."
        )
    if isinstance(today, str):
        today = date.fromisoformat(today)
    today = today or timezone.localdate()
    context = ScaleContext(
        n_members=members, today=today, password=password or DEFAULT_BENCH_PASSWORD
    )
    started = time.perf_counter()
    steps = []
    fk_checks_off = _without_fk_triggers()
    try:
        # Each seeder commits its own rows (the attendance load runs on several connections,
        # which must see them): a seed that fails leaves a database to drop and create again.
        t0 = time.perf_counter()
        with transaction.atomic():
            restore = _drop_secondary_indexes()
        steps.append({"seeder": f"drop {len(restore)} secondary indexes", "seconds": _since(t0)})
        _run_seeders(steps, members, seed, today, context, out)
        t0 = time.perf_counter()
        _restore_indexes(restore)
        steps.append({"seeder": f"build {len(restore)} indexes", "seconds": _since(t0)})
        out.write(f"indexes: {len(restore)} built in {steps[-1]['seconds']} s\n")
    finally:
        if fk_checks_off:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
    if fk_checks_off:
        steps.append(
            {"seeder": "foreign keys: not checked row by row (consistent by construction)"}
        )

    # Every table's id sequence past the largest id written (a seeder that wrote explicit
    # ids and forgot reset_sequences must not break the site's next insert).
    t0 = time.perf_counter()
    _reset_all_sequences()
    steps.append({"seeder": "reset sequences", "seconds": round(time.perf_counter() - t0, 2)})
    if connection.vendor == "postgresql":
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        steps.append({"seeder": "ANALYZE", "seconds": round(time.perf_counter() - t0, 2)})
    t0 = time.perf_counter()
    rebuilt = _rebuild_figures(out)
    steps.append(
        {
            "seeder": REBUILD_COMMAND,
            "available": bool(rebuilt),
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": peak_rss_mb(),
        }
    )
    if rebuilt and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = round(time.perf_counter() - started, 2)
    peak = peak_rss_mb()
    out.write(
        f"bench.seed: {members} members in {total} s, peak RSS {peak} MB "
        f"({len(context.branches)} branches"
        + ("" if rebuilt else f"; no {REBUILD_COMMAND} in this code")
        + ")\n"
    )
    data = {
        "n_members": members,
        "seed": seed,
        "database": connection.vendor,
        "seconds": total,
        "peak_rss_mb": peak,
        "steps": steps,
        "figures_rebuilt": bool(rebuilt),
        "context": context.summary(),
    }
    if report:
        Path(report).write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed",
        description="Seed a benchmark dataset of N members with bulk writes (empty database "
        "only). Creates the bench logins with a known password: refuses with DEBUG off "
        "unless --force.",
    )
    parser.add_argument("--members", type=int, required=True, help="number of members N")
    parser.add_argument("--seed", type=int, default=2024, help="random seed")
    parser.add_argument("--today", help="the date the data is seeded around (YYYY-MM-DD)")
    parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
    parser.add_argument("--report", help="write timings, counts and context here (JSON)")
    parser.add_argument("--password", help="password of the bench logins")
    args = parser.parse_args(argv)

    import django

    django.setup()
    try:
        seed_scale(
            members=args.members,
            seed=args.seed,
            today=args.today,
            force=args.force,
            report=args.report,
            password=args.password,
        )
    except SeedError as exc:
        print(f"bench.seed: {exc}", file=sys.stderr)
        return 2
    return 0
