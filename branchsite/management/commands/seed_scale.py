"""A realistic dataset of N members for the scale benchmark: `manage.py seed_scale --members N`.

Runs every app's scale seeder in dependency order. A seeder is `<app>/scale.py` with

    def seed(*, n_members, rng, today, context, **options) -> dict[str, int]

(rows written per table). The foundation's (members.scale) runs first and fills the shared
`context` (members.scale.ScaleContext: the tree, branches with their member id ranges, the
bench logins); the others read it and may add to `context.extra`. A seeder module that does
not exist yet is reported as not available. Bulk writes only (members.scale.insert: COPY
on PostgreSQL); time and peak memory are printed and, with --report, written as JSON.
"""

import json
import random
import resource
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

# In dependency order; each `seed(*, n_members, rng, today, context, **options)`.
SCALE_SEEDERS = [
    "members.scale.seed",
    "education.scale.seed",
    "appraisal.scale.seed",
    "appraisal.commendations.scale.seed",
    "members.protection.scale.seed",
]


def _peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load(dotted):
    """The seeder function, or None when its module is not written yet."""
    module_name = dotted.rsplit(".", 1)[0]
    try:
        return import_string(dotted)
    except ImportError as exc:
        # Only "this module does not exist" means not available; an import error inside an
        # existing seeder is a bug and must surface.
        missing = getattr(exc, "name", None)
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            return None
        if "has no attribute" in str(exc) or "does not define" in str(exc):
            return None
        raise


def _reset_all_sequences():
    from django.apps import apps
    from django.core.management.color import no_style

    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class Command(BaseCommand):
    help = (
        "Seed a benchmark dataset of N members with bulk writes (empty database only). "
        "Creates the bench logins with a known password: refuses with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, required=True, help="number of members N")
        parser.add_argument("--seed", type=int, default=2024, help="random seed")
        parser.add_argument("--today", help="the date the data is seeded around (YYYY-MM-DD)")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument("--report", help="write timings, counts and context here (JSON)")
        parser.add_argument(
            "--password", help="password of the bench logins (default: members.scale's)"
        )

    def handle(self, *args, members, seed, today=None, force=False, report=None, **options):
        from members.models import Member, Organization
        from members.scale import DEFAULT_BENCH_PASSWORD, ScaleContext

        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_scale creates logins with a known password; with DEBUG off it needs --force."
            )
        if members < 10:
            raise CommandError("--members must be at least 10.")
        if Organization.objects.exists() or Member.objects.exists():
            raise CommandError(
                "seed_scale needs an empty database (it writes explicit ids in bulk); "
                "create a fresh one and run migrate first."
            )
        today = date.fromisoformat(today) if today else timezone.localdate()
        context = ScaleContext(
            n_members=members,
            today=today,
            password=options.get("password") or DEFAULT_BENCH_PASSWORD,
        )
        started = time.perf_counter()
        steps = []
        for dotted in SCALE_SEEDERS:
            seeder = _load(dotted)
            if seeder is None:
                steps.append({"seeder": dotted, "available": False})
                self.stdout.write(f"{dotted}: not available")
                continue
            t0 = time.perf_counter()
            counts = (
                seeder(
                    n_members=members,
                    rng=random.Random(f"{seed}:{dotted}"),
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
                "peak_rss_mb": _peak_rss_mb(),
            }
            steps.append(step)
            rows = ", ".join(f"{k} {v}" for k, v in counts.items())
            self.stdout.write(
                f"{dotted}: {step['seconds']} s, peak RSS {step['peak_rss_mb']} MB — {rows}"
            )
        # Every table's id sequence past the largest id written (a seeder that wrote explicit
        # ids and forgot reset_sequences must not break the site's next insert).
        t0 = time.perf_counter()
        _reset_all_sequences()
        steps.append({"seeder": "reset sequences", "seconds": round(time.perf_counter() - t0, 2)})
        # The seeders write in bulk, past the services: the organization figures from scratch.
        from .rebuild_organization_figures import rebuild_organization_figures

        t0 = time.perf_counter()
        written = rebuild_organization_figures()
        steps.append(
            {
                "seeder": "rebuild_organization_figures",
                "seconds": round(time.perf_counter() - t0, 2),
                "rows": written,
            }
        )
        self.stdout.write(f"rebuild_organization_figures: {steps[-1]['seconds']} s — {written}")
        if connection.vendor == "postgresql":
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            steps.append({"seeder": "ANALYZE", "seconds": round(time.perf_counter() - t0, 2)})
        total = round(time.perf_counter() - started, 2)
        peak = _peak_rss_mb()
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_scale: {members} members in {total} s, peak RSS {peak} MB "
                f"({len(context.branches)} branches)"
            )
        )
        if report:
            data = {
                "n_members": members,
                "seed": seed,
                "database": connection.vendor,
                "seconds": total,
                "peak_rss_mb": peak,
                "steps": steps,
                "context": context.summary(),
            }
            Path(report).write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
