"""Demo data for trying branchsite: `python manage.py seed_demo` (README)."""

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

# Each app's seeder, in dependency order: seed(*, rng, today) -> bool (False: already there).
SEEDERS = [
    "members.demo.seed",
    "education.demo.seed",
    "appraisal.demo.seed",
    "appraisal.commendations.demo.seed",
    "members.protection.demo.seed",
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
            for dotted in SEEDERS:
                created = import_string(dotted)(rng=random.Random(f"{seed}:{dotted}"), today=today)
                self.stdout.write(f"{dotted}: {'created' if created else 'already present'}")
        # Some demo data is written in bulk, past the services: organization figures afresh.
        from .rebuild_organization_figures import rebuild_organization_figures

        rebuild_organization_figures()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo logins: admin, organizer, secretary, member — password: "
                f"{settings.DEMO_PASSWORD}"
            )
        )
