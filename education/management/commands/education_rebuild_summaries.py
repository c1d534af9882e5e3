"""Recompute the education summary tables (study hours per member-year, regular meetings
per branch-year) from sessions, attendance and make-up study.

The services keep them up to date on every write; run this after changing those tables
another way (Django admin edits and deletions, SQL, a restore)."""

from django.core.management.base import BaseCommand

from education import figures, summaries


class Command(BaseCommand):
    help = "Recompute education's study-hours and regular-meeting summaries."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="only this year (repeat)")

    def handle(self, *args, year=None, **options):
        result = summaries.rebuild(years=year)
        figures.rebuild(year)  # the study figures are read from these summaries
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt years {result['years']}: {result['member_year_hours']} member-year "
                f"rows, {result['branch_year_meetings']} branch-year rows."
            )
        )
