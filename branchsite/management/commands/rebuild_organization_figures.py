"""Recompute every organization figures row (README, "Organization figures") from the
source tables: members' counts, education's study hours and meetings, appraisal progress.

The services keep the rows up to date on every write (a branch's row in the write's
transaction, the rows above by a task within minutes); run this after loading data another
way (seeders, imports by SQL, a restore, Django admin edits) or to check nothing drifted.
Set-based: one aggregate query over each source (education: five per 5 000 branches and
year), then every level of the tree summed in memory and written in bulk.
"""

import time

from django.core.management.base import BaseCommand

from appraisal import figures as appraisal_figures
from education import figures as education_figures
from members import figures as member_figures


def rebuild_organization_figures(*, years=None):
    """{table: rows written} after rebuilding the three apps' figures."""
    return {
        "members": member_figures.rebuild_members(),
        "education": education_figures.rebuild(years),
        "appraisal": appraisal_figures.rebuild(),
    }


class Command(BaseCommand):
    help = "Recompute the organization figures (members, study, appraisal) from scratch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", help="study figures of this year only (repeat)"
        )

    def handle(self, *args, year=None, **options):
        started = time.monotonic()
        written = rebuild_organization_figures(years=year)
        rows = ", ".join(f"{name} {n} rows" for name, n in written.items())
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Organization figures rebuilt in {seconds:.1f} s: {rows}.")
        )
