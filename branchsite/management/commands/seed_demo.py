"""Demo data for trying branchsite: `python manage.py seed_demo` (README)."""

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from appraisal import demo as appraisal_demo
from appraisal.commendations import demo as commendations_demo
from education import demo as education_demo
from members import demo as members_demo
from members.protection import demo as protection_demo

# Each app's seeder, in dependency order: seed(*, rng, today) -> bool (False: already there).
SEEDERS = [
    members_demo.seed,
    education_demo.seed,
    appraisal_demo.seed,
    commendations_demo.seed,
    protection_demo.seed,
]


class Command(BaseCommand):
    help = "Load believable demo data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument("--seed", type=int, default=2024, help="random seed")

    def handle(self, *args, force=False, seed=2024, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates demo logins with a known password; with DEBUG off it "
                "needs --force."
            )
        today = timezone.localdate()
        # Demo reminders land in the inbox; their e-mails must not reach a real mail server.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for seeder in SEEDERS:
                # Seeded by the seeder's dotted name, so each app's data stays the same.
                name = f"{seeder.__module__}.{seeder.__qualname__}"
                created = seeder(rng=random.Random(f"{seed}:{name}"), today=today)
                self.stdout.write(f"{name}: {'created' if created else 'already present'}")
        # Some demo data is written in bulk, past the services: organization figures afresh.
        from .rebuild_organization_figures import rebuild_organization_figures

        rebuild_organization_figures()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo logins: admin, organizer, secretary, member — password: "
                f"{settings.DEMO_PASSWORD}"
            )
        )
