"""The Celery app and every periodic job, in one place.

Beat must run as a single instance (two would duplicate every job). Jobs ask the database what
is due rather than scheduling long countdowns, and every reminder goes through
members.services.notify, whose unique key makes a re-run harmless.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "branchsite.settings")

app = Celery("branchsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every beat entry of every app is listed here, so that one file shows all that beat runs.


def _job(task: str, schedule, **options) -> tuple[str, dict]:
    """A beat entry for the dotted task, named app.function ("members.send_pending_emails")."""
    entry = {"task": task, "schedule": schedule}
    if options:
        entry["options"] = options
    return f"{task.split('.')[0]}.{task.rsplit('.', 1)[1]}", entry


# Every beat entry of every app is listed here, so that one file shows all that beat runs.
app.conf.beat_schedule = dict(
    [
        # Organization figures: the rows above changed branches (writes queue the same task on
        # commit; this sweep catches a queue lost with a worker). Coalesced: a run takes every
        # dirty branch, a concurrent run returns at once.
        _job("members.tasks.propagate_member_figures", crontab()),  # every minute
        _job("education.tasks.propagate_study_figures", crontab()),
        _job("appraisal.tasks.propagate_appraisal_figures", crontab()),
        # Who is behind the pace and which meeting periods are over change when a month begins.
        _job(
            "education.tasks.recompute_study_figures_for_month",
            crontab(minute=1, hour=0, day_of_month=1),
        ),
        # The sweep of pending e-mails: sends what a request could not queue (broker down) and
        # what a dead sender left claimed (released after BRANCHSITE_EMAIL_CLAIM_TIMEOUT). With
        # nothing pending it is one indexed query.
        # After an outage, one sweep runs (expires), not one per minute.
        _job("members.tasks.send_pending_emails", crontab(minute="*"), expires=55),
        # group robots, the signed webhook and SMS: what is due, retries after their backoff
        _job("members.tasks.send_due_deliveries", crontab(minute="*")),
        _job("education.tasks.send_checkin_open_notices", crontab(minute="*/5")),
        # Every hour, around the clock; the unique key dedupes.
        _job("education.tasks.send_session_reminders", crontab(minute=0)),
        _job("education.tasks.send_hours_nudges", crontab(minute=0, hour=9, day_of_month=1)),
        _job("education.tasks.send_meeting_digests", crontab(minute=30, hour=9, day_of_month=15)),
        # self-assessments due, ballot closing, publicity ending, rectification items due
        _job("appraisal.tasks.send_appraisal_reminders", crontab(hour=8, minute=0)),
        _job("appraisal.tasks.send_ballot_open_notices", crontab(minute="*/15")),
        _job("appraisal.tasks.close_finished_publicity", crontab(hour=0, minute=20)),
        _job(
            "appraisal.commendations.tasks.remind_commendation_approvers",
            crontab(minute=15, hour="8-18"),
        ),
        _job("members.protection.tasks.remind_case_follow_ups", crontab(minute=0, hour=8)),
        _job("members.protection.tasks.remind_new_protection_cases", crontab(minute="*/30")),
    ]
)
